// Reading delivery reports: DSNs (RFC 3464) and read receipts (MDNs, RFC
// 8098) in a parsed message. The machine-readable part is found wherever the
// sender put it (message/delivery-status, message/disposition-notification or
// their RFC 6533 global- forms, usually inside a multipart/report, RFC 6522)
// and its field groups are read: unfolded, names lower-cased, bounded. It
// reads what mailroom writes and what Postfix, Exchange and mail readers send.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailroom/mime/message.hpp"

namespace mailroom::mime {

// A group of report fields (RFC 3464 §2.1): (lower-cased name, value with its
// continuation lines joined by a space and the ends trimmed), in order.
using ReportFields = std::vector<std::pair<std::string, std::string>>;

constexpr std::size_t kMaxReportLines = 10'000;  // a longer report is read so far

struct DeliveryReportData {
  std::string kind;             // "delivery-status", "disposition-notification"; "" when none
  std::int32_t status_part = -1;    // the machine-readable part
  std::int32_t original_part = -1;  // the returned message or headers after it; -1 when none
  bool original_headers_only = false;  // text/rfc822-headers rather than the whole message
  ReportFields per_message;     // the first group (for an MDN, the only one)
  std::vector<ReportFields> recipients;  // a DSN's per-recipient groups
};

DeliveryReportData read_delivery_report(const ParsedMessage& message);

// The first value of `name` (lower-case) in `fields`, or "".
std::string_view report_field(const ReportFields& fields, std::string_view name);

// "rfc822; bob@x" -> "bob@x" (RFC 3464 §2.1.2 address-type ";" address; the
// type goes to `type`); a value without ";" comes back trimmed.
std::string_view without_type(std::string_view value, std::string_view* type = nullptr);

// "5.1.1 (bad destination mailbox)" -> "5.1.1": the first word before any comment.
std::string_view first_word(std::string_view value);

// Disposition: action-mode "/" sending-mode ";" type ["/" modifier *("," modifier)]
// (RFC 8098 §3.2.6). action_mode, type and modifiers lower-cased; `ok` false
// when the value has no ";".
struct Disposition {
  bool ok = false;
  std::string action_mode, sending_mode, type;
  std::vector<std::string> modifiers;
};
Disposition parse_disposition(std::string_view value);

}  // namespace mailroom::mime
