// Copying a run of bytes up to the first of a few stop bytes, sixteen bytes a
// step (GCC/Clang vector types: SSE2 or NEON code, and SSE2's byte mask): the
// quoted-printable decoder's runs between '=' and line ends, a folded header
// value's runs between line ends.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mailroom::mime::byte_runs {

// Copies the bytes of `in` (n of them) before the first that is one of
// `Stops` to `o`, and returns how many. Each step stores all sixteen bytes it
// read and keeps those before a stop, so `o` needs room for n bytes: what is
// stored past the run is garbage the caller writes over.
template <char... Stops>
inline std::size_t copy_until(const char* in, std::size_t n, char* o) {
  std::size_t j = 0;
  if constexpr (std::endian::native == std::endian::little) {
    using Bytes = unsigned char __attribute__((vector_size(16)));
    for (; j + 16 <= n; j += 16) {
      Bytes a;
      std::memcpy(&a, in + j, 16);
      std::memcpy(o + j, &a, 16);
      const auto stops = ((a == static_cast<unsigned char>(Stops)) | ...);
#if defined(__SSE2__)
      // One bit a byte (pmovmskb), so a short run costs no trip through memory.
      __m128i mask;
      std::memcpy(&mask, &stops, 16);
      const auto bits = static_cast<unsigned>(_mm_movemask_epi8(mask));
      if (bits != 0) return j + static_cast<std::size_t>(std::countr_zero(bits));
#else
      std::uint64_t w[2];
      std::memcpy(w, &stops, 16);
      if ((w[0] | w[1]) != 0) {
        return j + (w[0] != 0 ? static_cast<std::size_t>(std::countr_zero(w[0])) / 8
                              : 8 + static_cast<std::size_t>(std::countr_zero(w[1])) / 8);
      }
#endif
    }
  }
  const std::size_t from = j;
  while (j < n && ((in[j] != Stops) && ...)) ++j;
  std::memcpy(o + from, in + from, j - from);
  return j;
}

}  // namespace mailroom::mime::byte_runs
