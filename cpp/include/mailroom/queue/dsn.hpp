// Delivery status notifications: the report the queue sends back to the
// envelope sender when a message could not be delivered, or is delayed.
// RFC 3464 (message/delivery-status), RFC 3461 §6 (when a DSN is sent),
// RFC 6522 (multipart/report, formerly RFC 3462), RFC 3834 (Auto-Submitted).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailroom::queue {

struct DsnRecipient {
  std::string address;      // Final-Recipient: rfc822; <address>
  std::string action;       // "failed" or "delayed" (RFC 3464 §2.3.3)
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
  // The original message; only its header section is returned.
  std::string_view original;
};

// A complete RFC 5322 message (CRLF line ends, 7bit) to be queued from the null
// sender (RFC 3461 §6.2, RFC 5321 §4.5.5):
//   From: "Mail Delivery System" <MAILER-DAEMON@reporting_mta>, To: <original_sender>,
//   Subject: "Undelivered Mail Returned to Sender" when any recipient failed, else
//   "Delayed Mail (still being retried)", Date (from `now`), Message-ID, MIME-Version,
//   Auto-Submitted: auto-replied (RFC 3834 §5), and a multipart/report;
//   report-type=delivery-status body with three parts: text/plain (us-ascii) for
//   people, message/delivery-status (RFC 3464 §2), text/rfc822-headers with the
//   original's header section (RFC 6522 §4; quoted-printable when it has 8-bit
//   octets, so the report stays 7bit).
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
