// The inner loops of the base64 decoder (base64.cpp): each decodes a run of
// whole quartets of alphabet characters from the front of `in` and stops at
// the first quartet holding anything else (a line end, '=', junk), leaving it
// to the decoder's careful loop, which skips and reports exactly as before.
//
// A block returns how many characters it consumed and moves `out` past the
// bytes it decoded, three for every four characters of a quartet. The vector
// loops also step over a line end (CRLF or LF) between quartets, which the
// careful loop would skip anyway, so one call takes a body of many lines; the
// portable one stops there (a multiple of 4 consumed), leaving its careful
// loop to do as it always did, so the vector loops keep a reference to be
// compared with. A block may scribble past the bytes it decoded, but never
// more than base64_decoded_capacity() allows: it only stores while at least
// 20 (16-character steps) or 40 (32-character steps) characters remain, so
// the store stays inside the promised capacity.
#pragma once

#include <cstddef>

namespace mailroom::mime::base64_blocks {

using Block = std::size_t (*)(const unsigned char* in, std::size_t n, unsigned char*& out);

std::size_t scalar(const unsigned char* in, std::size_t n, unsigned char*& out);
// Null when this build has no such loop (not x86).
extern const Block ssse3;
extern const Block avx2;

// Whether the processor running this can execute the loop.
bool ssse3_supported();
bool avx2_supported();

}  // namespace mailroom::mime::base64_blocks
