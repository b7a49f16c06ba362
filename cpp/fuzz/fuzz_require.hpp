// REQUIRE(cond) for the fuzz targets: an invariant that does not hold aborts,
// so libFuzzer records the input as a crash.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace mailroom_fuzz {

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

}  // namespace mailroom_fuzz

#define REQUIRE(cond)                                 \
  do {                                                \
    if (!(cond)) ::mailroom_fuzz::fail(#cond);        \
  } while (0)
