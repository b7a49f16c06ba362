// Building new messages (RFC 5322 + MIME): the structure a mail user agent
// writes, with every header and body encoded for the wire.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailroom::mime {

struct Mailbox {
  std::string display_name;  // UTF-8
  std::string address;
};

struct AttachmentSpec {
  std::string filename;      // UTF-8
  std::string data;
  std::string content_type;  // "type/subtype"; guessed by the caller
};

struct MessageSpec {
  std::optional<Mailbox> from;
  std::vector<Mailbox> to, cc;  // Bcc is never written
  std::vector<Mailbox> reply_to;
  std::optional<std::string> subject;
  std::optional<std::string> text;  // UTF-8
  std::optional<std::string> html;  // UTF-8
  std::vector<AttachmentSpec> attachments;
  std::vector<std::pair<std::string, std::string>> headers;  // extra, UTF-8 values
  std::optional<std::string> date;        // filled in when absent
  std::optional<std::string> message_id;  // filled in when absent
};

// Returns the message bytes: CRLF line ends, lines at most 78 characters in
// headers and 76 in encoded bodies; text/plain alone, multipart/alternative for
// text+html, wrapped in multipart/mixed when there are attachments.
// Text parts are utf-8: 7bit when ASCII with lines up to 998 octets, else
// quoted-printable or base64, whichever is shorter. Attachments are base64
// with filename (RFC 2231) and name (RFC 2047) parameters, except a
// message/rfc822 one: that is the message itself, 7bit or 8bit (RFC 2046
// §5.2.1), with CRLF line ends.
// Extra headers: Bcc is dropped; MIME-Version and Content-* are refused; Date
// and Message-ID take the place of generated ones; a field also set in the
// spec (From, To, Cc, Reply-To, Subject, Date, Message-ID) is refused as a
// duplicate.
// Throws std::invalid_argument for CR or LF in any header text, bad header
// names, addresses with white space, '<', '>', ',' or ';', and content types
// that are not "type/subtype".
std::string build_message(const MessageSpec& spec);

// The message with every Bcc field of its header section removed, folded
// lines too (RFC 5322 §3.6.3: Bcc is not transmitted to the To and Cc
// recipients). The header section ends at the first empty line ("\r\n\r\n",
// else "\n\n"); the body and every other byte are kept as they are.
std::string without_bcc(std::string_view message);

// "Sun, 22 Nov 2026 02:49:30 +0000" for now (UTC).
std::string format_date_now();
// The same for a given time (UTC); RFC 5322 §3.3 date-time.
std::string format_date(std::time_t when);
// "<unique@domain>"
std::string make_message_id(std::string_view domain);

}  // namespace mailroom::mime
