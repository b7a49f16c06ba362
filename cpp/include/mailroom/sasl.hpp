// Shared pieces of SASL mechanisms (RFC 4422) used by the servers and clients.
#pragma once

#include <string>
#include <string_view>

namespace mailroom {

// CRAM-MD5 (RFC 2195 §2): HMAC-MD5 of the challenge keyed with the shared
// secret, as 32 lower-case hex digits. Empty when MD5 is unavailable (a
// FIPS-only provider).
std::string cram_md5_digest(std::string_view challenge, std::string_view secret);

// Whether `s` is the digest of a CRAM-MD5 response: 32 hex digits
// (RFC 2195 §2; either case accepted).
bool cram_md5_response_digest(std::string_view s);

// Compares two secrets in time that depends only on the length of `given`.
bool same_secret(std::string_view given, std::string_view expected);

}  // namespace mailroom
