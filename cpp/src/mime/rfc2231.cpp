// RFC 2231 parameter values: "charset'language'%XX" decoding, and encoding
// of one parameter with continuations.
#include <algorithm>
#include <string>
#include <vector>

#include "header_fold.hpp"
#include "mailroom/mime/codecs.hpp"

namespace mailroom::mime {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 2231 / RFC 5987 attr-char: written as itself in an extended value.
inline bool attr_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// RFC 2045 token character, less the ones RFC 2231 gives a meaning ('*', '\'',
// '%'): such values are written unquoted.
inline bool token_char(unsigned char c) {
  return c > 0x20 && c < 0x7F &&
         std::string_view("()<>@,;:\\\"/[]?='*%").find(static_cast<char>(c)) == std::string_view::npos;
}

// Lays `units` out as name*0=, name*1=... pieces of at most `kRoom` columns.
constexpr std::size_t kRoom = detail::kMaxHeaderLine - 2;  // " " before, ";" after

std::string join_pieces(const std::string& name, const std::vector<std::string>& units,
                        bool extended) {
  std::string out;
  std::size_t k = 0;
  for (int n = 0; k < units.size(); ++n) {
    std::string piece = name + "*" + std::to_string(n) +
                        (extended ? (n == 0 ? "*=utf-8''" : "*=") : "=\"");
    const std::size_t start = piece.size();
    const std::size_t tail = extended ? 0 : 1;
    while (k < units.size() &&
           (piece.size() + units[k].size() + tail <= kRoom || piece.size() == start)) {
      piece += units[k];
      ++k;
    }
    if (!extended) piece += '"';
    if (!out.empty()) out += ";\r\n ";
    out += piece;
  }
  return out;
}

}  // namespace

std::string rfc2231_decode(std::string_view value, bool* bad) {
  std::string_view charset;
  const std::size_t q1 = value.find('\'');
  const std::size_t q2 = q1 == std::string_view::npos ? q1 : value.find('\'', q1 + 1);
  if (q2 != std::string_view::npos) {
    charset = value.substr(0, q1);
    value = value.substr(q2 + 1);
  }
  bool any_bad = false;
  std::string bytes;
  bytes.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '%') {
      if (i + 2 < value.size() && hex_value(value[i + 1]) >= 0 && hex_value(value[i + 2]) >= 0) {
        bytes.push_back(static_cast<char>(hex_value(value[i + 1]) * 16 + hex_value(value[i + 2])));
        i += 2;
        continue;
      }
      any_bad = true;
    }
    bytes.push_back(value[i]);
  }
  std::string out;
  // No charset given: take the bytes as UTF-8 (what senders mean in practice).
  if (!to_utf8(bytes, charset.empty() ? std::string_view("utf-8") : charset, out, &any_bad))
    any_bad = true;
  if (bad != nullptr) *bad = any_bad;
  return out;
}

std::string encode_param(std::string_view name, std::string_view utf8_value) {
  bool ascii = true, token = !utf8_value.empty();
  for (unsigned char c : utf8_value) {
    if (c >= 0x7F || (c < 0x20 && c != '\t')) ascii = false;
    if (!token_char(c)) token = false;
  }
  const std::string sname(name);
  if (ascii) {
    if (token && sname.size() + 1 + utf8_value.size() <= kRoom)
      return sname + "=" + std::string(utf8_value);
    std::string quoted;
    for (char c : utf8_value) {
      if (c == '"' || c == '\\') quoted.push_back('\\');
      quoted.push_back(c);
    }
    if (sname.size() + 3 + quoted.size() <= kRoom) return sname + "=\"" + quoted + "\"";
    // Long: name*0="..."; name*1="..." (never splitting an escape).
    std::vector<std::string> units;
    for (std::size_t i = 0; i < quoted.size(); ++i) {
      const std::size_t len = quoted[i] == '\\' && i + 1 < quoted.size() ? 2 : 1;
      units.emplace_back(quoted.substr(i, len));
      i += len - 1;
    }
    return join_pieces(sname, units, false);
  }
  // Non-ASCII: percent-encoded UTF-8, split only before a character.
  std::vector<std::string> chars;  // each UTF-8 character, percent-encoded
  for (std::size_t i = 0; i < utf8_value.size();) {
    const auto c = static_cast<unsigned char>(utf8_value[i]);
    std::size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (i + len > utf8_value.size()) len = utf8_value.size() - i;
    std::string enc;
    for (std::size_t k = 0; k < len; ++k) {
      const auto b = static_cast<unsigned char>(utf8_value[i + k]);
      if (attr_char(b)) {
        enc.push_back(static_cast<char>(b));
      } else {
        enc.push_back('%');
        enc.push_back(kHex[b >> 4]);
        enc.push_back(kHex[b & 15]);
      }
    }
    chars.push_back(std::move(enc));
    i += len;
  }
  std::string whole = sname + "*=utf-8''";
  for (const auto& c : chars) whole += c;
  if (whole.size() <= kRoom) return whole;
  return join_pieces(sname, chars, true);
}

}  // namespace mailroom::mime
