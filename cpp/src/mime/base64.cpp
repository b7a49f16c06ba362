// base64 (RFC 2045 §6.8): table-driven, 3 -> 4 and 4 -> 3 bytes per step, with
// vector loops (base64_blocks.cpp) for long runs of clean quartets.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "mailroom/mime/codecs.hpp"

#include "base64_blocks.hpp"

namespace mailroom::mime {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 12 input bits -> two output characters, stored in memory order.
struct PairTable {
  std::array<std::array<char, 2>, 4096> pairs{};
  constexpr PairTable() {
    for (unsigned i = 0; i < 4096; ++i) {
      pairs[i] = {kAlphabet[i >> 6], kAlphabet[i & 63]};
    }
  }
};
constexpr PairTable kPairs;

constexpr std::uint32_t kBadBits = 0x01000000;  // set by any non-alphabet character

// kDecode[k][c]: the 6-bit value of c placed for position k of a quartet,
// or kBadBits when c is not in the alphabet.
struct DecodeTables {
  std::array<std::array<std::uint32_t, 256>, 4> t{};
  std::array<std::int8_t, 256> value{};
  constexpr DecodeTables() {
    for (auto& v : value) v = -1;
    for (int i = 0; i < 64; ++i) value[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    for (unsigned c = 0; c < 256; ++c) {
      for (unsigned k = 0; k < 4; ++k) {
        t[k][c] = value[c] < 0 ? kBadBits
                               : static_cast<std::uint32_t>(value[c]) << (18 - 6 * k);
      }
    }
  }
};
constexpr DecodeTables kDec;

inline char* encode_run(const unsigned char* in, std::size_t triples, char* out) {
  for (std::size_t i = 0; i < triples; ++i, in += 3, out += 4) {
    const std::uint32_t v = (std::uint32_t{in[0]} << 16) | (std::uint32_t{in[1]} << 8) | in[2];
    std::memcpy(out, kPairs.pairs[v >> 12].data(), 2);
    std::memcpy(out + 2, kPairs.pairs[v & 0xFFF].data(), 2);
  }
  return out;
}

inline char* encode_tail(const unsigned char* in, std::size_t rest, char* out) {
  if (rest == 0) return out;
  const std::uint32_t v = (std::uint32_t{in[0]} << 16) | (rest == 2 ? std::uint32_t{in[1]} << 8 : 0);
  *out++ = kAlphabet[v >> 18];
  *out++ = kAlphabet[(v >> 12) & 63];
  *out++ = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
  *out++ = '=';
  return out;
}

// Writes the 24 bits of a decoded quartet at o[0..2] (and scribbles on o[3]).
inline void store3(unsigned char* o, std::uint32_t v) {
  std::uint32_t w = v << 8;
  if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap32(w);
  std::memcpy(o, &w, 4);
}

inline bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

void note(CodecIssue* issue, std::size_t offset, const char* reason) {
  if (issue == nullptr || issue->bad) return;
  issue->bad = true;
  issue->offset = offset;
  issue->reason = reason;
}

}  // namespace

std::string base64_encode(std::string_view data, std::size_t wrap) {
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t n = data.size();
  const std::size_t chars = (n + 2) / 3 * 4;
  std::string out;
  if (wrap == 0 || wrap % 4 != 0) {
    std::string flat(chars, '\0');
    char* p = encode_run(in, n / 3, flat.data());
    encode_tail(in + n / 3 * 3, n % 3, p);
    if (wrap == 0) return flat;
    const std::size_t lines = (chars + wrap - 1) / wrap;
    out.resize(chars + 2 * lines);
    char* o = out.data();
    for (std::size_t pos = 0; pos < chars; pos += wrap) {
      const std::size_t len = std::min(wrap, chars - pos);
      std::memcpy(o, flat.data() + pos, len);
      o += len;
      *o++ = '\r';
      *o++ = '\n';
    }
    return out;
  }
  // wrap is a multiple of 4: every full line is exactly wrap/4 input triples.
  const std::size_t lines = (chars + wrap - 1) / wrap;
  out.resize(chars + 2 * lines);
  char* o = out.data();
  const std::size_t per_line = wrap / 4 * 3;
  std::size_t done = 0;
  while (n - done >= per_line) {
    o = encode_run(in + done, wrap / 4, o);
    *o++ = '\r';
    *o++ = '\n';
    done += per_line;
  }
  if (done < n) {
    const std::size_t rest = n - done;
    o = encode_run(in + done, rest / 3, o);
    o = encode_tail(in + done + rest / 3 * 3, rest % 3, o);
    *o++ = '\r';
    *o++ = '\n';
  }
  out.resize(static_cast<std::size_t>(o - out.data()));
  return out;
}

namespace {

// Decodes into `dest` (base64_decoded_capacity(text.size()) bytes) with
// `block` for the runs of whole quartets; returns the number of bytes written.
std::size_t decode_impl(std::string_view text, char* dest, CodecIssue* issue,
                        base64_blocks::Block block) {
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  auto* const base = reinterpret_cast<unsigned char*>(dest);
  auto* o = base;
  std::uint32_t acc = 0;  // pending 6-bit groups
  unsigned have = 0;      // how many are pending (0..3)
  bool padded = false;    // a quartet ended with '='
  std::size_t i = 0;
  while (i < n) {
    // Fast path: runs of whole quartets of alphabet characters go to the
    // block loop (base64_blocks.hpp), single quartets and line ends between
    // them are taken here; each quartet is stored as 4 bytes of which 3
    // count (the output has slack for the extra one).
    if (have == 0 && !padded) {
      while (i + 4 <= n) {
        i += block(in + i, n - i, o);
        if (i + 4 > n) break;
        const std::uint32_t v = kDec.t[0][in[i]] | kDec.t[1][in[i + 1]] |
                                kDec.t[2][in[i + 2]] | kDec.t[3][in[i + 3]];
        if (v & kBadBits) {
          // Line ends between quartets are the common case: skip them here.
          if (in[i] == '\r' && in[i + 1] == '\n') {
            i += 2;
            continue;
          }
          if (in[i] == '\n') {
            ++i;
            continue;
          }
          break;
        }
        store3(o, v);
        o += 3;
        i += 4;
      }
      if (i >= n) break;
    }
    const unsigned char c = in[i];
    const int d = kDec.value[c];
    if (d >= 0) {
      if (padded) {
        note(issue, i, "data after padding");
        padded = false;
      }
      acc = (acc << 6) | static_cast<std::uint32_t>(d);
      if (++have == 4) {
        *o++ = static_cast<unsigned char>(acc >> 16);
        *o++ = static_cast<unsigned char>(acc >> 8);
        *o++ = static_cast<unsigned char>(acc);
        acc = 0;
        have = 0;
      }
      ++i;
      continue;
    }
    if (is_space(c)) {
      ++i;
      continue;
    }
    if (c == '=') {
      // Padding: flush the partial quartet and skip the rest of the '=' run.
      const std::size_t at = i;
      std::size_t pads = 0;
      while (i < n && (in[i] == '=' || is_space(in[i]))) {
        pads += in[i] == '=';
        ++i;
      }
      if (have == 2) {
        *o++ = static_cast<unsigned char>(acc >> 4);
        if (pads != 2) note(issue, at, "wrong number of padding characters");
      } else if (have == 3) {
        *o++ = static_cast<unsigned char>(acc >> 10);
        *o++ = static_cast<unsigned char>(acc >> 2);
        if (pads != 1) note(issue, at, "wrong number of padding characters");
      } else {
        note(issue, at, have == 0 ? "misplaced padding" : "truncated quartet before padding");
      }
      acc = 0;
      have = 0;
      padded = true;
      continue;
    }
    note(issue, i, "character outside the base64 alphabet");
    ++i;
  }
  if (have == 1) {
    note(issue, n, "input cut off (a lone trailing character)");
  } else if (have == 2) {
    *o++ = static_cast<unsigned char>(acc >> 4);
    if (issue != nullptr) issue->unpadded = true;
  } else if (have == 3) {
    *o++ = static_cast<unsigned char>(acc >> 10);
    *o++ = static_cast<unsigned char>(acc >> 2);
    if (issue != nullptr) issue->unpadded = true;
  }
  return static_cast<std::size_t>(o - base);
}

base64_blocks::Block block_for(Base64Decoder decoder) {
  switch (decoder) {
    case Base64Decoder::avx2:
      return base64_blocks::avx2;
    case Base64Decoder::ssse3:
      return base64_blocks::ssse3;
    case Base64Decoder::scalar:
      break;
  }
  return base64_blocks::scalar;
}

// The fastest block loop this processor runs, chosen once.
base64_blocks::Block fastest_block() {
  static const base64_blocks::Block chosen = [] {
    if (base64_decoder_available(Base64Decoder::avx2)) return base64_blocks::avx2;
    if (base64_decoder_available(Base64Decoder::ssse3)) return base64_blocks::ssse3;
    return &base64_blocks::scalar;
  }();
  return chosen;
}

std::string decode_string(std::string_view text, CodecIssue* issue) {
  std::string out(base64_decoded_capacity(text.size()), '\0');
  out.resize(decode_impl(text, out.data(), issue, fastest_block()));
  return out;
}

}  // namespace

// Two quartets a step while both are all alphabet characters.
std::size_t base64_blocks::scalar(const unsigned char* in, std::size_t n, unsigned char*& out) {
  std::size_t done = 0;
  while (done + 8 <= n) {
    const unsigned char* p = in + done;
    const std::uint32_t a = kDec.t[0][p[0]] | kDec.t[1][p[1]] | kDec.t[2][p[2]] | kDec.t[3][p[3]];
    const std::uint32_t b = kDec.t[0][p[4]] | kDec.t[1][p[5]] | kDec.t[2][p[6]] | kDec.t[3][p[7]];
    if ((a | b) & kBadBits) break;
    store3(out, a);
    store3(out + 3, b);
    out += 6;
    done += 8;
  }
  return done;
}

bool base64_decoder_available(Base64Decoder decoder) {
  switch (decoder) {
    case Base64Decoder::avx2:
      return base64_blocks::avx2 != nullptr && base64_blocks::avx2_supported();
    case Base64Decoder::ssse3:
      return base64_blocks::ssse3 != nullptr && base64_blocks::ssse3_supported();
    case Base64Decoder::scalar:
      return true;
  }
  return false;
}

std::size_t base64_decode_to(std::string_view text, char* out, CodecIssue* issue) {
  return decode_impl(text, out, issue, fastest_block());
}

std::size_t base64_decode_to(std::string_view text, char* out, CodecIssue* issue,
                             Base64Decoder decoder) {
  if (!base64_decoder_available(decoder)) {
    throw std::invalid_argument("this processor cannot run the requested base64 decoder");
  }
  return decode_impl(text, out, issue, block_for(decoder));
}

std::string base64_decode(std::string_view text, CodecIssue& issue) {
  return decode_string(text, &issue);
}

std::string base64_decode(std::string_view text, bool* bad) {
  if (bad == nullptr) return decode_string(text, nullptr);
  CodecIssue issue;
  std::string out = decode_string(text, &issue);
  *bad = issue.bad;
  return out;
}

}  // namespace mailroom::mime
