// The parser's first look at a message: one pass that proves it has no NUL
// byte, bare CR or bare LF (almost every message), so the searches that say
// where such a byte is run only when there is one.
#pragma once

#include <cstddef>

namespace mailroom::mime::line_end_scan {

// Does `d` hold a NUL, a CR not followed by LF or an LF not preceded by CR?
// Uses the widest vector loop this processor runs.
bool suspect(const char* d, std::size_t n);

// The loops it chooses from, each giving the same answer for every input:
// 16 bytes a step (any processor) and 32 (AVX2; false when this build or
// processor has none). For tests.
bool suspect_16(const char* d, std::size_t n);
bool suspect_32(const char* d, std::size_t n);
bool has_32();

}  // namespace mailroom::mime::line_end_scan
