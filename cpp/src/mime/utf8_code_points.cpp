// UTF-8 into fixed-width code points; see utf8_code_points.hpp. The well-formed
// byte sequences are those of RFC 3629 §4 (Table 3-7 of the Unicode standard):
//   00..7F | C2..DF 80..BF | E0 A0..BF 80..BF | E1..EC 80..BF 80..BF
//   | ED 80..9F 80..BF | EE..EF 80..BF 80..BF | F0 90..BF 80..BF 80..BF
//   | F1..F3 80..BF 80..BF 80..BF | F4 80..8F 80..BF 80..BF
#include "mailroom/mime/utf8_code_points.hpp"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mailroom::mime {
namespace {

bool continues(unsigned char b) { return (b & 0xC0) == 0x80; }

#if defined(__SSE2__)
// Sixteen ASCII bytes at `in` as code units of type Unit at `out` (all
// sixteen written, whatever the bytes are); the count of the leading ASCII
// ones comes back, 16 when all are.
template <class Unit>
unsigned ascii_block(const unsigned char* in, Unit* out) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
  const __m128i zero = _mm_setzero_si128();
  if constexpr (sizeof(Unit) == 1) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), v);
  } else if constexpr (sizeof(Unit) == 2) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_unpacklo_epi8(v, zero));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 8), _mm_unpackhi_epi8(v, zero));
  } else {
    const __m128i lo = _mm_unpacklo_epi8(v, zero), hi = _mm_unpackhi_epi8(v, zero);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_unpacklo_epi16(lo, zero));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 4), _mm_unpackhi_epi16(lo, zero));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 8), _mm_unpacklo_epi16(hi, zero));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 12), _mm_unpackhi_epi16(hi, zero));
  }
  const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(v));
  return mask == 0 ? 16u : static_cast<unsigned>(__builtin_ctz(mask));
}
#endif

// Decodes into `count` units of Unit, none above `max`.
template <class Unit>
bool decode_units(const unsigned char* p, std::size_t n, Unit* out, std::size_t count,
                  char32_t max) {
  std::size_t i = 0, o = 0;
  while (i < n) {
    if (o == count) return false;
    const unsigned char b = p[i];
    char32_t c = 0;
    if (b < 0x80) {
#if defined(__SSE2__)
      // A run of ASCII, sixteen bytes a step; the step that meets a
      // non-ASCII byte keeps the ASCII before it.
      if (n - i >= 16 && count - o >= 16) {
        unsigned k = 16;
        while (k == 16 && n - i >= 16 && count - o >= 16) {
          k = ascii_block(p + i, out + o);
          i += k;
          o += k;
        }
        continue;
      }
#endif
      c = b;
      i += 1;
    } else if (b < 0xC2) {
      return false;  // a continuation byte, or the lead of an overlong form
    } else if (b < 0xE0) {
      if (n - i < 2 || !continues(p[i + 1])) return false;
      c = (char32_t{b} & 0x1F) << 6 | (p[i + 1] & 0x3F);
      i += 2;
    } else if (b < 0xF0) {
      if (n - i < 3 || !continues(p[i + 1]) || !continues(p[i + 2])) return false;
      if (b == 0xE0 && p[i + 1] < 0xA0) return false;   // overlong
      if (b == 0xED && p[i + 1] >= 0xA0) return false;  // a surrogate
      c = (char32_t{b} & 0x0F) << 12 | (char32_t{p[i + 1]} & 0x3F) << 6 | (p[i + 2] & 0x3F);
      i += 3;
    } else if (b < 0xF5) {
      if (n - i < 4 || !continues(p[i + 1]) || !continues(p[i + 2]) || !continues(p[i + 3])) {
        return false;
      }
      if (b == 0xF0 && p[i + 1] < 0x90) return false;   // overlong
      if (b == 0xF4 && p[i + 1] >= 0x90) return false;  // above U+10FFFF
      c = (char32_t{b} & 0x07) << 18 | (char32_t{p[i + 1]} & 0x3F) << 12 |
          (char32_t{p[i + 2]} & 0x3F) << 6 | (p[i + 3] & 0x3F);
      i += 4;
    } else {
      return false;
    }
    if (c > max) return false;
    out[o++] = static_cast<Unit>(c);
  }
  return o == count;
}

}  // namespace

Utf8Measure measure_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0, continuation = 0;
  unsigned highest = 0;
#if defined(__SSE2__)
  {
    // Continuation bytes (0x80..0xBF, below -64 as signed bytes) counted in
    // byte lanes, summed out every 255 steps before a lane can wrap.
    const __m128i below = _mm_set1_epi8(-64);
    const __m128i zero = _mm_setzero_si128();
    __m128i high = zero;
    while (n - i >= 16) {
      __m128i lanes = zero;
      const std::size_t steps = std::min<std::size_t>((n - i) / 16, 255);
      for (std::size_t s = 0; s < steps; ++s, i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        high = _mm_max_epu8(high, v);
        lanes = _mm_sub_epi8(lanes, _mm_cmplt_epi8(v, below));
      }
      const __m128i sums = _mm_sad_epu8(lanes, zero);
      continuation += static_cast<std::size_t>(_mm_cvtsi128_si32(sums)) +
                      static_cast<std::size_t>(_mm_cvtsi128_si32(_mm_srli_si128(sums, 8)));
    }
    unsigned char bytes[16];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(bytes), high);
    highest = *std::max_element(bytes, bytes + 16);
  }
#endif
  for (; i < n; ++i) {
    highest = std::max<unsigned>(highest, p[i]);
    continuation += continues(p[i]);
  }
  Utf8Measure m;
  m.code_points = n - continuation;
  m.width = highest < 0x80    ? CodePointWidth::ascii
            : highest <= 0xC3 ? CodePointWidth::latin1
            : highest <= 0xEF ? CodePointWidth::bmp
                              : CodePointWidth::astral;
  return m;
}

bool decode_utf8_to(std::string_view text, const Utf8Measure& m, void* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  switch (m.width) {
    case CodePointWidth::ascii:
      // measure_utf8 saw no byte above 0x7F: the text is ASCII as it stands.
      if (m.code_points != n) return false;
      if (n) std::memcpy(out, p, n);
      return true;
    case CodePointWidth::latin1:
      return decode_units(p, n, static_cast<std::uint8_t*>(out), m.code_points, 0xFF);
    case CodePointWidth::bmp:
      return decode_units(p, n, static_cast<std::uint16_t*>(out), m.code_points, 0xFFFF);
    case CodePointWidth::astral:
      return decode_units(p, n, static_cast<std::uint32_t*>(out), m.code_points, 0x10FFFF);
  }
  return false;
}

}  // namespace mailroom::mime
