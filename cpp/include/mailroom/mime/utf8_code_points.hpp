// UTF-8 into fixed-width code points (Latin-1 bytes, UCS-2 or UCS-4 units):
// what a caller that builds strings of one width per string (a Python str,
// PEP 393) needs, in two steps. measure_utf8 counts the code points and finds
// the widest; the caller allocates exactly that; decode_utf8_to fills it and
// checks the input is valid UTF-8 as it goes (RFC 3629 §3-4: no overlong
// forms, no surrogates, nothing above U+10FFFF), so text that is not valid
// UTF-8 is found there and the caller can take another way with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mailroom::mime {

// The widest code point of a text, by the code unit it needs.
enum class CodePointWidth : std::uint8_t {
  ascii,   // U+0000..U+007F
  latin1,  // up to U+00FF
  bmp,     // up to U+FFFF
  astral,  // up to U+10FFFF
};

struct Utf8Measure {
  std::size_t code_points = 0;
  CodePointWidth width = CodePointWidth::ascii;
};

// The code point count and width of `text`, exact when it is valid UTF-8; for
// other input some count and width, which decode_utf8_to then rejects. No
// validation: one pass counting the bytes that do not continue a sequence and
// taking the highest lead byte (0xC3 and below lead Latin-1, 0xEF and below
// the BMP).
Utf8Measure measure_utf8(std::string_view text);

// Decodes `text` into `out`, room for exactly `m.code_points` code units of
// m.width (1, 2 or 4 bytes each, host byte order; ASCII is 1 byte). True when
// `text` is valid UTF-8 of exactly that many code points of at most that
// width; false (and `out` partly written, never past its end) otherwise.
bool decode_utf8_to(std::string_view text, const Utf8Measure& m, void* out);

}  // namespace mailroom::mime
