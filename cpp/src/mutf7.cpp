#include "mailroom/mutf7.hpp"

#include "mailroom/utf8.hpp"

#include <cstdint>
#include <vector>

namespace mailroom {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

// The next code point of UTF-8 text at `i` (advanced past it).
char32_t next_code_point(std::string_view s, std::size_t& i) {
  const std::size_t len = utf8_sequence(s, i);
  if (len == 0) throw InvalidModifiedUtf7("not UTF-8");
  static constexpr unsigned char kLeadBits[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  char32_t cp = static_cast<unsigned char>(s[i]) & kLeadBits[len];
  for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

bool printable(char32_t c) { return c >= 0x20 && c <= 0x7E; }

void flush_shift(std::string& out, const std::vector<std::uint16_t>& units) {
  out.push_back('&');
  std::uint32_t bits = 0;
  int nbits = 0;
  for (std::uint16_t u : units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out.push_back(kAlphabet[(bits >> nbits) & 0x3F]);
    }
  }
  if (nbits > 0) out.push_back(kAlphabet[(bits << (6 - nbits)) & 0x3F]);
  out.push_back('-');
}

}  // namespace

std::string to_modified_utf7(std::string_view utf8) {
  std::string out;
  std::vector<std::uint16_t> units;
  std::size_t i = 0;
  while (i < utf8.size()) {
    const char32_t cp = next_code_point(utf8, i);
    if (printable(cp)) {
      if (!units.empty()) {
        flush_shift(out, units);
        units.clear();
      }
      if (cp == '&')
        out += "&-";
      else
        out.push_back(static_cast<char>(cp));
      continue;
    }
    if (cp >= 0x10000) {
      const char32_t v = cp - 0x10000;
      units.push_back(static_cast<std::uint16_t>(0xD800 | (v >> 10)));
      units.push_back(static_cast<std::uint16_t>(0xDC00 | (v & 0x3FF)));
    } else {
      units.push_back(static_cast<std::uint16_t>(cp));
    }
  }
  if (!units.empty()) flush_shift(out, units);
  return out;
}

std::string from_modified_utf7(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) throw InvalidModifiedUtf7("an 8-bit byte (modified UTF-7 is 7-bit)");
    if (c != '&') {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    const std::size_t end = s.find('-', i + 1);
    if (end == std::string_view::npos) throw InvalidModifiedUtf7("a '&' shift is not closed by '-'");
    if (end == i + 1) {  // "&-" is '&'
      out.push_back('&');
      i = end + 1;
      continue;
    }
    std::uint32_t bits = 0;
    int nbits = 0;
    char16_t high = 0;  // a pending high surrogate
    for (std::size_t k = i + 1; k < end; ++k) {
      const int v = sextet(s[k]);
      if (v < 0) throw InvalidModifiedUtf7(std::string("'") + s[k] + "' inside a '&' shift");
      bits = (bits << 6) | static_cast<std::uint32_t>(v);
      nbits += 6;
      if (nbits < 16) continue;
      nbits -= 16;
      const auto unit = static_cast<char16_t>((bits >> nbits) & 0xFFFF);
      bits &= (1u << nbits) - 1;
      if (high) {
        if (unit < 0xDC00 || unit > 0xDFFF) throw InvalidModifiedUtf7("a lone high surrogate");
        append_utf8(out, 0x10000 + ((char32_t(high) - 0xD800) << 10) + (unit - 0xDC00));
        high = 0;
      } else if (unit >= 0xD800 && unit <= 0xDBFF) {
        high = unit;
      } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
        throw InvalidModifiedUtf7("a lone low surrogate");
      } else if (printable(unit)) {
        throw InvalidModifiedUtf7("printable ASCII inside a '&' shift (it must stand for itself)");
      } else {
        append_utf8(out, unit);
      }
    }
    if (high) throw InvalidModifiedUtf7("a lone high surrogate");
    if (nbits >= 6 || bits != 0) throw InvalidModifiedUtf7("leftover bits at the end of a '&' shift");
    i = end + 1;
  }
  return out;
}

}  // namespace mailroom
