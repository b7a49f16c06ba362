// Structured header fields: address lists (RFC 5322 §3.4), dates (§3.3 and
// §4.3 obsolete forms), and MIME parameters (RFC 2045 §5.1, RFC 2231).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailroom::mime {

struct Address {
  std::string display_name;  // decoded (RFC 2047) UTF-8, "" if none
  std::string address;       // local@domain as written (quotes kept where needed)
  std::string group;         // name of the enclosing group, "" if none
};

// Parses an address list from a raw (possibly folded) header value. Lenient:
// comments are dropped (a comment alone may serve as display name, as in
// "bob@x.test (Bob)"), groups are flattened with `group` set, garbage between
// commas is skipped. Never throws.
std::vector<Address> parse_address_list(std::string_view raw_value);

// Addresses given by a program rather than read from mail (Message.build's
// to=, send's recipients=, the CLI's --to): a comma-separated list of
// mailboxes, each "local@domain" or "Display Name <local@domain>", read
// strictly. Throws std::invalid_argument, naming `what` and the value, for a
// CR, LF or NUL (a header injection), white space inside an address
// ("a@x.test b@y.test": two addresses without a comma), a group, an empty
// element, a missing or doubled '@', or unbalanced quotes, comments or <>.
std::vector<Address> parse_address_argument(std::string_view value, std::string_view what);

struct DateTime {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int offset_minutes = 0;  // east of UTC
  bool offset_unknown = false;  // "-0000" or an unknown zone name
};

// RFC 5322 date-time and its obsolete forms: optional day name, 2- and
// 3-digit years, zone names (UT, GMT, EST...), missing seconds, comments.
std::optional<DateTime> parse_date(std::string_view raw_value);

// Seconds since 1970-01-01T00:00:00Z of a parsed date (its zone offset applied).
std::int64_t unix_time(const DateTime& date);

using Params = std::vector<std::pair<std::string, std::string>>;

struct ContentField {
  std::string value;  // lower-cased "type/subtype" or disposition type
  Params params;      // names lower-cased; values unquoted, RFC 2231 joined and decoded to UTF-8
  bool malformed = false;
};

// Parses Content-Type / Content-Disposition values, including RFC 2231
// continuations (name*0, name*1*) and RFC 2047 words in quoted values
// (a common violation).
ContentField parse_content_field(std::string_view raw_value);

}  // namespace mailroom::mime
