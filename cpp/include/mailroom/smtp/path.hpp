// Parsing of the MAIL FROM / RCPT TO argument: "<path> [SP esmtp-param]..."
// (RFC 5321 §4.1.2, RFC 6531 §3.3 for UTF-8 mailboxes). Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailroom::smtp {

struct EsmtpParam {
  std::string keyword;  // upper-cased
  std::string value;    // as sent; empty when there was no "="
  bool has_value = false;
};

struct PathArgument {
  std::string mailbox;      // without <>, source route stripped; "" for <>
  bool null_path = false;   // the path was <>
  bool has_domain = false;  // mailbox has "@domain" (RCPT TO:<postmaster> has not)
  bool eight_bit = false;   // mailbox has octets >= 0x80
  std::vector<EsmtpParam> params;
};

enum class PathSyntax {
  Ok,
  NoBrackets,   // no "<...>" where the path should be (501 5.5.4)
  BadMailbox,   // not a valid mailbox / source route (501 5.1.7 or 5.1.3)
  BadParams,    // text after ">" is not SP-separated esmtp-params (501 5.5.4)
};

// `arg` is the text after "FROM:" or "TO:"; spaces before "<" are tolerated.
// Octets >= 0x80 are allowed in the mailbox here (flagged by eight_bit) and in
// parameter values; the session decides about SMTPUTF8.
PathSyntax parse_path_argument(std::string_view arg, PathArgument& out);

// An EHLO/HELO argument: a domain (U-labels as UTF-8; '_' and a final dot
// tolerated) or an address literal, with no parentheses; at most 255 octets.
bool valid_helo_name(std::string_view s);

// RFC 5321 §4.5.3.1.1-3: at most 64 octets of local part, 255 of domain; a
// path of at most 256 with its angle brackets. The reason when over, else null.
const char* path_length_error(std::string_view mailbox);

// Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace mailroom::smtp
