// The base64 decoder's inner loops (portable, SSSE3, AVX2) give the same bytes
// and the same reported problem for every input: clean text, every byte value
// at every offset, line ends anywhere, padding and junk in random mixtures.
// Each decode goes into a buffer of exactly base64_decoded_capacity() bytes
// followed by guard bytes that must stay untouched.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "conversation.hpp"
#include "mailroom/mime/codecs.hpp"

using namespace mailroom::mime;

namespace {

constexpr std::size_t kGuard = 64;
constexpr unsigned char kGuardByte = 0xA5;

struct Decoded {
  std::string bytes;
  CodecIssue issue;
  bool guard_intact = true;
};

Decoded decode_with(std::string_view text, Base64Decoder decoder) {
  const std::size_t cap = base64_decoded_capacity(text.size());
  std::vector<unsigned char> buf(cap + kGuard, kGuardByte);
  Decoded d;
  const std::size_t n =
      base64_decode_to(text, reinterpret_cast<char*>(buf.data()), &d.issue, decoder);
  d.bytes.assign(reinterpret_cast<const char*>(buf.data()), n);
  for (std::size_t i = cap; i < buf.size(); ++i) d.guard_intact &= buf[i] == kGuardByte;
  return d;
}

std::vector<Base64Decoder> vector_decoders() {
  std::vector<Base64Decoder> out;
  for (Base64Decoder d : {Base64Decoder::ssse3, Base64Decoder::avx2}) {
    if (base64_decoder_available(d)) out.push_back(d);
  }
  return out;
}

// Every available decoder agrees with the portable one on `text`.
void same_everywhere(std::string_view text) {
  const Decoded want = decode_with(text, Base64Decoder::scalar);
  CHECK(want.guard_intact);
  CodecIssue issue;
  CHECK_EQ(base64_decode(text, issue), want.bytes);  // the default path too
  CHECK_EQ(issue.offset, want.issue.offset);
  for (Base64Decoder d : vector_decoders()) {
    const Decoded got = decode_with(text, d);
    CHECK(got.guard_intact);
    CHECK_EQ(got.bytes, want.bytes);
    CHECK_EQ(got.issue.bad, want.issue.bad);
    CHECK_EQ(got.issue.unpadded, want.issue.unpadded);
    CHECK_EQ(got.issue.offset, want.issue.offset);
    CHECK_EQ(std::string(got.issue.reason), std::string(want.issue.reason));
  }
}

std::string random_bytes(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

}  // namespace

TEST(the_portable_decoder_is_always_there) {
  CHECK(base64_decoder_available(Base64Decoder::scalar));
  std::printf("vector decoders on this processor:%s%s\n",
              base64_decoder_available(Base64Decoder::ssse3) ? " ssse3" : "",
              base64_decoder_available(Base64Decoder::avx2) ? " avx2" : "");
}

TEST(clean_text_of_every_length_round_trips) {
  std::mt19937 rng(13);
  for (std::size_t n = 0; n < 400; ++n) {
    const std::string data = random_bytes(rng, n);
    for (std::size_t wrap : {std::size_t{0}, std::size_t{76}, std::size_t{64}, std::size_t{72}}) {
      const std::string text = base64_encode(data, wrap);
      for (Base64Decoder d : {Base64Decoder::scalar, Base64Decoder::ssse3, Base64Decoder::avx2}) {
        if (!base64_decoder_available(d)) continue;
        const Decoded got = decode_with(text, d);
        CHECK(got.guard_intact);
        CHECK_EQ(got.bytes, data);
        CHECK(!got.issue.bad);
      }
    }
  }
}

TEST(every_byte_value_at_every_offset) {
  std::mt19937 rng(2045);
  const std::string clean = base64_encode(random_bytes(rng, 90), 0);  // 120 characters
  for (std::size_t at = 0; at < clean.size(); ++at) {
    for (unsigned c = 0; c < 256; ++c) {
      std::string text = clean;
      text[at] = static_cast<char>(c);
      same_everywhere(text);
    }
  }
}

TEST(line_ends_and_spaces_at_every_offset) {
  std::mt19937 rng(5322);
  const std::string clean = base64_encode(random_bytes(rng, 120), 0);
  for (const char* cut : {"\r\n", "\n", "\r", " ", "\t", "=", "==", "*", "\r\n\r\n", "=\r\n"}) {
    for (std::size_t at = 0; at <= clean.size(); ++at) {
      same_everywhere(clean.substr(0, at) + cut + clean.substr(at));
      // and the same cut twice, 4 and 5 characters apart
      if (at + 5 <= clean.size()) {
        same_everywhere(clean.substr(0, at) + cut + clean.substr(at, 4) + cut + clean.substr(at + 4));
        same_everywhere(clean.substr(0, at) + cut + clean.substr(at, 5) + cut + clean.substr(at + 5));
      }
    }
  }
}

// Bodies as encoders write them, 76 characters and CRLF a line, which the
// AVX2 loop takes a whole line a step: any byte at any offset of the first
// lines, and every line end changed or dropped, give what the portable loop gives.
TEST(every_byte_value_at_every_offset_of_76_column_lines) {
  std::mt19937 rng(2046);
  const std::string clean = base64_encode(random_bytes(rng, 57 * 5 + 20), 76);
  CHECK_EQ(clean.substr(76, 2), std::string("\r\n"));
  for (std::size_t at = 0; at < 78 * 3; ++at) {
    for (unsigned c = 0; c < 256; ++c) {
      std::string text = clean;
      text[at] = static_cast<char>(c);
      same_everywhere(text);
    }
  }
  for (std::size_t line = 1; line <= 5; ++line) {
    const std::size_t at = 78 * line - 2;  // where the CRLF of a line is
    for (const char* end : {"\n", "", "\r", "\r\n\r\n", " \r\n", "\r\n ", "\n\r\n", "==\r\n"}) {
      same_everywhere(clean.substr(0, at) + end + clean.substr(at + 2));
      same_everywhere(clean.substr(0, at - 4) + end + clean.substr(at - 4, 4) + clean.substr(at + 2));
    }
  }
  std::string lf = clean;  // bare LF line ends everywhere
  for (std::size_t at; (at = lf.find("\r\n")) != std::string::npos;) lf.erase(at, 1);
  same_everywhere(lf);
}

TEST(random_mixtures_of_alphabet_line_ends_padding_and_junk) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937 rng(822);
  for (int round = 0; round < 30000; ++round) {
    const std::size_t n = rng() % 300;
    const unsigned junk_rate = 1 + rng() % 200;  // one in junk_rate is not alphabet
    std::string text;
    while (text.size() < n) {
      if (rng() % junk_rate != 0) {
        text += kAlphabet[rng() % 64];
        continue;
      }
      switch (rng() % 6) {
        case 0: text += "\r\n"; break;
        case 1: text += '\n'; break;
        case 2: text += '='; break;
        case 3: text += ' '; break;
        case 4: text += static_cast<char>(rng() & 0xFF); break;
        default: text += static_cast<char>(0x80 | (rng() & 0x7F)); break;
      }
    }
    same_everywhere(text);
  }
}

TEST(an_unavailable_decoder_is_refused) {
  for (Base64Decoder d : {Base64Decoder::ssse3, Base64Decoder::avx2}) {
    if (base64_decoder_available(d)) continue;
    bool refused = false;
    char out[8];
    try {
      (void)base64_decode_to("TWFu", out, nullptr, d);
    } catch (const std::invalid_argument&) {
      refused = true;
    }
    CHECK(refused);
  }
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
