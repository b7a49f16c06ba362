// parse_address_argument: addresses a program passes in (Message.build's to=,
// send's recipients=, the CLI's --to), read strictly. What parse_address_list
// forgives in a header that arrived (folding, obsolete CFWS between the atoms
// of a local part, groups) would here turn "b@x.test\r\nBcc: c@y.test" into a
// header injection, or "b@x.test c@y.test" into one address no one owns.
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/mime/header_fields.hpp"

namespace mailroom::mime {
namespace {

// The value as an error message shows it: in double quotes, control
// characters escaped.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '"' || c == '\\') (out += '\\') += c;
    else if (u < 0x20 || u == 0x7f) {
      static const char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

[[noreturn]] void refuse(std::string_view what, std::string_view value, const std::string& why) {
  throw std::invalid_argument(std::string(what) + " " + quoted(value) + ": " + why);
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

bool is_atext(char c) {
  if (static_cast<unsigned char>(c) >= 0x80) return true;  // UTF-8 (RFC 6532)
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// RFC 5322 §3.2.3 dot-atom-text: atoms joined by single dots.
bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!is_atext(s[i])) {
      return false;
    }
  }
  return true;
}

// A quoted-string spanning all of `s` (§3.2.4).
bool is_quoted_string(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\') {
      if (++i + 1 >= s.size()) return false;
    } else if (s[i] == '"') {
      return false;
    }
  }
  return true;
}

// A domain literal spanning all of `s`: "[" dtext* "]" (RFC 5322 §3.4.1), as
// "[192.0.2.1]" or "[IPv6:2001:db8::1]"; no white space, brackets or '\\'.
bool is_domain_literal(std::string_view s) {
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') return false;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\') return false;
  }
  return true;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// Walks `s` keeping track of quoted strings, comments, angle brackets and
// domain literals; `on(i, top)` sees each index, `top` when outside all of
// them. Returns an error text for an unbalanced construct, else empty.
template <class F>
std::string scan(std::string_view s, F&& on) {
  bool quote = false, literal = false;
  int comment = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote || comment > 0) {
      if (c == '\\') {
        ++i;
        continue;
      }
      if (quote && c == '"') quote = false;
      else if (comment > 0 && c == '(') ++comment;
      else if (comment > 0 && c == ')') --comment;
      on(i, false);
      continue;
    }
    if (literal) {
      if (c == ']') literal = false;
      on(i, false);
      continue;
    }
    if (c == '"') quote = true;
    else if (c == '(') comment = 1;
    else if (c == '[') literal = true;
    on(i, !quote && comment == 0 && !literal);
  }
  if (quote) return "a quoted string is not closed";
  if (comment > 0) return "a comment '(' is not closed";
  if (literal) return "a domain literal '[' is not closed";
  return {};
}

// The addr-spec of RFC 5322 §3.4.1 in its strict form: a dot-atom or a
// quoted string, '@', a dot-atom or a domain literal; no white space.
void check_addr_spec(std::string_view what, std::string_view element, std::string_view spec) {
  std::size_t at = std::string_view::npos;
  int ats = 0;
  bool space = false;
  scan(spec, [&](std::size_t i, bool top) {
    if (!top) return;
    if (spec[i] == '@') {
      at = i;
      ++ats;
    } else if (is_blank(spec[i])) {
      space = true;
    }
  });
  if (spec.empty()) refuse(what, element, "no address between '<' and '>'");
  if (space)
    refuse(what, element,
           "white space inside the address: two addresses? Separate them with a comma "
           "(or pass a list); a display name goes before <address>");
  if (ats == 0) refuse(what, element, "no '@': an address is local-part@domain");
  if (ats > 1) refuse(what, element, "more than one '@' (quote the local part if it has one)");
  const std::string_view local = spec.substr(0, at), domain = spec.substr(at + 1);
  if (!is_dot_atom(local) && !is_quoted_string(local))
    refuse(what, element, "the local part before '@' is not a valid one (quote it)");
  if (!is_dot_atom(domain) && !is_domain_literal(domain))
    refuse(what, element, "the domain after '@' is not a valid one");
}

// One mailbox: an addr-spec, or a display name and <addr-spec>, with
// comments allowed around it.
void check_mailbox(std::string_view what, std::string_view element) {
  std::size_t open = std::string_view::npos, close = std::string_view::npos;
  int opens = 0, closes = 0;
  bool group = false;
  std::string error = scan(element, [&](std::size_t i, bool top) {
    if (!top) return;
    const char c = element[i];
    if (c == '<') {
      open = i;
      ++opens;
    } else if (c == '>') {
      close = i;
      ++closes;
    } else if ((c == ':' || c == ';') && opens == closes) {
      group = true;
    }
  });
  if (!error.empty()) refuse(what, element, error);
  if (group) refuse(what, element, "a group (name: ...;) is not one address");
  if (opens != closes || opens > 1 || (opens == 1 && close < open))
    refuse(what, element, "unbalanced '<' and '>'");
  if (opens == 1) {
    // Only white space or comments may follow '>'.
    std::string_view after = element.substr(close + 1);
    std::string rest;
    scan(after, [&](std::size_t i, bool top) {
      if (top && after[i] != '(' && !is_blank(after[i])) rest += after[i];
    });
    if (!rest.empty()) refuse(what, element, "text after '>'");
    std::string_view phrase = element.substr(0, open);
    bool at_in_phrase = false;
    scan(phrase, [&](std::size_t i, bool top) { at_in_phrase |= top && phrase[i] == '@'; });
    if (at_in_phrase)
      refuse(what, element, "an '@' in the display name before '<' (quote the name)");
    check_addr_spec(what, element, trimmed(element.substr(open + 1, close - open - 1)));
    return;
  }
  // No angle brackets: an addr-spec, perhaps with comments ("bob@x.test
  // (Bob)"); each comment becomes a space, quoted strings and literals stay.
  std::string spec;
  int depth = 0;
  bool quote = false, literal = false;
  for (std::size_t i = 0; i < element.size(); ++i) {
    const char c = element[i];
    if (depth > 0) {
      if (c == '\\') ++i;
      else if (c == '(') ++depth;
      else if (c == ')' && --depth == 0) spec += ' ';
      continue;
    }
    if (quote) {
      spec += c;
      if (c == '\\' && i + 1 < element.size()) spec += element[++i];
      else if (c == '"') quote = false;
      continue;
    }
    if (literal) {
      spec += c;
      if (c == ']') literal = false;
      continue;
    }
    if (c == '(') {
      depth = 1;
      continue;
    }
    if (c == '"') quote = true;
    if (c == '[') literal = true;
    spec += c;
  }
  check_addr_spec(what, element, trimmed(spec));
}

}  // namespace

std::vector<Address> parse_address_argument(std::string_view value, std::string_view what) {
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0')
      refuse(what, value, "CR, LF or NUL in an address (a header injection?)");
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) refuse(what, value, "a control character in an address");
  }
  // Split at the commas outside quotes, comments, <...> and [...].
  std::vector<std::string_view> elements;
  std::size_t start = 0;
  int angle = 0;
  std::string error = scan(value, [&](std::size_t i, bool top) {
    if (!top) return;
    if (value[i] == '<') ++angle;
    else if (value[i] == '>' && angle > 0) --angle;
    else if (value[i] == ',' && angle == 0) {
      elements.push_back(value.substr(start, i - start));
      start = i + 1;
    }
  });
  if (!error.empty()) refuse(what, value, error);
  elements.push_back(value.substr(start));
  if (elements.size() == 1 && trimmed(elements[0]).empty()) refuse(what, value, "no address");
  std::vector<Address> out;
  for (std::string_view raw : elements) {
    const std::string_view element = trimmed(raw);
    if (element.empty()) refuse(what, value, "an empty address between commas");
    check_mailbox(what, element);
    std::vector<Address> found = parse_address_list(element);
    if (found.size() != 1 || found[0].address.empty())
      refuse(what, element, "not one address");
    // An encoded word (RFC 2047) in the display name may decode to anything.
    for (char c : found[0].display_name) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f)
        refuse(what, element, "the display name decodes to a control character or line break");
    }
    out.push_back(std::move(found[0]));
  }
  return out;
}

}  // namespace mailroom::mime
