// Finding the hosts that receive mail for a domain: MX records (RFC 5321 §5.1),
// the implicit MX, and the null MX of domains that accept no mail (RFC 7505).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace mailroom::queue {

struct MxHost {
  std::string host;
  int preference = 0;
};

struct MxAnswer {
  enum class Status { Ok, NoSuchDomain, NullMx, TempFail } status = Status::Ok;
  std::vector<MxHost> hosts;  // preference order (lowest first); equal preferences in a
                              // random order (RFC 5321 §5.1); at most kMaxMxHosts
  std::string error;          // for a non-Ok status: a sentence for a DSN / log
};

inline constexpr std::size_t kMaxMxHosts = 16;

// MX records of `domain` from the system resolver (a resolver state per call, so
// it may run on any thread; it blocks for as long as the resolver's timeouts).
// No MX records but the domain exists: the domain itself as the only host
// (implicit MX, preference 0). NXDOMAIN, or a name that is no valid domain
// (over 253 octets, a label over 63, an empty label, characters other than
// letters, digits, '-' and '_'): NoSuchDomain. A single MX "." (RFC 7505 §3):
// NullMx; RFC 7505 §4.2 / RFC 7504 suggest status 5.1.10 for its bounce.
// SERVFAIL, timeouts, no resolver: TempFail.
MxAnswer lookup_mx(const std::string& domain);

// The parsing half, for tests and fuzzing: a DNS response message (RFC 1035 §4)
// to an MX query for `domain`. Answers whose owner is neither `domain` nor a
// name its CNAME chain leads to are ignored, so are MX records whose exchange is
// no valid host name; a malformed or truncated message gives TempFail.
MxAnswer parse_mx_response(const unsigned char* message, std::size_t length,
                           const std::string& domain);

}  // namespace mailroom::queue
