// quoted-printable (RFC 2045 §6.7) for bodies: linear, one pass each way.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "byte_runs.hpp"
#include "mailroom/mime/codecs.hpp"

namespace mailroom::mime {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

// Characters written as themselves (space and tab only when not trailing).
struct LiteralTable {
  std::array<bool, 256> ok{};
  constexpr LiteralTable() {
    for (unsigned c = 33; c <= 126; ++c) ok[c] = c != '=';
    ok[' '] = true;
    ok['\t'] = true;
  }
};
constexpr LiteralTable kLiteral;

// Characters copied in runs by the encoder: printable, not '=', not white space.
struct PlainTable {
  std::array<bool, 256> ok{};
  constexpr PlainTable() {
    for (unsigned c = 33; c <= 126; ++c) ok[c] = c != '=';
  }
};
constexpr PlainTable kPlain;

// Bytes always written as "=XX" (CR and LF are line ends or handled apart).
struct EscapeTable {
  std::array<bool, 256> ok{};
  constexpr EscapeTable() {
    for (unsigned c = 0; c < 256; ++c)
      ok[c] = (c < 32 || c > 126 || c == '=') && c != ' ' && c != '\t' && c != '\r' && c != '\n';
  }
};
constexpr EscapeTable kEscape;

struct EscapeText {
  std::array<std::array<char, 4>, 256> text{};
  constexpr EscapeText() {
    for (unsigned c = 0; c < 256; ++c) text[c] = {'=', kHex[c >> 4], kHex[c & 15], 0};
  }
};
constexpr EscapeText kEscapes;

struct HexTable {
  std::array<std::int8_t, 256> v{};
  constexpr HexTable() {
    for (auto& x : v) x = -1;
    for (int i = 0; i < 10; ++i) v['0' + i] = static_cast<std::int8_t>(i);
    for (int i = 0; i < 6; ++i) {
      v['A' + i] = static_cast<std::int8_t>(10 + i);
      v['a' + i] = static_cast<std::int8_t>(10 + i);
    }
  }
};
constexpr HexTable kHexValue;

void note(CodecIssue* issue, std::size_t offset, const char* reason) {
  if (issue == nullptr || issue->bad) return;
  issue->bad = true;
  issue->offset = offset;
  issue->reason = reason;
}

// Decodes into `dest` (text.size() bytes); returns the number written.
std::size_t decode_impl(std::string_view text, char* dest, CodecIssue* issue) {
  const char* in = text.data();
  const std::size_t n = text.size();
  char* const base = dest;
  char* o = base;
  // Output before `keep` is never trimmed: line start or the last decoded escape.
  char* keep = base;
  // Drops white space added in transport before a line end (RFC 2045 §6.7 (3)).
  auto trim = [&] {
    while (o > keep && (o[-1] == ' ' || o[-1] == '\t')) --o;
  };
  std::size_t i = 0;
  while (i < n) {
    // The output never outruns the input, so `o` has room for what is left.
    const std::size_t run = byte_runs::copy_until<'=', '\r', '\n'>(in + i, n - i, o);
    o += run;
    i += run;
    if (i == n) break;
    const char c = in[i];
    // '=': decode a run of escapes at once.
    if (c == '=' && i + 2 < n) {
      std::size_t k = i;
      while (k + 2 < n && in[k] == '=') {
        const int hi = kHexValue.v[static_cast<unsigned char>(in[k + 1])];
        const int lo = kHexValue.v[static_cast<unsigned char>(in[k + 2])];
        if ((hi | lo) < 0) break;
        *o++ = static_cast<char>((hi << 4) | lo);
        k += 3;
      }
      if (k != i) {
        keep = o;
        i = k;
        continue;
      }
    }
    if (c == '\n' || (c == '\r' && i + 1 < n && in[i + 1] == '\n')) {
      trim();
      const std::size_t len = c == '\r' ? 2 : 1;
      std::memcpy(o, in + i, len);
      o += len;
      i += len;
      keep = o;
      continue;
    }
    if (c == '\r') {  // a bare CR is data
      *o++ = '\r';
      ++i;
      continue;
    }
    // A soft line break: '=', optional transport padding, a line end or the end.
    std::size_t k = i + 1;
    while (k < n && (in[k] == ' ' || in[k] == '\t')) ++k;
    if (k == n) {
      i = n;
      keep = o;
      continue;
    }
    if (in[k] == '\n' || (in[k] == '\r' && k + 1 < n && in[k + 1] == '\n')) {
      i = k + (in[k] == '\r' ? 2 : 1);
      keep = o;
      continue;
    }
    note(issue, i, "'=' not followed by two hex digits or a line end");
    *o++ = '=';
    keep = o;
    ++i;
  }
  trim();
  return static_cast<std::size_t>(o - base);
}

std::string decode_string(std::string_view text, CodecIssue* issue) {
  std::string out(text.size(), '\0');
  out.resize(decode_impl(text, out.data(), issue));
  return out;
}

}  // namespace

std::size_t qp_decode_to(std::string_view text, char* out, CodecIssue* issue) {
  return decode_impl(text, out, issue);
}

std::string qp_encode(std::string_view data, std::size_t max_line) {
  if (max_line < 4) max_line = 4;  // room for "=XX" and the soft-break '='
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t n = data.size();
  std::string out;
  // Typical text grows little; grow on demand (checked once per step; a step
  // writes at most one line of output plus a break and an escape).
  out.resize(n + n / 8 + max_line + 64);
  char* o = out.data();
  char* end = o + out.size();
  std::size_t col = 0;  // characters on the current output line
  const std::size_t soft_limit = max_line - 1;  // leaves room for the '='
  auto at_line_end = [&](std::size_t k) {  // is in[k] the end of a line?
    return k == n || in[k] == '\n' || (in[k] == '\r' && k + 1 < n && in[k + 1] == '\n');
  };
  std::size_t i = 0;
  while (i < n) {
    if (static_cast<std::size_t>(end - o) < max_line + 16) {
      const std::size_t used = static_cast<std::size_t>(o - out.data());
      out.resize(out.size() * 2 + max_line + 16);
      o = out.data() + used;
      end = out.data() + out.size();
    }
    // A run of characters written as themselves, up to the soft limit. White
    // space belongs to the run unless a line end (or a CR) follows it.
    if (col < soft_limit && kPlain.ok[in[i]]) {
      std::size_t j = i + 1;
      const std::size_t stop = std::min(n, i + (soft_limit - col));
      while (j < stop) {
        const unsigned char d = in[j];
        if (kPlain.ok[d] || ((d == ' ' || d == '\t') && j + 1 < n && in[j + 1] != '\n' &&
                             in[j + 1] != '\r')) {
          ++j;
          continue;
        }
        break;
      }
      std::memcpy(o, in + i, j - i);
      o += j - i;
      col += j - i;
      i = j;
      continue;
    }
    // A run of escapes ("=XX" each), up to the soft limit.
    if (kEscape.ok[in[i]] && col + 3 <= soft_limit) {
      std::size_t j = i;
      const std::size_t stop = std::min(n, i + (soft_limit - col) / 3);
      for (; j < stop && kEscape.ok[in[j]]; ++j) {
        std::memcpy(o, kEscapes.text[in[j]].data(), 4);  // the 4th byte is overwritten
        o += 3;
      }
      col += 3 * (j - i);
      i = j;
      continue;
    }
    const unsigned char c = in[i];
    if (c == '\n' || (c == '\r' && i + 1 < n && in[i + 1] == '\n')) {
      i += c == '\r' ? 2 : 1;
      *o++ = '\r';
      *o++ = '\n';
      col = 0;
      continue;
    }
    bool literal = kLiteral.ok[c];
    // White space at the end of a line or of the data must be encoded.
    if (literal && (c == ' ' || c == '\t')) literal = !at_line_end(i + 1);
    const std::size_t width = literal ? 1 : 3;
    // The last token of a line may use the column kept for the soft break.
    if (col + width > soft_limit && !(col + width <= max_line && at_line_end(i + 1))) {
      *o++ = '=';
      *o++ = '\r';
      *o++ = '\n';
      col = 0;
    }
    if (literal) {
      *o++ = static_cast<char>(c);
    } else {
      o[0] = '=';
      o[1] = kHex[c >> 4];
      o[2] = kHex[c & 15];
      o += 3;
    }
    col += width;
    ++i;
  }
  out.resize(static_cast<std::size_t>(o - out.data()));
  return out;
}

std::string qp_decode(std::string_view text, CodecIssue& issue) {
  return decode_string(text, &issue);
}

std::string qp_decode(std::string_view text, bool* bad) {
  if (bad == nullptr) return decode_string(text, nullptr);
  CodecIssue issue;
  std::string out = decode_string(text, &issue);
  *bad = issue.bad;
  return out;
}

}  // namespace mailroom::mime
