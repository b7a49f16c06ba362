// UTF-8 into fixed-width code points (measure_utf8, decode_utf8_to): every
// code point at every width it fits, in runs long and short enough for the
// sixteen-byte ASCII steps and the byte-by-byte tail; and each kind of
// ill-formed sequence (RFC 3629 §3-4) refused wherever it stands, without a
// write past the measured size (guard units after it must stay untouched).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "conversation.hpp"
#include "mailroom/mime/utf8_code_points.hpp"

using namespace mailroom::mime;

namespace {

constexpr std::size_t kGuard = 32;
constexpr std::uint32_t kGuardUnit = 0xA5A5A5A5;

std::string utf8(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
  return s;
}

std::size_t unit_size(CodePointWidth w) {
  switch (w) {
    case CodePointWidth::ascii:
    case CodePointWidth::latin1: return 1;
    case CodePointWidth::bmp: return 2;
    case CodePointWidth::astral: return 4;
  }
  return 4;
}

struct Decoded {
  bool ok = false;
  Utf8Measure measure;
  std::u32string code_points;
  bool guard_intact = true;
};

Decoded decode(std::string_view text) {
  Decoded d;
  d.measure = measure_utf8(text);
  const std::size_t unit = unit_size(d.measure.width);
  const std::size_t bytes = d.measure.code_points * unit;
  std::vector<unsigned char> buf(bytes + kGuard * 4);
  for (std::size_t i = bytes; i < buf.size(); ++i) buf[i] = kGuardUnit & 0xFF;
  d.ok = decode_utf8_to(text, d.measure, buf.data());
  for (std::size_t i = bytes; i < buf.size(); ++i) d.guard_intact &= buf[i] == (kGuardUnit & 0xFF);
  if (!d.ok) return d;
  for (std::size_t i = 0; i < d.measure.code_points; ++i) {
    std::uint32_t c = 0;
    if (unit == 1) c = buf[i];
    if (unit == 2) { std::uint16_t u; std::memcpy(&u, &buf[i * 2], 2); c = u; }
    if (unit == 4) std::memcpy(&c, &buf[i * 4], 4);
    d.code_points += static_cast<char32_t>(c);
  }
  return d;
}

CodePointWidth width_of(const std::u32string& s) {
  char32_t m = 0;
  for (char32_t c : s) m = std::max(m, c);
  return m < 0x80 ? CodePointWidth::ascii
         : m < 0x100 ? CodePointWidth::latin1
         : m < 0x10000 ? CodePointWidth::bmp
                       : CodePointWidth::astral;
}

void decodes_as(const std::u32string& want) {
  std::string text;
  for (char32_t c : want) text += utf8(c);
  const Decoded d = decode(text);
  CHECK(d.ok);
  CHECK(d.guard_intact);
  CHECK(d.measure.width == width_of(want));
  CHECK_EQ(d.measure.code_points, want.size());
  CHECK(d.code_points == want);
}

void refused(std::string_view text) {
  const Decoded d = decode(text);
  CHECK(!d.ok);
  CHECK(d.guard_intact);
}

}  // namespace

TEST(every_code_point_alone_and_in_runs) {
  for (char32_t c = 0; c <= 0x10FFFF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    if (c % 7 != 0 && c > 0x3000) continue;  // all of the first ranges, a seventh of the rest
    decodes_as(std::u32string(1, c));
    decodes_as(std::u32string(U"plain ascii words ") + c + U" and more after it, long enough");
  }
}

TEST(runs_of_every_length_at_every_width) {
  const char32_t samples[] = {U'a', U'\u00EB', U'\u00FF', U'\u0100', U'\uD55C', U'\uFFFF',
                              U'\U0001F600', U'\U0010FFFF'};
  for (char32_t wide : samples) {
    for (std::size_t before = 0; before < 40; ++before) {
      for (std::size_t after = 0; after < 20; ++after) {
        std::u32string s(before, U'x');
        s += wide;
        s += std::u32string(after, U'y');
        decodes_as(s);
      }
    }
  }
  decodes_as(U"");
  decodes_as(U"Zo\u00EB's donn\u00E9es, \uD68C\uC758 \u65E5\u672C\u8A9E \U0001F4E8 mail");
}

TEST(ill_formed_sequences_are_refused_wherever_they_stand) {
  const char* bad[] = {
      "\x80",              // a continuation byte alone
      "\xBF",
      "\xC0\x80",          // overlong U+0000
      "\xC1\xBF",          // overlong U+007F
      "\xC3",              // cut off
      "\xC3(",             // not continued
      "\xE0\x80\x80",      // overlong
      "\xE0\x9F\xBF",      // overlong U+07FF
      "\xED\xA0\x80",      // surrogate U+D800
      "\xED\xBF\xBF",      // surrogate U+DFFF
      "\xE2\x82",          // cut off
      "\xE2(\xAC",
      "\xF0\x80\x80\x80",  // overlong
      "\xF0\x8F\xBF\xBF",  // overlong U+FFFF
      "\xF4\x90\x80\x80",  // above U+10FFFF
      "\xF5\x80\x80\x80",  // no such lead
      "\xF8\x88\x80\x80\x80",
      "\xFF",
      "\xF0\x9F\x98",      // cut off
  };
  for (const char* b : bad) {
    for (std::size_t before = 0; before < 34; before += 3) {
      for (const char* around : {"x", "\xC3\xAB", "\xED\x95\x9C", "\xF0\x9F\x98\x80"}) {
        std::string text;
        for (std::size_t i = 0; i < before; ++i) text += around;
        refused(text + b);
        refused(text + b + "tail of plain text, sixteen bytes and more");
        refused(std::string(b) + text);
      }
    }
  }
}

TEST(a_measure_that_does_not_fit_is_refused) {
  // More code points than measured, or fewer: refused, nothing written past.
  const std::string text = "donn\xC3\xA9" "es";
  Utf8Measure m = measure_utf8(text);
  CHECK(m.width == CodePointWidth::latin1);
  CHECK_EQ(m.code_points, std::size_t{7});
  std::vector<unsigned char> buf(64, 0);
  m.code_points = 6;
  CHECK(!decode_utf8_to(text, m, buf.data()));
  m.code_points = 8;
  CHECK(!decode_utf8_to(text, m, buf.data()));
  m.code_points = 7;
  CHECK(decode_utf8_to(text, m, buf.data()));
  CHECK_EQ(std::string(reinterpret_cast<const char*>(buf.data()), 7), std::string("donn\xE9" "es"));
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
