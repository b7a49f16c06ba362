// Shared by the fuzz targets: REQUIRE (an invariant that does not hold
// aborts, so libFuzzer records the input as a crash), the split schedule the
// protocol targets feed their streams in, and the server session input
// layout "flags, limits, seed (2 bytes), client stream".
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace mailroom_fuzz {

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

// Length of the next piece fed: all of `left` when not splitting, otherwise
// mostly 1..97 octets with many single bytes.
inline std::size_t next_piece(std::uint32_t& seed, std::size_t left, bool split) {
  if (!split) return left;
  seed = seed * 1103515245u + 12345u;
  const std::uint32_t x = seed >> 16;
  return std::min<std::size_t>(left, (x & 3) == 0 ? 1 : (x % 97) + 1);
}

struct SessionFuzzInput {
  std::uint8_t flags = 0;   // configuration switches
  std::uint8_t limits = 0;  // configuration limits
  std::uint32_t seed = 0;   // split points
  std::string_view stream;  // what the client sends

  // false when the input is too short to hold the header.
  bool parse(const std::uint8_t* data, std::size_t size) {
    if (size < 4) return false;
    flags = data[0];
    limits = data[1];
    seed = data[2] | (std::uint32_t{data[3]} << 8);
    stream = std::string_view(reinterpret_cast<const char*>(data) + 4, size - 4);
    return true;
  }
};

}  // namespace mailroom_fuzz

#define REQUIRE(cond)                                 \
  do {                                                \
    if (!(cond)) ::mailroom_fuzz::fail(#cond);        \
  } while (0)
