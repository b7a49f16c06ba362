#include "mailroom/smtp/path.hpp"

#include "mailroom/utf8.hpp"

#include <cstdint>

namespace mailroom::smtp {

namespace {

bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_8bit(unsigned char c) { return c >= 0x80; }

// RFC 5322 atext, plus UTF-8 octets (RFC 6531 §3.3).
bool is_atext(unsigned char c) {
  if (is_alpha(c) || is_digit(c) || is_8bit(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
    case '+': case '-': case '/': case '=': case '?': case '^': case '_':
    case '`': case '{': case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

// Dot-string = Atom *("." Atom)
bool valid_dot_string(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!is_atext(c)) {
      return false;
    }
    prev = ch;
  }
  return true;
}

// Quoted-string = DQUOTE *QcontentSMTP DQUOTE
bool valid_quoted_string(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      if (i + 2 >= s.size()) return false;  // the escape would eat the DQUOTE
      const auto e = static_cast<unsigned char>(s[++i]);
      if (e < 32 || e > 126) return false;
    } else if (c == '"' || (c < 32 && c != 0) || c == 127 || c == 0) {
      return false;
    }
  }
  return true;
}

// Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str]
// (U-labels allowed as raw UTF-8), or an address-literal "[...]".
bool valid_domain(std::string_view d) {
  if (d.empty()) return false;
  if (d.front() == '[') {
    if (d.size() < 3 || d.back() != ']') return false;
    for (std::size_t i = 1; i + 1 < d.size(); ++i) {
      const auto c = static_cast<unsigned char>(d[i]);
      if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\') return false;
    }
    return true;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = d.find('.', start);
    const std::string_view label =
        d.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    for (std::size_t i = 0; i < label.size(); ++i) {
      const auto c = static_cast<unsigned char>(label[i]);
      const bool ok = is_alpha(c) || is_digit(c) || is_8bit(c) ||
                      (c == '-' && i != 0 && i + 1 != label.size());
      if (!ok) return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

// RFC 5321 §4.1.1.1: "EHLO" SP ( Domain / address-literal ). Two tolerances
// real clients need: '_' in labels (Windows host names) and a final dot.
// Parentheses are refused even where an address literal's dcontent would
// allow them: the name goes into Received:, where "(...)" is TCP-info.
bool valid_helo_name(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  if (s.front() == '[') return valid_domain(s) && s.find_first_of("()") == std::string_view::npos;
  if (s.size() > 1 && s.back() == '.') s.remove_suffix(1);
  std::string name(s);
  for (char& c : name)
    if (c == '_') c = 'x';
  return valid_domain(name);
}

namespace {

// A-d-l = At-domain *( "," At-domain ); At-domain = "@" Domain
bool valid_source_route(std::string_view s) {
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = s.find(',', start);
    const std::string_view part =
        s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (part.size() < 2 || part.front() != '@' || !valid_domain(part.substr(1))) return false;
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

bool valid_keyword(std::string_view k) {
  if (k.empty()) return false;
  for (std::size_t i = 0; i < k.size(); ++i) {
    const auto c = static_cast<unsigned char>(k[i]);
    if (!(is_alpha(c) || is_digit(c) || (c == '-' && i != 0))) return false;
  }
  return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 (RFC 6531 §3.3)
bool valid_value(std::string_view v) {
  if (v.empty()) return false;
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (!((c >= 33 && c <= 126 && c != '=') || is_8bit(c))) return false;
  }
  return true;
}

}  // namespace

PathSyntax parse_path_argument(std::string_view arg, PathArgument& out) {
  out = PathArgument{};
  std::size_t i = 0;
  while (i < arg.size() && arg[i] == ' ') ++i;
  if (i >= arg.size() || arg[i] != '<') return PathSyntax::NoBrackets;
  ++i;
  // Find the closing ">", stepping over quoted strings (which may hold ">").
  const std::size_t begin = i;
  bool quoted = false;
  for (; i < arg.size(); ++i) {
    const char c = arg[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '>') {
      break;
    } else if (c == '<') {
      return PathSyntax::BadMailbox;
    }
  }
  if (i >= arg.size()) return PathSyntax::NoBrackets;
  std::string_view path = arg.substr(begin, i - begin);
  const std::string_view rest = arg.substr(i + 1);

  if (path.empty()) {
    out.null_path = true;
  } else {
    if (path.front() == '@') {  // source route, RFC 5321 §4.1.2 / Appendix C
      const std::size_t colon = path.find(':');
      if (colon == std::string_view::npos || !valid_source_route(path.substr(0, colon)))
        return PathSyntax::BadMailbox;
      path.remove_prefix(colon + 1);
    }
    // Split local-part @ domain at the last "@" outside a quoted string.
    std::size_t at = std::string_view::npos;
    bool q = false;
    for (std::size_t k = 0; k < path.size(); ++k) {
      if (q) {
        if (path[k] == '\\') ++k;
        else if (path[k] == '"') q = false;
      } else if (path[k] == '"') {
        q = true;
      } else if (path[k] == '@') {
        at = k;
      }
    }
    const std::string_view local = at == std::string_view::npos ? path : path.substr(0, at);
    const bool local_ok = !local.empty() && (local.front() == '"' ? valid_quoted_string(local)
                                                                   : valid_dot_string(local));
    if (!local_ok) return PathSyntax::BadMailbox;
    if (at != std::string_view::npos) {
      if (!valid_domain(path.substr(at + 1))) return PathSyntax::BadMailbox;
      out.has_domain = true;
    }
    out.mailbox.assign(path);
    for (char c : path)
      if (is_8bit(static_cast<unsigned char>(c))) out.eight_bit = true;
  }

  // Parameters: SP-separated keyword[=value].
  std::size_t p = 0;
  if (!rest.empty() && rest[0] != ' ') return PathSyntax::BadParams;
  while (p < rest.size()) {
    while (p < rest.size() && rest[p] == ' ') ++p;
    if (p >= rest.size()) break;
    std::size_t e = rest.find(' ', p);
    if (e == std::string_view::npos) e = rest.size();
    const std::string_view tok = rest.substr(p, e - p);
    p = e;
    EsmtpParam param;
    const std::size_t eq = tok.find('=');
    const std::string_view key = tok.substr(0, eq);
    if (!valid_keyword(key)) return PathSyntax::BadParams;
    if (eq != std::string_view::npos) {
      const std::string_view value = tok.substr(eq + 1);
      if (!valid_value(value)) return PathSyntax::BadParams;
      param.value.assign(value);
      param.has_value = true;
    }
    param.keyword.reserve(key.size());
    for (char c : key) param.keyword.push_back(c >= 'a' && c <= 'z' ? char(c - 32) : c);
    out.params.push_back(std::move(param));
  }
  return PathSyntax::Ok;
}

const char* path_length_error(std::string_view mailbox) {
  const std::size_t at = mailbox.rfind('@');
  const std::size_t local = at == std::string_view::npos ? mailbox.size() : at;
  if (local > 64) return "the local part is longer than 64 octets (RFC 5321 4.5.3.1.1)";
  if (at != std::string_view::npos && mailbox.size() - at - 1 > 255)
    return "the domain is longer than 255 octets (RFC 5321 4.5.3.1.2)";
  if (mailbox.size() + 2 > 256) return "the path is longer than 256 octets (RFC 5321 4.5.3.1.3)";
  return nullptr;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0, n; i < s.size(); i += n)
    if ((n = utf8_sequence(s, i)) == 0) return false;
  return true;
}

}  // namespace mailroom::smtp
