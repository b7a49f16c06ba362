// parse_content_field: Content-Type and Content-Disposition values with their
// parameters (RFC 2045 §5.1), RFC 2231 continuations and charsets, and the
// common violation of RFC 2047 encoded-words inside quoted parameter values.
#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/header_fields.hpp"

namespace mailroom::mime {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return s_[i_]; }
  void bump() { ++i_; }

  // Skips whitespace and (nested) comments.
  void skip_cfws() {
    while (i_ < s_.size()) {
      if (is_space(s_[i_])) {
        ++i_;
      } else if (s_[i_] == '(') {
        int level = 0;
        while (i_ < s_.size()) {
          char c = s_[i_++];
          if (c == '\\') {
            if (i_ < s_.size()) ++i_;
          } else if (c == '(') {
            ++level;
          } else if (c == ')') {
            if (--level == 0) break;
          }
        }
      } else {
        break;
      }
    }
  }

  // Quoted string after the opening quote; false when unterminated.
  bool quoted(std::string& out) {
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (c == '\\' && i_ < s_.size()) {
        out.push_back(s_[i_++]);
      } else if (c == '\r' || c == '\n') {
        // unfolding
      } else {
        out.push_back(c);
      }
    }
    return false;
  }

  void skip_to_semicolon() {
    bool in_quote = false;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (in_quote) {
        if (c == '\\') ++i_;
        else if (c == '"') in_quote = false;
      } else if (c == '"') {
        in_quote = true;
      } else if (c == ';') {
        return;
      }
      ++i_;
    }
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

struct Section {
  unsigned number = 0;
  bool extended = false;
  std::string value;
};

struct RawParam {
  std::string name;  // base name, lower-cased
  bool has_plain = false;
  std::string plain;
  std::vector<Section> sections;
};

std::string percent_decode(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size()) {
      int h = hex_value(v[i + 1]);
      int l = hex_value(v[i + 2]);
      if (h >= 0 && l >= 0) {
        out.push_back(static_cast<char>(h * 16 + l));
        i += 2;
        continue;
      }
    }
    out.push_back(v[i]);
  }
  return out;
}

bool needs_header_decoding(std::string_view v) {
  if (v.find("=?") != std::string_view::npos) return true;
  return std::any_of(v.begin(), v.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

std::string assemble(RawParam& p) {
  if (p.sections.empty()) {
    if (needs_header_decoding(p.plain)) return decode_header(p.plain);
    return p.plain;
  }
  std::stable_sort(p.sections.begin(), p.sections.end(),
                   [](const Section& a, const Section& b) { return a.number < b.number; });
  std::string charset;
  std::string bytes;
  bool any_extended = false;
  for (std::size_t k = 0; k < p.sections.size(); ++k) {
    Section& s = p.sections[k];
    if (k > 0 && s.number == p.sections[k - 1].number) continue;  // duplicate section
    if (s.extended) {
      std::string_view v = s.value;
      if (k == 0) {
        std::size_t q1 = v.find('\'');
        std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
        if (q2 != std::string_view::npos) {
          charset = std::string(v.substr(0, q1));
          v = v.substr(q2 + 1);
        }
      }
      bytes += percent_decode(v);
      any_extended = true;
    } else {
      bytes += s.value;
    }
  }
  if (!any_extended) {
    if (needs_header_decoding(bytes)) return decode_header(bytes);
    return bytes;
  }
  std::string out;
  to_utf8(bytes, charset.empty() ? std::string_view("utf-8") : std::string_view(charset),
          out);
  return out;
}

}  // namespace

ContentField parse_content_field(std::string_view raw) {
  ContentField f;
  Reader r(raw);
  r.skip_cfws();
  while (!r.done() && r.peek() != ';') {
    char c = r.peek();
    if (c == '(') {
      r.skip_cfws();
      continue;
    }
    if (c == '"') {  // not allowed here; take its content
      r.bump();
      std::string q;
      if (!r.quoted(q)) f.malformed = true;
      for (char x : q) f.value.push_back(lower(x));
      continue;
    }
    if (!is_space(c)) f.value.push_back(lower(c));
    r.bump();
  }
  if (f.value.empty()) f.malformed = true;

  std::vector<RawParam> raw_params;
  std::unordered_map<std::string, std::size_t> index;
  while (!r.done()) {
    // at ';'
    r.bump();
    r.skip_cfws();
    if (r.done()) break;
    if (r.peek() == ';') continue;
    std::string name;
    while (!r.done() && r.peek() != '=' && r.peek() != ';' && !is_space(r.peek()) &&
           r.peek() != '(' && r.peek() != '"') {
      name.push_back(lower(r.peek()));
      r.bump();
    }
    r.skip_cfws();
    if (name.empty() || r.done() || r.peek() != '=') {
      f.malformed = true;
      r.skip_to_semicolon();
      continue;
    }
    r.bump();  // '='
    r.skip_cfws();
    std::string value;
    if (!r.done() && r.peek() == '"') {
      r.bump();
      if (!r.quoted(value)) f.malformed = true;
      r.skip_cfws();
      if (!r.done() && r.peek() != ';') {
        f.malformed = true;
        r.skip_to_semicolon();
      }
    } else {
      // token; lenient: up to ';' with inner spaces kept, outer trimmed
      while (!r.done() && r.peek() != ';') {
        char c = r.peek();
        if (c == '\r' || c == '\n') {
          r.bump();
          continue;
        }
        value.push_back(c);
        r.bump();
      }
      while (!value.empty() && is_space(value.back())) value.pop_back();
    }

    // RFC 2231: name*, name*N, name*N*
    std::string base = name;
    bool extended = false;
    long section = -1;
    std::size_t star = name.find('*');
    if (star != std::string::npos) {
      base = name.substr(0, star);
      std::string_view rest = std::string_view(name).substr(star + 1);
      if (rest.empty()) {
        extended = true;
        section = 0;
      } else {
        std::size_t k = 0;
        long num = 0;
        while (k < rest.size() && rest[k] >= '0' && rest[k] <= '9' && num < 100000) {
          num = num * 10 + (rest[k] - '0');
          ++k;
        }
        if (k == 0 || num >= 100000) {
          f.malformed = true;
          continue;
        }
        section = num;
        rest = rest.substr(k);
        if (rest == "*") extended = true;
        else if (!rest.empty()) {
          f.malformed = true;
          continue;
        }
      }
    }
    if (base.empty()) {
      f.malformed = true;
      continue;
    }
    auto [at, fresh] = index.try_emplace(base, raw_params.size());
    if (fresh) raw_params.push_back(RawParam{base, false, {}, {}});
    RawParam* p = &raw_params[at->second];
    if (section < 0) {
      if (!p->has_plain) {
        p->has_plain = true;
        p->plain = std::move(value);
      }
    } else {
      p->sections.push_back(Section{static_cast<unsigned>(section), extended, std::move(value)});
    }
  }
  f.params.reserve(raw_params.size());
  for (RawParam& p : raw_params) f.params.emplace_back(p.name, assemble(p));
  return f;
}

}  // namespace mailroom::mime
