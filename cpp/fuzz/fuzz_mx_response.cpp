// libFuzzer target for the DNS response parser of the MX lookup: any octets
// give an answer, never a crash, and the answer keeps its promises.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "mailroom/queue/mx.hpp"

using namespace mailroom::queue;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string kDomain = "example.com";
  const MxAnswer a = parse_mx_response(data, size, kDomain);
  REQUIRE(a.hosts.size() <= kMaxMxHosts);
  REQUIRE((a.status == MxAnswer::Status::Ok) == !a.hosts.empty());
  REQUIRE(a.status == MxAnswer::Status::Ok || !a.error.empty());
  for (std::size_t i = 0; i < a.hosts.size(); ++i) {
    const MxHost& h = a.hosts[i];
    REQUIRE(!h.host.empty() && h.host.size() <= 253);
    REQUIRE(h.preference >= 0 && h.preference <= 65535);
    REQUIRE(h.host.find_first_of(" \r\n") == std::string::npos);
    if (i > 0) REQUIRE(a.hosts[i - 1].preference <= h.preference);
  }
  return 0;
}
