// libFuzzer target for the base64 decoder's inner loops: the input is decoded
// by the portable loop and by every vector loop this processor runs, each into
// a buffer of exactly base64_decoded_capacity() bytes (ASan sees a write past
// it); all must give the same bytes and report the same problem at the same
// offset.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "mailroom/mime/codecs.hpp"

using namespace mailroom::mime;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t cap = base64_decoded_capacity(size);
  auto want = std::make_unique<char[]>(cap);
  CodecIssue want_issue;
  const std::size_t want_n = base64_decode_to(text, want.get(), &want_issue, Base64Decoder::scalar);
  check(want_n <= cap);
  for (Base64Decoder d : {Base64Decoder::ssse3, Base64Decoder::avx2}) {
    if (!base64_decoder_available(d)) continue;
    auto got = std::make_unique<char[]>(cap);
    CodecIssue issue;
    const std::size_t n = base64_decode_to(text, got.get(), &issue, d);
    check(n == want_n && std::memcmp(got.get(), want.get(), n) == 0);
    check(issue.bad == want_issue.bad && issue.unpadded == want_issue.unpadded);
    check(issue.offset == want_issue.offset && std::strcmp(issue.reason, want_issue.reason) == 0);
  }
  return 0;
}
