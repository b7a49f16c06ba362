#include "mailroom/imap/arguments.hpp"

#include <limits>

#include "mailroom/text.hpp"
#include "mailroom/utf8.hpp"

namespace mailroom::imap {

bool is_atom_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']':
      return false;
    default:
      return true;
  }
}

namespace {
bool is_astring_char(char c) { return is_atom_char(c) || c == ']'; }
bool is_list_char(char c) { return is_atom_char(c) || c == '%' || c == '*' || c == ']'; }
}  // namespace

void Arguments::fail(const std::string& what) const { throw SyntaxError(what); }

void Arguments::end() const {
  if (!at_end()) fail("Unexpected text after the arguments");
}

void Arguments::sp() {
  if (!take(' ')) fail(at_end() ? "Missing arguments" : "Expected a space");
}

bool Arguments::try_sp() { return take(' '); }

bool Arguments::take(char c) {
  if (!peek(c)) return false;
  ++i_;
  return true;
}

void Arguments::expect(char c) {
  if (!take(c)) fail(std::string("Expected '") + c + "'");
}

bool Arguments::take_word(std::string_view word) {
  if (s_.size() - std::min(i_, s_.size()) < word.size()) return false;
  if (!iequals(s_.substr(i_, word.size()), word)) return false;
  const std::size_t after = i_ + word.size();
  if (after < s_.size() && is_atom_char(s_[after]) && is_atom_char(word.back())) return false;
  i_ = after;
  return true;
}

std::string Arguments::tag() {
  const std::size_t start = i_;
  while (i_ < s_.size() && is_astring_char(s_[i_]) && s_[i_] != '+') ++i_;
  if (i_ == start) fail("Missing or invalid tag");
  return std::string(s_.substr(start, i_ - start));
}

std::string Arguments::atom() {
  const std::size_t start = i_;
  while (i_ < s_.size() && is_atom_char(s_[i_])) ++i_;
  if (i_ == start) fail(at_end() ? "Missing arguments" : "Expected an atom");
  return std::string(s_.substr(start, i_ - start));
}

std::string Arguments::quoted() {
  std::string out;
  ++i_;  // the opening quote
  while (true) {
    if (i_ >= s_.size()) fail("Unterminated quoted string");
    const char c = s_[i_++];
    if (c == '"') return out;
    if (c == '\\') {
      if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\\'))
        fail("Invalid escape in a quoted string");
      out.push_back(s_[i_++]);
      continue;
    }
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || c == '\0') fail("Invalid octet in a quoted string");
    if (u >= 0x80) {
      if (!utf8_) fail("8-bit octet in a quoted string (use a literal)");
      // RFC 6855 §3: UTF-8, and only that.
      const std::size_t n = utf8_sequence(s_, i_ - 1);
      if (n == 0) fail("Invalid UTF-8 in a quoted string");
      out.append(s_.substr(i_ - 1, n));
      i_ += n - 1;
      continue;
    }
    out.push_back(c);
  }
}

std::string Arguments::literal(bool binary) {
  // "{" number64 ["+"] "}" CRLF octets; the reader checked the framing.
  if (binary) ++i_;  // '~'
  expect('{');
  const std::size_t start = i_;
  while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
  std::uint64_t n = 0;
  if (i_ == start || i_ - start > 19 || !parse_number(s_.substr(start, i_ - start), n))
    fail("Invalid literal length");
  take('+');
  expect('}');
  if (s_.substr(i_, 2) != "\r\n") fail("A literal must end its line");
  i_ += 2;
  if (n > s_.size() - i_) fail("Truncated literal");
  std::string out(s_.substr(i_, static_cast<std::size_t>(n)));
  i_ += static_cast<std::size_t>(n);
  if (!binary && out.find('\0') != std::string::npos) fail("NUL in a literal (use literal8)");
  return out;
}

std::string Arguments::string() {
  if (peek('"')) return quoted();
  if (peek('{')) return literal(false);
  fail(at_end() ? "Missing arguments" : "Expected a string");
}

std::string Arguments::astring() {
  if (peek('"') || peek('{')) return string();
  const std::size_t start = i_;
  while (i_ < s_.size() && is_astring_char(s_[i_])) ++i_;
  if (i_ == start) fail(at_end() ? "Missing arguments" : "Expected a string or an atom");
  return std::string(s_.substr(start, i_ - start));
}

std::optional<std::string> Arguments::nstring() {
  if (take_word("NIL")) return std::nullopt;
  return string();
}

std::string Arguments::list_mailbox() {
  if (peek('"') || peek('{')) return string();
  const std::size_t start = i_;
  while (i_ < s_.size() && is_list_char(s_[i_])) ++i_;
  if (i_ == start) fail(at_end() ? "Missing arguments" : "Expected a mailbox pattern");
  return std::string(s_.substr(start, i_ - start));
}

std::string Arguments::flag(bool allow_star) {
  if (take('\\')) {
    if (allow_star && take('*')) return "\\*";
    std::string f(1, '\\');
    f += atom();
    return f;
  }
  return atom();
}

std::vector<std::string> Arguments::flag_list() {
  expect('(');
  std::vector<std::string> flags;
  if (take(')')) return flags;
  while (true) {
    flags.push_back(flag());
    if (take(')')) return flags;
    sp();
  }
}

std::uint32_t Arguments::nz_number() {
  const std::size_t start = i_;
  while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
  std::uint64_t v = 0;
  if (i_ == start || s_[start] == '0' || i_ - start > 10 ||
      !parse_number(s_.substr(start, i_ - start), v) ||
      v > std::numeric_limits<std::uint32_t>::max())
    fail("Expected a number from 1 to 4294967295");
  return static_cast<std::uint32_t>(v);
}

std::uint64_t Arguments::number64() {
  const std::size_t start = i_;
  while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
  std::uint64_t v = 0;
  if (i_ == start || i_ - start > 19 || !parse_number(s_.substr(start, i_ - start), v))
    fail("Expected a number");
  return v;
}

std::uint32_t Arguments::seq_number() {
  if (take('*')) return 0;
  return nz_number();
}

SequenceSet Arguments::sequence_set() {
  SequenceSet set;
  if (take('$')) {
    set.saved = true;
    return set;
  }
  while (true) {
    SequenceRange r;
    r.first = r.last = seq_number();
    if (take(':')) r.last = seq_number();
    set.ranges.push_back(r);
    if (!take(',')) break;
  }
  if (i_ < s_.size() && s_[i_] != ' ' && s_[i_] != ')') fail("Invalid sequence set");
  return set;
}

std::string Arguments::append_data(bool& binary) {
  binary = peek('~');
  if (binary) return literal(true);
  if (peek('{')) return literal(false);
  fail("Expected the message as a literal");
}

std::string_view Arguments::word() {
  const std::size_t start = i_;
  while (i_ < s_.size() && s_[i_] != ' ' && s_[i_] != '(' && s_[i_] != ')') ++i_;
  return s_.substr(start, i_ - start);
}

std::vector<SequenceRange> resolved_ranges(const SequenceSet& set, std::uint32_t star) {
  std::vector<SequenceRange> out;
  out.reserve(set.ranges.size());
  for (auto r : set.ranges) {
    std::uint32_t x = r.first ? r.first : star, y = r.last ? r.last : star;
    if (x > y) std::swap(x, y);
    out.push_back({x, y});
  }
  return out;
}

}  // namespace mailroom::imap
