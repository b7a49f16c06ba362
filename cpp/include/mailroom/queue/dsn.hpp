// Delivery status notifications: the report sent back to the envelope sender
// when a message could not be delivered, is delayed, was delivered, or was
// relayed to a next hop that cannot report on it.
// RFC 3464 (message/delivery-status), RFC 3461 §6 (when a DSN is sent),
// RFC 6522 (multipart/report, formerly RFC 3462), RFC 3834 (Auto-Submitted).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailroom::queue {

struct DsnRecipient {
  std::string address;      // Final-Recipient: rfc822; <address>
  // Original-Recipient: <type>; <address> (RFC 3464 §2.3.1), from the ORCPT
  // parameter (RFC 3461 §4.2, decoded); omitted when the type is empty.
  std::string original_type;
  std::string original_recipient;
  // "failed", "delayed", "delivered" or "relayed" (RFC 3464 §2.3.3)
  std::string action;
  std::string status;       // "5.1.1"; empty: derived from `diagnostic` (see below)
  std::string remote_mta;   // Remote-MTA: dns; <host>   (omitted when empty)
  std::string diagnostic;   // Diagnostic-Code: smtp; <reply as one line> (omitted when
                            // empty; text without a reply code: "X-Mailroom; <text>")
  double last_attempt = 0;  // Last-Attempt-Date (epoch seconds; omitted when 0)
  double will_retry_until = 0;  // Will-Retry-Until, for "delayed" (omitted when 0)
};

struct DsnReport {
  // Our host name: "Reporting-MTA: dns; <name>", "From: MAILER-DAEMON@<name>".
  std::string reporting_mta;
  // The envelope sender of the original message: the To: of the report.
  std::string original_sender;
  std::string queue_id;     // "X-Mailroom-Queue-ID: <id>" in the per-message block
  double arrival_date = 0;  // Arrival-Date (omitted when 0)
  double now = 0;           // Date: of the report (the queue's clock)
  std::vector<DsnRecipient> recipients;
  // Original-Envelope-Id (RFC 3464 §2.2.1): the ENVID parameter, decoded.
  bool has_envelope_id = false;
  std::string envelope_id;
  // The original message: its header section is returned as
  // text/rfc822-headers, or with `return_full` (RET=FULL, RFC 3461 §4.3) the
  // whole message as message/rfc822 (headers only past kMaxReturnedMessage).
  std::string_view original;
  bool return_full = false;
};

constexpr std::size_t kMaxReturnedMessage = std::size_t{10} << 20;

// A complete RFC 5322 message (CRLF line ends, 7bit) to be queued from the null
// sender (RFC 3461 §6.2, RFC 5321 §4.5.5):
//   From: "Mail Delivery System" <MAILER-DAEMON@reporting_mta>, To: <original_sender>,
//   Subject: "Undelivered Mail Returned to Sender" when any recipient failed, else
//   "Delayed Mail (still being retried)" when any is delayed, else "Successful Mail
//   Delivery Report"; Date (from `now`), Message-ID, MIME-Version,
//   Auto-Submitted: auto-replied (RFC 3834 §5), and a multipart/report;
//   report-type=delivery-status body with three parts: text/plain (us-ascii) for
//   people, message/delivery-status (RFC 3464 §2), text/rfc822-headers with the
//   original's header section (RFC 6522 §4; quoted-printable when it has 8-bit
//   octets, so the report stays 7bit), or message/rfc822 with the whole message
//   (RFC 3464 §2.1: 8bit when it has 8-bit octets, as message/* may not be encoded).
// Inputs are untrusted: CR, LF and other control characters become spaces, 8-bit
// octets become '?' outside the headers part; long lines are folded so none
// exceeds 998 octets (RFC 5322 §2.1.1). An empty or invalid `status` is derived
// from `diagnostic`: its enhanced code ("550 5.1.1 ..." gives 5.1.1, RFC 3463),
// else the class of its reply code (5.0.0 / 4.0.0), else from `action`.
// Throws std::invalid_argument when `original_sender` is empty (a message from the
// null sender is never answered with a DSN, RFC 3461 §6.2 and RFC 5321 §6.1) or
// when there are no recipients (RFC 3464 §2 needs one per-recipient block).
std::string build_dsn(const DsnReport& report);

// "Sun, 22 Nov 2026 02:49:30 +0000" for an epoch time (UTC); fractions are dropped.
std::string format_rfc5322_date(double epoch_seconds);

}  // namespace mailroom::queue
