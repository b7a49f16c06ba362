// Line-end check of a whole message, 16 or 32 bytes a step (GCC/Clang vector
// types: SSE2, AVX2 or NEON code without intrinsics). At every position j a CR
// must be followed by an LF exactly when the byte after it is one, so
// (d[j] == CR) == (d[j+1] == LF) over all pairs, and no byte is NUL.
#include "line_end_scan.hpp"

#include <cstdint>
#include <cstring>
#include <utility>

namespace mailroom::mime::line_end_scan {
namespace {

// The pairs from `j` on, one by one, and the last byte.
bool suspect_tail(const char* d, std::size_t j, std::size_t n) {
  for (; j + 1 < n; ++j) {
    if (d[j] == 0 || (d[j] == '\r') != (d[j + 1] == '\n')) return true;
  }
  return d[n - 1] == 0;
}

// Every pair starting below the returned offset checked with vectors of
// `Bytes` (two per step), its verdict or-ed into `odd`.
template <class Bytes>
__attribute__((always_inline)) inline std::size_t suspect_blocks(const char* d, std::size_t n,
                                                                  bool& odd) {
  constexpr std::size_t w = sizeof(Bytes);
  using Mask = decltype(std::declval<Bytes>() == std::declval<Bytes>());
  Mask acc{};
  std::size_t j = 0;
  for (; j + 2 * w + 1 <= n; j += 2 * w) {
    Bytes a0, b0, a1, b1;
    std::memcpy(&a0, d + j, w);
    std::memcpy(&b0, d + j + 1, w);
    std::memcpy(&a1, d + j + w, w);
    std::memcpy(&b1, d + j + w + 1, w);
    acc |= (a0 == 0) | ((a0 == '\r') ^ (b0 == '\n')) | (a1 == 0) | ((a1 == '\r') ^ (b1 == '\n'));
  }
  std::uint64_t words[w / 8];
  std::memcpy(words, &acc, w);
  std::uint64_t any = 0;
  for (std::uint64_t x : words) any |= x;
  odd = any != 0;
  return j;
}

bool check_ends(const char* d, std::size_t n) {
  return n == 0 ? false : d[0] == '\n' || d[n - 1] == '\r';
}

}  // namespace

bool suspect_16(const char* d, std::size_t n) {
  if (n == 0) return false;
  if (check_ends(d, n)) return true;
  using Bytes = unsigned char __attribute__((vector_size(16)));
  bool odd = false;
  const std::size_t j = suspect_blocks<Bytes>(d, n, odd);
  return odd || suspect_tail(d, j, n);
}

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))

__attribute__((target("avx2"))) bool suspect_32(const char* d, std::size_t n) {
  if (n == 0) return false;
  if (check_ends(d, n)) return true;
  using Bytes = unsigned char __attribute__((vector_size(32)));
  bool odd = false;
  const std::size_t j = suspect_blocks<Bytes>(d, n, odd);
  return odd || suspect_tail(d, j, n);
}

bool has_32() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}

#else

bool suspect_32(const char* d, std::size_t n) { return suspect_16(d, n); }
bool has_32() { return false; }

#endif

bool suspect(const char* d, std::size_t n) {
  static const bool wide = has_32();
  return wide ? suspect_32(d, n) : suspect_16(d, n);
}

}  // namespace mailroom::mime::line_end_scan
