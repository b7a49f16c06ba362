// The SMTP envelope of one mail transaction (RFC 5321 §2.3.1): who it is from
// and to, apart from the message content.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "mailroom/smtp/dsn_parameters.hpp"

namespace mailroom::smtp {

struct Envelope {
  std::string helo;                  // argument of the last HELO/EHLO
  bool esmtp = false;                // greeted with EHLO
  std::string mail_from;             // reverse-path without <>; "" = null sender
  std::vector<std::string> rcpt_to;  // accepted forward-paths without <>
  bool smtputf8 = false;             // MAIL had the SMTPUTF8 parameter
  std::string body = "7BIT";         // BODY= value: 7BIT, 8BITMIME or BINARYMIME
  std::size_t declared_size = 0;     // SIZE= value, 0 when not given
  bool chunked = false;              // content came by BDAT rather than DATA
  MessageDsn dsn;                    // RET= and ENVID= (RFC 3461)
  std::vector<RecipientDsn> rcpt_dsn;  // NOTIFY= and ORCPT=, one per rcpt_to
  // Session facts the policy needs (kept across transactions of a session):
  std::string auth_user;             // AUTH identity (RFC 4954); "" = not authenticated
  bool tls = false;                  // the session runs inside TLS
};

}  // namespace mailroom::smtp
