// libFuzzer target for UTF-8 into fixed-width code points: the input is
// measured and decoded into a buffer of exactly the measured size (ASan sees a
// write past it), and must agree with a plain decoder written from RFC 3629
// §4's table: valid exactly when that one says so, and then the same code
// points, the same count and the narrowest width that holds them.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "mailroom/mime/utf8_code_points.hpp"

using namespace mailroom::mime;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// The code points of `s`, or false when it is not well-formed UTF-8.
bool reference_decode(std::string_view s, std::u32string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned b = p[i];
    std::size_t len = 0;
    char32_t c = 0, lo = 0;
    if (b < 0x80) len = 1, c = b, lo = 0;
    else if (b >= 0xC0 && b < 0xE0) len = 2, c = b & 0x1F, lo = 0x80;
    else if (b >= 0xE0 && b < 0xF0) len = 3, c = b & 0x0F, lo = 0x800;
    else if (b >= 0xF0 && b < 0xF8) len = 4, c = b & 0x07, lo = 0x10000;
    else return false;
    if (s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      c = c << 6 | (p[i + k] & 0x3F);
    }
    if (c < lo || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    out += c;
    i += len;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::u32string want;
  const bool valid = reference_decode(text, want);
  const Utf8Measure m = measure_utf8(text);
  const std::size_t unit = m.width == CodePointWidth::bmp      ? 2
                           : m.width == CodePointWidth::astral ? 4
                                                               : 1;
  const std::size_t bytes = m.code_points * unit;
  auto out = std::make_unique<unsigned char[]>(bytes + 1);  // +1: never size 0
  const bool ok = decode_utf8_to(text, m, out.get());
  check(ok == valid);
  if (!valid) return 0;
  check(m.code_points == want.size());
  char32_t widest = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    std::uint32_t c = 0;
    if (unit == 1) c = out[i];
    if (unit == 2) {
      std::uint16_t u;
      std::memcpy(&u, out.get() + i * 2, 2);
      c = u;
    }
    if (unit == 4) std::memcpy(&c, out.get() + i * 4, 4);
    check(c == want[i]);
    if (want[i] > widest) widest = want[i];
  }
  const CodePointWidth narrowest = widest < 0x80      ? CodePointWidth::ascii
                                   : widest < 0x100   ? CodePointWidth::latin1
                                   : widest < 0x10000 ? CodePointWidth::bmp
                                                      : CodePointWidth::astral;
  check(m.width == narrowest);
  return 0;
}
