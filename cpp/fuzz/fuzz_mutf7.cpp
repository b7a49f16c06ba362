// libFuzzer target for the modified UTF-7 codec (RFC 3501 §5.1.3): any octets
// either decode or throw InvalidModifiedUtf7; what decodes is UTF-8 whose
// encoding decodes back to it; and any octets as UTF-8 either are refused or
// encode to 7-bit text that decodes back to exactly them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "mailroom/mutf7.hpp"
#include "mailroom/utf8.hpp"

using namespace mailroom;

namespace {

bool utf8(std::string_view s) {
  for (std::size_t i = 0, n; i < s.size(); i += n)
    if ((n = utf8_sequence(s, i)) == 0) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    const std::string decoded = from_modified_utf7(input);
    REQUIRE(utf8(decoded));
    REQUIRE(from_modified_utf7(to_modified_utf7(decoded)) == decoded);
  } catch (const InvalidModifiedUtf7&) {
  }
  try {
    const std::string encoded = to_modified_utf7(input);
    REQUIRE(utf8(input));
    for (unsigned char c : encoded) REQUIRE(c >= 0x20 && c < 0x7f);
    REQUIRE(from_modified_utf7(encoded) == input);
  } catch (const InvalidModifiedUtf7&) {
    REQUIRE(!utf8(input));
  }
  return 0;
}
