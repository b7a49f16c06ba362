// Untagged responses read with the server's own argument reader (Arguments):
// one lexer for atoms, quoted strings and literals on both sides.
#include "mailroom/imap/client_responses.hpp"

#include "mailroom/imap/arguments.hpp"
#include "mailroom/imap/date_time.hpp"
#include "mailroom/imap/sequence_set.hpp"
#include "mailroom/mutf7.hpp"
#include "mailroom/text.hpp"

namespace mailroom::imap {

const char* to_string(UntaggedKind k) {
  switch (k) {
    case UntaggedKind::Ok: return "OK";
    case UntaggedKind::No: return "NO";
    case UntaggedKind::Bad: return "BAD";
    case UntaggedKind::Bye: return "BYE";
    case UntaggedKind::Preauth: return "PREAUTH";
    case UntaggedKind::Capability: return "CAPABILITY";
    case UntaggedKind::Enabled: return "ENABLED";
    case UntaggedKind::List: return "LIST";
    case UntaggedKind::Status: return "STATUS";
    case UntaggedKind::Search: return "SEARCH";
    case UntaggedKind::Esearch: return "ESEARCH";
    case UntaggedKind::Flags: return "FLAGS";
    case UntaggedKind::Exists: return "EXISTS";
    case UntaggedKind::Recent: return "RECENT";
    case UntaggedKind::Expunge: return "EXPUNGE";
    case UntaggedKind::Fetch: return "FETCH";
    case UntaggedKind::Vanished: return "VANISHED";
    case UntaggedKind::Other: return "OTHER";
  }
  return "?";
}

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = ascii_upper(c);
  return s;
}

}  // namespace

std::vector<std::string> split_words(std::string_view rest) {
  std::vector<std::string> out;
  while (!rest.empty()) {
    const std::size_t sp = rest.find(' ');
    if (sp != 0) out.emplace_back(rest.substr(0, sp));
    if (sp == std::string_view::npos) break;
    rest.remove_prefix(sp + 1);
  }
  return out;
}

namespace {

// Any value (RFC 9051 §9: nstring, number, atom, parenthesized list), skipped:
// the FETCH items and ESEARCH returns the client did not ask for.
void skip_value(Arguments& a, int depth = 0) {
  if (depth > 64) a.fail("Lists nested too deep");
  if (a.take('(')) {
    while (!a.take(')')) {
      if (a.at_end()) a.fail("Unterminated list");
      skip_value(a, depth + 1);
      a.try_sp();
    }
    return;
  }
  if (a.peek('"') || a.peek('{')) {
    a.string();
    return;
  }
  if (a.peek('~')) {
    bool binary = false;
    a.append_data(binary);
    return;
  }
  // An atom, a number, NIL, or a flag; a section "BODY[...]" keeps its
  // brackets (which may hold spaces and parentheses) in one word.
  int brackets = 0;
  std::size_t n = 0;
  for (char c : a.rest()) {
    if (c == '[') ++brackets;
    if (c == ']') --brackets;
    if (brackets == 0 && (c == ' ' || c == '(' || c == ')')) break;
    ++n;
  }
  if (n == 0) a.fail("Expected a value");
  for (std::size_t i = 0; i < n; ++i) a.take(a.rest()[0]);
}

// A FETCH item name: "UID", "BODY[]", "BODY[HEADER.FIELDS (X)]<0>".
std::string item_name(Arguments& a) {
  std::string name;
  int brackets = 0;
  for (char c : a.rest()) {
    if (c == '[') ++brackets;
    if (c == ']') --brackets;
    if (brackets == 0 && (c == ' ' || c == '(' || c == ')')) break;
    name.push_back(c);
  }
  if (name.empty()) a.fail("Expected a FETCH item");
  for (char c : name) a.take(c);
  return upper(std::move(name));
}

void parse_fetch(Arguments& a, FetchData& f) {
  a.expect('(');
  if (a.take(')')) return;
  while (true) {
    const std::string name = item_name(a);
    a.sp();
    if (name == "UID") {
      f.uid = a.nz_number();
    } else if (name == "FLAGS") {
      f.has_flags = true;
      f.flags.clear();
      a.expect('(');
      while (!a.take(')')) {
        f.flags.push_back(a.flag(true));
        a.try_sp();
      }
    } else if (name == "INTERNALDATE") {
      f.internal_date = parse_date_time(a.string());
      f.has_internal_date = true;
    } else if (name == "RFC822.SIZE") {
      f.size = a.number64();
    } else if (name == "MODSEQ") {  // RFC 7162 §3.1.4.1: "MODSEQ (12)"
      a.expect('(');
      f.modseq = a.number64();
      a.expect(')');
    } else if (name == "BODY[]" || name == "RFC822" || name == "BINARY[]") {
      f.has_body = true;
      if (a.take_word("NIL")) {
        f.body.clear();
      } else if (a.peek('"')) {
        f.body = a.string();
      } else {
        bool binary = false;
        f.body = a.append_data(binary);
      }
    } else {
      skip_value(a);
    }
    if (a.take(')')) return;
    a.sp();
  }
}

// RFC 3501 §5.1.3 modified UTF-7 undone; a name that is not valid modified
// UTF-7 (a server sending UTF-8, RFC 6855) is kept as it came.
std::string mailbox_name(std::string wire) {
  if (wire.find('&') == std::string::npos) return wire;
  try {
    return from_modified_utf7(wire);
  } catch (const InvalidModifiedUtf7&) {
    return wire;
  }
}

void parse_list(Arguments& a, ListEntry& l) {
  a.expect('(');
  while (!a.take(')')) {
    l.attributes.push_back(a.flag(true));
    a.try_sp();
  }
  a.sp();
  if (const auto d = a.nstring()) l.delimiter = *d;
  a.sp();
  l.name = mailbox_name(a.astring());
  // Extended data (RFC 5258 §9 mbox-list-extended, CHILDINFO, OLDNAME): skipped.
}

void parse_status(Arguments& a, Untagged& u) {
  u.mailbox = mailbox_name(a.astring());
  a.sp();
  a.expect('(');
  while (!a.take(')')) {
    std::string item = upper(a.atom());
    a.sp();
    u.status.emplace_back(std::move(item), a.number64());
    a.try_sp();
  }
}

// RFC 4731 §3.1: "* ESEARCH (TAG "a1") UID ALL 1:3,5 COUNT 4 MIN 1 MAX 5".
void parse_esearch(Arguments& a, Untagged& u, std::size_t max_numbers) {
  if (a.peek('(')) {
    skip_value(a);
    a.try_sp();
  }
  if (a.take_word("UID")) a.try_sp();
  while (!a.at_end()) {
    const std::string name = upper(a.atom());
    a.sp();
    if (name == "ALL") {
      u.numbers = expand_sequence_set(a.word(), max_numbers);
    } else if (name == "COUNT" || name == "MIN" || name == "MAX") {
      u.status.emplace_back(name, a.number64());
    } else if (name == "MODSEQ") {
      u.modseq = a.number64();
    } else {
      skip_value(a);
    }
    a.try_sp();
  }
}

}  // namespace

ResponseCode take_response_code(std::string_view& text) {
  ResponseCode code;
  if (text.empty() || text[0] != '[') return code;
  const std::size_t close = text.find(']');
  if (close == std::string_view::npos) return code;
  std::string_view inner = text.substr(1, close - 1);
  const std::size_t sp = inner.find(' ');
  code.name = upper(std::string(inner.substr(0, sp)));
  if (sp != std::string_view::npos) code.argument.assign(inner.substr(sp + 1));
  text.remove_prefix(close + 1);
  if (!text.empty() && text[0] == ' ') text.remove_prefix(1);
  return code;
}

Untagged parse_untagged(std::string_view text, std::size_t max_numbers) {
  Untagged u;
  Arguments a(text, true);
  if (!text.empty() && text[0] >= '0' && text[0] <= '9') {
    u.number = a.number64();
    a.sp();
    const std::string what = upper(a.atom());
    if (what == "EXISTS") {
      u.kind = UntaggedKind::Exists;
    } else if (what == "RECENT") {
      u.kind = UntaggedKind::Recent;
    } else if (what == "EXPUNGE") {
      u.kind = UntaggedKind::Expunge;
    } else if (what == "FETCH") {
      u.kind = UntaggedKind::Fetch;
      if (u.number == 0 || u.number > UINT32_MAX) a.fail("Invalid message number in FETCH");
      u.fetch.seq = static_cast<std::uint32_t>(u.number);
      a.sp();
      parse_fetch(a, u.fetch);
    } else {
      u.text.assign(text);  // unknown message data: kept as text
      return u;
    }
    a.end();
    return u;
  }
  const std::string what = upper(a.atom());
  const bool more = a.try_sp();
  if (what == "OK" || what == "NO" || what == "BAD" || what == "BYE" || what == "PREAUTH") {
    u.kind = what == "OK"    ? UntaggedKind::Ok
             : what == "NO"  ? UntaggedKind::No
             : what == "BAD" ? UntaggedKind::Bad
             : what == "BYE" ? UntaggedKind::Bye
                             : UntaggedKind::Preauth;
    std::string_view rest = more ? a.rest() : std::string_view{};
    u.code = take_response_code(rest);
    u.text.assign(rest);
    if (u.code.name == "CAPABILITY") u.words = split_words(u.code.argument);
    return u;
  }
  if (what == "CAPABILITY" || what == "ENABLED") {
    u.kind = what == "CAPABILITY" ? UntaggedKind::Capability : UntaggedKind::Enabled;
    if (more) u.words = split_words(a.rest());
    return u;
  }
  if (what == "FLAGS") {
    u.kind = UntaggedKind::Flags;
    a.expect('(');
    while (!a.take(')')) {
      u.words.push_back(a.flag(true));
      a.try_sp();
    }
    return u;
  }
  if (what == "LIST" || what == "LSUB") {
    u.kind = UntaggedKind::List;
    parse_list(a, u.list);
    return u;
  }
  if (what == "STATUS") {
    u.kind = UntaggedKind::Status;
    parse_status(a, u);
    return u;
  }
  if (what == "SEARCH") {
    u.kind = UntaggedKind::Search;
    while (more && !a.at_end()) {
      if (a.take('(')) {  // RFC 7162 §3.1.5 "(MODSEQ 917162500)"
        if (!a.take_word("MODSEQ")) a.fail("Expected MODSEQ");
        a.sp();
        u.modseq = a.number64();
        a.expect(')');
      } else {
        if (u.numbers.size() >= max_numbers) a.fail("Too many SEARCH results");
        u.numbers.push_back(a.nz_number());
      }
      a.try_sp();
    }
    return u;
  }
  if (what == "ESEARCH") {
    u.kind = UntaggedKind::Esearch;
    if (more) parse_esearch(a, u, max_numbers);
    return u;
  }
  if (what == "VANISHED") {  // RFC 7162 §3.2.10
    u.kind = UntaggedKind::Vanished;
    if (a.take('(')) {
      if (!a.take_word("EARLIER")) a.fail("Expected EARLIER");
      a.expect(')');
      a.sp();
      u.earlier = true;
    }
    u.numbers = expand_sequence_set(a.word(), max_numbers);
    a.end();
    return u;
  }
  u.text.assign(text);
  return u;
}

}  // namespace mailroom::imap
