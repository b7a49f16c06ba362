// Message disposition notifications: read receipts (RFC 8098). A reader's
// mail client answers a message that asked for one with
// Disposition-Notification-To.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mailroom::mime {

struct MdnSpec {
  std::string original;         // the message being answered (its header section is read)
  std::string final_recipient;  // the reader: From: and Final-Recipient (RFC 8098 §3.2.4)
  // The address the MDN goes to; empty: the original's Disposition-Notification-To.
  std::string to;
  // Disposition (RFC 8098 §3.2.6): "<action-mode>/<sending-mode>; <type>[/<modifiers>]".
  std::string disposition_type = "displayed";  // displayed, deleted, dispatched, processed
  bool automatic_action = false;   // automatic-action; else manual-action
  bool sent_automatically = false;  // MDN-sent-automatically; else MDN-sent-manually
  std::vector<std::string> modifiers;  // "error", ...
  std::string reporting_ua = "mailroom";  // Reporting-UA: <ua-name>
  std::string text;             // the note for people; empty: one is written
  // The original as the third part: "headers" (text/rfc822-headers), "full"
  // (message/rfc822) or "none".
  std::string include = "headers";
  std::optional<std::string> date;        // RFC 5322 date; now when absent
  std::optional<std::string> message_id;  // made when absent
};

// A complete multipart/report; report-type=disposition-notification message
// (RFC 8098 §3, RFC 6522): From the reader, To the requester, Subject
// "Read: <original subject>" for "displayed" (else "Disposition notification:
// ..."), In-Reply-To and References the original's Message-ID, Auto-Submitted:
// auto-replied when sent automatically (RFC 3834 §5), then a text/plain note,
// message/disposition-notification (Reporting-UA, Original-Recipient when the
// original has that header, Final-Recipient, Original-Message-ID,
// Disposition) and the original. Sent from the null reverse-path (RFC 8098 §2.1).
// Throws std::invalid_argument for an unknown disposition type or include, a
// missing or bad address (no `to` and no Disposition-Notification-To), or a
// CR/LF in any value.
std::string build_mdn(const MdnSpec& spec);

}  // namespace mailroom::mime
