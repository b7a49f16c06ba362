// x86 vector loops for base64 decoding, after Wojciech Muła and Daniel Lemire,
// "Faster Base64 Encoding and Decoding Using AVX2 Instructions" (2018): each
// character's high and low nibble index two 16-entry tables whose AND is zero
// exactly for the 64 alphabet characters; a third table keyed by the high
// nibble (and '/') gives the offset from the character to its 6-bit value;
// then multiply-adds pack four 6-bit values into 24 bits and a shuffle puts
// the three bytes in order. Compiled for their instruction set with target
// attributes and chosen at run time, so the library runs on any x86-64.
#include "base64_blocks.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <bit>
#include <cstdint>

namespace mailroom::mime::base64_blocks {
namespace {

// The lookup tables (the same 16 entries in each 128-bit lane).
#define MAILROOM_B64_LUT_LO                                                              \
  0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A, 0x1B, 0x1B, \
      0x1B, 0x1A
#define MAILROOM_B64_LUT_HI                                                              \
  0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, \
      0x10, 0x10
#define MAILROOM_B64_LUT_ROLL 0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0
#define MAILROOM_B64_PACK 2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1

// How many characters of a block of `width` to keep: all when every one is in
// the alphabet, else the whole quartets before the first that is not.
inline unsigned kept(std::uint32_t invalid, unsigned width) {
  return invalid == 0 ? width : static_cast<unsigned>(std::countr_zero(invalid)) & ~3u;
}

// The length of a line end (CRLF or a bare LF) at `p`, else 0; at least two
// bytes are readable there. Between quartets the decoder's careful loop skips
// one without a word, so a vector loop goes on after it rather than return
// for every line of a body (76 characters and CRLF, RFC 2045 §6.8).
inline unsigned line_end_at(const unsigned char* p) {
  return p[0] == '\r' && p[1] == '\n' ? 2u : p[0] == '\n' ? 1u : 0u;
}

__attribute__((target("ssse3"))) std::size_t decode_ssse3(const unsigned char* in,
                                                           std::size_t n,
                                                           unsigned char*& out_end) {
  unsigned char* out = out_end;  // in a register, stored once at the end
  const __m128i lut_lo = _mm_setr_epi8(MAILROOM_B64_LUT_LO);
  const __m128i lut_hi = _mm_setr_epi8(MAILROOM_B64_LUT_HI);
  const __m128i lut_roll = _mm_setr_epi8(MAILROOM_B64_LUT_ROLL);
  const __m128i pack = _mm_setr_epi8(MAILROOM_B64_PACK);
  const __m128i mask_2f = _mm_set1_epi8(0x2f);
  std::size_t done = 0;
  while (done + 20 <= n) {
    __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + done));
    const __m128i hi_nibbles = _mm_and_si128(_mm_srli_epi32(s, 4), mask_2f);
    const __m128i lo_nibbles = _mm_and_si128(s, mask_2f);
    const __m128i hi = _mm_shuffle_epi8(lut_hi, hi_nibbles);
    const __m128i lo = _mm_shuffle_epi8(lut_lo, lo_nibbles);
    const __m128i ok = _mm_cmpeq_epi8(_mm_and_si128(lo, hi), _mm_setzero_si128());
    const auto invalid = static_cast<std::uint32_t>(~_mm_movemask_epi8(ok)) & 0xFFFFu;
    const unsigned keep = kept(invalid, 16);
    if (keep == 0) {
      if (const unsigned le = line_end_at(in + done)) {
        done += le;
        continue;
      }
      break;
    }
    const __m128i eq_2f = _mm_cmpeq_epi8(s, mask_2f);
    s = _mm_add_epi8(s, _mm_shuffle_epi8(lut_roll, _mm_add_epi8(eq_2f, hi_nibbles)));
    const __m128i pairs = _mm_maddubs_epi16(s, _mm_set1_epi32(0x01400140));
    const __m128i quads = _mm_madd_epi16(pairs, _mm_set1_epi32(0x00011000));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_shuffle_epi8(quads, pack));
    if (keep == 16) {  // a clean step: the next one's address waits for no mask
      done += 16;
      out += 12;
      continue;
    }
    done += keep;
    out += keep / 4 * 3;
    if (const unsigned le = line_end_at(in + done)) {
      done += le;
      continue;
    }
    break;
  }
  out_end = out;
  return done;
}

// The AVX2 tables and the two halves of a 32-character step: which lanes
// hold no alphabet character, and the 24 bytes the characters decode to (in
// the low 24 bytes of the result).
struct Avx2Step {
  __m256i lut_lo, lut_hi, lut_roll, pack, lanes, mask_2f;

  __attribute__((target("avx2"))) Avx2Step()
      : lut_lo(_mm256_setr_epi8(MAILROOM_B64_LUT_LO, MAILROOM_B64_LUT_LO)),
        lut_hi(_mm256_setr_epi8(MAILROOM_B64_LUT_HI, MAILROOM_B64_LUT_HI)),
        lut_roll(_mm256_setr_epi8(MAILROOM_B64_LUT_ROLL, MAILROOM_B64_LUT_ROLL)),
        pack(_mm256_setr_epi8(MAILROOM_B64_PACK, MAILROOM_B64_PACK)),
        lanes(_mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7)),
        mask_2f(_mm256_set1_epi8(0x2f)) {}

  __attribute__((target("avx2"), always_inline)) std::uint32_t invalid(__m256i s) const {
    const __m256i hi = _mm256_shuffle_epi8(lut_hi, hi_nibbles(s));
    const __m256i lo = _mm256_shuffle_epi8(lut_lo, _mm256_and_si256(s, mask_2f));
    const __m256i ok = _mm256_cmpeq_epi8(_mm256_and_si256(lo, hi), _mm256_setzero_si256());
    return ~static_cast<std::uint32_t>(_mm256_movemask_epi8(ok));
  }

  __attribute__((target("avx2"), always_inline)) __m256i decode(__m256i s) const {
    const __m256i eq_2f = _mm256_cmpeq_epi8(s, mask_2f);
    s = _mm256_add_epi8(s, _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(eq_2f, hi_nibbles(s))));
    const __m256i pairs = _mm256_maddubs_epi16(s, _mm256_set1_epi32(0x01400140));
    const __m256i quads = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x00011000));
    return _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(quads, pack), lanes);
  }

  __attribute__((target("avx2"), always_inline)) __m256i hi_nibbles(__m256i s) const {
    return _mm256_and_si256(_mm256_srli_epi32(s, 4), mask_2f);
  }
};

__attribute__((target("avx2"))) inline __m256i load32(const unsigned char* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

__attribute__((target("avx2"))) inline void store32(unsigned char* p, __m256i v) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
}

__attribute__((target("avx2"))) std::size_t decode_avx2(const unsigned char* in,
                                                         std::size_t n,
                                                         unsigned char*& out_end) {
  unsigned char* out = out_end;  // in a register, stored once at the end
  const Avx2Step step;
  std::size_t done = 0;
  // Lines of 76 characters and CRLF, as RFC 2045 §6.8 has encoders write
  // them: one line a step (32 + 32 + 12 characters), at addresses that wait
  // for no mask. The third load reads 18 bytes past the line and the third
  // store writes 23 past its 57 bytes, inside the capacity while a line and
  // 40 characters remain (as in the loop below).
  while (done + 78 + 40 <= n) {
    const __m256i s0 = load32(in + done);
    const __m256i s1 = load32(in + done + 32);
    const __m256i s2 = load32(in + done + 64);
    if ((step.invalid(s0) | step.invalid(s1) | (step.invalid(s2) & 0xFFFu)) != 0 ||
        in[done + 76] != '\r' || in[done + 77] != '\n')
      break;
    store32(out, step.decode(s0));
    store32(out + 24, step.decode(s1));
    store32(out + 48, step.decode(s2));
    out += 57;
    done += 78;
  }
  while (done + 40 <= n) {
    const __m256i s = load32(in + done);
    const unsigned keep = kept(step.invalid(s), 32);
    if (keep == 0) {
      if (const unsigned le = line_end_at(in + done)) {
        done += le;
        continue;
      }
      out_end = out;
      return done;
    }
    store32(out, step.decode(s));
    if (keep == 32) {  // a clean step: the next one's address waits for no mask
      done += 32;
      out += 24;
      continue;
    }
    done += keep;
    out += keep / 4 * 3;
    if (const unsigned le = line_end_at(in + done)) {
      done += le;
      continue;
    }
    out_end = out;
    return done;
  }
  // The last 20..39 characters of a clean run: 16 a step.
  out_end = out;
  return done + decode_ssse3(in + done, n - done, out_end);
}

#undef MAILROOM_B64_LUT_LO
#undef MAILROOM_B64_LUT_HI
#undef MAILROOM_B64_LUT_ROLL
#undef MAILROOM_B64_PACK

}  // namespace

const Block ssse3 = decode_ssse3;
const Block avx2 = decode_avx2;

bool ssse3_supported() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("ssse3");
}

bool avx2_supported() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}

}  // namespace mailroom::mime::base64_blocks

#else

namespace mailroom::mime::base64_blocks {
const Block ssse3 = nullptr;
const Block avx2 = nullptr;
bool ssse3_supported() { return false; }
bool avx2_supported() { return false; }
}  // namespace mailroom::mime::base64_blocks

#endif
