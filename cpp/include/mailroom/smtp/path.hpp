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

// Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace mailroom::smtp
