// IMAP's date-time (RFC 9051 §9 date-time, §2.3.3): the INTERNALDATE of a
// message and the optional date of APPEND, "dd-Mon-yyyy hh:mm:ss +zzzz" (the
// day may start with a space). Shared by the server and the client.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mailroom::imap {

// Seconds since the epoch; throws SyntaxError (arguments.hpp) when `s` is not
// a date-time.
std::int64_t parse_date_time(std::string_view s);

// "01-Feb-2024 10:00:00 +0000" (UTC, without quotes).
std::string format_date_time(std::int64_t seconds);

}  // namespace mailroom::imap
