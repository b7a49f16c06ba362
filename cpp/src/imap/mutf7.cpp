// Modified UTF-7 (RFC 3501 §5.1.3): the alphabet is base64's with ',' for '/',
// no padding; shifted text is UTF-16BE.
#include "mailroom/imap/mutf7.hpp"

#include <cstdint>
#include <vector>

namespace mailroom::imap {

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

bool printable(std::uint32_t c) { return c >= 0x20 && c <= 0x7e; }

void put_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// One code point of UTF-8 at s[i]; advances i. False for invalid UTF-8
// (overlong forms, surrogates, past U+10FFFF, truncated).
bool next_utf8(std::string_view s, std::size_t& i, std::uint32_t& cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  int extra = 0;
  if (b < 0x80) {
    cp = b;
  } else if ((b & 0xe0) == 0xc0) {
    cp = b & 0x1f, extra = 1;
  } else if ((b & 0xf0) == 0xe0) {
    cp = b & 0x0f, extra = 2;
  } else if ((b & 0xf8) == 0xf0) {
    cp = b & 0x07, extra = 3;
  } else {
    return false;
  }
  if (i + static_cast<std::size_t>(extra) >= s.size() && extra > 0) return false;
  for (int k = 1; k <= extra; ++k) {
    const auto c = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((c & 0xc0) != 0x80) return false;
    cp = (cp << 6) | (c & 0x3f);
  }
  static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
  i += static_cast<std::size_t>(extra) + 1;
  return true;
}

void flush_shift(std::string& out, const std::vector<std::uint16_t>& units) {
  out.push_back('&');
  std::uint32_t bits = 0;
  int nbits = 0;
  for (std::uint16_t u : units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out.push_back(kAlphabet[(bits >> nbits) & 0x3f]);
    }
    bits &= (1u << nbits) - 1;
  }
  if (nbits > 0) out.push_back(kAlphabet[(bits << (6 - nbits)) & 0x3f]);
  out.push_back('-');
}

}  // namespace

std::optional<std::string> mutf7_encode(std::string_view utf8) {
  std::string out;
  std::vector<std::uint16_t> units;
  std::size_t i = 0;
  while (i < utf8.size()) {
    std::uint32_t cp = 0;
    if (!next_utf8(utf8, i, cp)) return std::nullopt;
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
      const std::uint32_t v = cp - 0x10000;
      units.push_back(static_cast<std::uint16_t>(0xd800 | (v >> 10)));
      units.push_back(static_cast<std::uint16_t>(0xdc00 | (v & 0x3ff)));
    } else {
      units.push_back(static_cast<std::uint16_t>(cp));
    }
  }
  if (!units.empty()) flush_shift(out, units);
  return out;
}

std::optional<std::string> mutf7_decode(std::string_view wire) {
  std::string out;
  bool last_was_shift = false;
  std::size_t i = 0;
  while (i < wire.size()) {
    const auto c = static_cast<unsigned char>(wire[i]);
    if (!printable(c)) return std::nullopt;
    if (c != '&') {
      out.push_back(static_cast<char>(c));
      last_was_shift = false;
      ++i;
      continue;
    }
    const std::size_t end = wire.find('-', i + 1);
    if (end == std::string_view::npos) return std::nullopt;
    if (end == i + 1) {  // "&-"
      out.push_back('&');
      last_was_shift = false;
      i = end + 1;
      continue;
    }
    if (last_was_shift) return std::nullopt;  // "&AGE-&AGE-" must be one shift
    std::uint32_t bits = 0;
    int nbits = 0;
    std::vector<std::uint16_t> units;
    for (std::size_t k = i + 1; k < end; ++k) {
      const int v = sextet(wire[k]);
      if (v < 0) return std::nullopt;
      bits = (bits << 6) | static_cast<std::uint32_t>(v);
      nbits += 6;
      if (nbits >= 16) {
        nbits -= 16;
        units.push_back(static_cast<std::uint16_t>((bits >> nbits) & 0xffff));
        bits &= (1u << nbits) - 1;
      }
    }
    if (nbits >= 6 || bits != 0) return std::nullopt;  // padding must be zero bits
    for (std::size_t k = 0; k < units.size(); ++k) {
      std::uint32_t cp = units[k];
      if (cp >= 0xd800 && cp <= 0xdbff) {
        if (k + 1 >= units.size() || units[k + 1] < 0xdc00 || units[k + 1] > 0xdfff)
          return std::nullopt;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (units[k + 1] - 0xdc00);
        ++k;
      } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        return std::nullopt;
      } else if (printable(cp)) {
        return std::nullopt;  // printable ASCII is never shifted
      }
      put_utf8(out, cp);
    }
    last_was_shift = true;
    i = end + 1;
  }
  return out;
}

}  // namespace mailroom::imap
