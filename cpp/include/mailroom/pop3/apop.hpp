// APOP digests (RFC 1939 §7): MD5 of the greeting timestamp followed by the
// shared secret, as 32 lower-case hex digits. Weak (see Config::apop); kept for
// old clients and for studying the protocol.
#pragma once

#include <string>
#include <string_view>

namespace mailroom::pop3 {

// "<1896.697170952@dbc.mtview.ca.us>" + "tanstaaf" ->
// "c4c9334bac560ecc979e58001b3e22fb". Empty when MD5 is unavailable (a
// FIPS-only provider). Used by the server to check APOP and by the client to
// send it.
std::string apop_digest(std::string_view timestamp, std::string_view secret);

// Compares `digest` (any case) with apop_digest(timestamp, secret) in time
// independent of where they differ.
bool apop_digest_matches(std::string_view digest, std::string_view timestamp,
                         std::string_view secret);

}  // namespace mailroom::pop3
