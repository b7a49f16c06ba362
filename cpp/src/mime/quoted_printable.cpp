// quoted-printable (RFC 2045 §6.7) for bodies: linear, one pass each way.
#include <array>
#include <cstdint>
#include <cstring>

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

std::string decode_impl(std::string_view text, CodecIssue* issue) {
  const char* in = text.data();
  const std::size_t n = text.size();
  std::string out(n, '\0');
  char* o = out.data();
  std::size_t i = 0;
  while (i < n) {
    const char c = in[i];
    if (c == '=') {
      if (i + 2 < n && kHexValue.v[static_cast<unsigned char>(in[i + 1])] >= 0 &&
          kHexValue.v[static_cast<unsigned char>(in[i + 2])] >= 0) {
        *o++ = static_cast<char>((kHexValue.v[static_cast<unsigned char>(in[i + 1])] << 4) |
                                 kHexValue.v[static_cast<unsigned char>(in[i + 2])]);
        i += 3;
        continue;
      }
      // A soft line break: '=' then optional transport padding then a line end
      // (or the end of the data).
      std::size_t j = i + 1;
      while (j < n && (in[j] == ' ' || in[j] == '\t')) ++j;
      if (j == n) {
        i = n;
        continue;
      }
      if (in[j] == '\n') {
        i = j + 1;
        continue;
      }
      if (in[j] == '\r' && j + 1 < n && in[j + 1] == '\n') {
        i = j + 2;
        continue;
      }
      note(issue, i, "'=' not followed by two hex digits or a line end");
      *o++ = '=';
      ++i;
      continue;
    }
    if (c == ' ' || c == '\t') {
      // Trailing whitespace before a line end was added in transport: drop it.
      std::size_t j = i + 1;
      while (j < n && (in[j] == ' ' || in[j] == '\t')) ++j;
      if (j == n || in[j] == '\n' || (in[j] == '\r' && j + 1 < n && in[j + 1] == '\n')) {
        i = j;
        continue;
      }
      std::memcpy(o, in + i, j - i);
      o += j - i;
      i = j;
      continue;
    }
    // Copy a run of ordinary characters at once.
    std::size_t j = i + 1;
    while (j < n && in[j] != '=' && in[j] != ' ' && in[j] != '\t') ++j;
    std::memcpy(o, in + i, j - i);
    o += j - i;
    i = j;
  }
  out.resize(static_cast<std::size_t>(o - out.data()));
  return out;
}

}  // namespace

std::string qp_encode(std::string_view data, std::size_t max_line) {
  if (max_line < 4) max_line = 4;  // room for "=XX" and the soft-break '='
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t n = data.size();
  std::string out;
  // Typical text grows little; grow on demand, checking once per input byte.
  out.resize(n + n / 8 + 64);
  char* o = out.data();
  char* end = o + out.size();
  std::size_t col = 0;  // characters on the current output line
  const std::size_t soft_limit = max_line - 1;  // leaves room for the '='
  for (std::size_t i = 0; i < n; ++i) {
    if (end - o < 16) {
      const std::size_t used = static_cast<std::size_t>(o - out.data());
      out.resize(out.size() * 2);
      o = out.data() + used;
      end = out.data() + out.size();
    }
    const unsigned char c = in[i];
    if (c == '\n' || (c == '\r' && i + 1 < n && in[i + 1] == '\n')) {
      if (c == '\r') ++i;
      *o++ = '\r';
      *o++ = '\n';
      col = 0;
      continue;
    }
    bool literal = kLiteral.ok[c];
    if (literal && (c == ' ' || c == '\t')) {
      // Whitespace at the end of a line or of the data must be encoded.
      const bool at_end = i + 1 == n || in[i + 1] == '\n' ||
                          (in[i + 1] == '\r' && i + 2 < n && in[i + 2] == '\n');
      literal = !at_end;
    }
    const std::size_t width = literal ? 1 : 3;
    // The last token of a line may use the column kept for the soft break.
    const bool last_on_line = i + 1 == n || in[i + 1] == '\n' ||
                              (in[i + 1] == '\r' && i + 2 < n && in[i + 2] == '\n');
    if (col + width > (last_on_line ? max_line : soft_limit)) {
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
  }
  out.resize(static_cast<std::size_t>(o - out.data()));
  return out;
}

std::string qp_decode(std::string_view text, CodecIssue& issue) {
  return decode_impl(text, &issue);
}

std::string qp_decode(std::string_view text, bool* bad) {
  if (bad == nullptr) return decode_impl(text, nullptr);
  CodecIssue issue;
  std::string out = decode_impl(text, &issue);
  *bad = issue.bad;
  return out;
}

}  // namespace mailroom::mime
