// libFuzzer target for parse_address_argument: any octets either give
// addresses or throw std::invalid_argument, and what it gives keeps the
// promises a header writer relies on (no line breaks, one '@', no white space
// outside a quoted local part, nothing empty).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "fuzz_support.hpp"
#include "mailroom/mime/header_fields.hpp"

using namespace mailroom::mime;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<Address> found;
  try {
    found = parse_address_argument(input, "to");
  } catch (const std::invalid_argument&) {
    return 0;
  }
  REQUIRE(!found.empty());
  REQUIRE(input.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos);
  for (const Address& a : found) {
    REQUIRE(!a.address.empty());
    REQUIRE(a.address.find_first_of("\r\n") == std::string::npos);
    REQUIRE(a.display_name.find_first_of("\r\n") == std::string::npos);
    REQUIRE(a.group.empty());
    const std::size_t at = a.address.rfind('@');
    REQUIRE(at != std::string::npos && at > 0 && at + 1 < a.address.size());
    // White space only inside a quoted local part.
    const std::size_t space = a.address.find_first_of(" \t");
    REQUIRE(space == std::string::npos || (a.address.front() == '"' && space < at));
  }
  return 0;
}
