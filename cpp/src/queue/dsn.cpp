// Delivery status notifications (RFC 3464) in a multipart/report (RFC 6522).
#include "mailroom/queue/dsn.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <ctime>
#include <stdexcept>
#include <string>
#include <string_view>

#include "mailroom/mime/builder.hpp"
#include "mailroom/mime/report.hpp"
#include "mailroom/text.hpp"

namespace mailroom::queue {
namespace {

using mime::report::add_field;
using mime::report::clean;
using mime::report::clean_host;
using mime::report::wrap;
constexpr std::string_view kCrlf = "\r\n";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 3463 status-code: class "." subject "." detail.
bool valid_status(std::string_view s) {
  if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
    return false;
  std::size_t i = 2;
  for (int group = 0; group < 2; ++group) {
    std::size_t digits = 0;
    while (i < s.size() && is_digit(s[i]) && digits < 4) ++i, ++digits;
    if (digits == 0 || digits > 3) return false;
    if (group == 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

// "550 ...", "550-...", "550": a reply code of class 2, 4 or 5 first.
bool is_smtp_reply(std::string_view d) {
  return d.size() >= 3 && (d[0] == '2' || d[0] == '4' || d[0] == '5') &&
         is_digit(d[1]) && is_digit(d[2]) &&
         (d.size() == 3 || d[3] == ' ' || d[3] == '-');
}

std::string_view first_token(std::string_view s) {
  return s.substr(0, std::min(s.find(' '), s.size()));
}

// The Status of a recipient without a valid one: the enhanced code of the SMTP
// reply in `diagnostic` ("550 5.1.1 ..." or "550-5.1.1 ..."), else the class of
// its reply code, else what `action` implies.
std::string derive_status(std::string_view diagnostic, std::string_view action) {
  std::string_view d = trim(diagnostic);
  if (is_smtp_reply(d)) {
    if (d.size() > 4) {
      std::string_view enhanced = first_token(d.substr(4));
      if (valid_status(enhanced) && enhanced[0] == d[0]) return std::string(enhanced);
    }
    std::string s(1, d[0]);
    s.append(".0.0");
    return s;
  }
  if (std::string_view enhanced = first_token(d); valid_status(enhanced))
    return std::string(enhanced);
  if (action == "delayed") return "4.0.0";
  if (action == "delivered" || action == "relayed" || action == "expanded")
    return "2.0.0";
  return "5.0.0";
}

// RFC 3464 §2.3.3 action values; anything else is reported as a failure.
std::string normalize_action(std::string_view action) {
  std::string a = lowered(trim(action));
  if (a == "failed" || a == "delayed" || a == "delivered" || a == "relayed" ||
      a == "expanded")
    return a;
  return "failed";
}

void add_date_field(std::string& out, std::string_view name, double when) {
  if (when != 0) add_field(out, name, format_rfc5322_date(when));
}

std::string explanation(const DsnReport& report, const std::string& host, bool failed,
                        bool delayed) {
  std::string text;
  wrap(text, "", "", clean("This is the mail system at host " + host + "."), 76);
  text.append(kCrlf);
  if (delayed && !failed) {
    text.append(
        "####################################################################\r\n"
        "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\r\n"
        "####################################################################\r\n"
        "\r\n");
  }
  if (!failed && !delayed) {
    text.append(
        "Your message was successfully delivered to the destination(s)\r\n"
        "listed below. If the message was delivered to a mailbox you will\r\n"
        "receive no further notifications. Otherwise you may still receive\r\n"
        "notifications of mail delivery errors from other systems.\r\n\r\n");
  }
  if (failed) {
    text.append(
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients. The headers of your\r\n"
        "message are attached below.\r\n\r\n");
  }
  if (delayed) {
    text.append(
        "Your message could not be delivered yet to one or more recipients.\r\n"
        "The mail system will keep trying; no action is needed from you.\r\n\r\n");
  }
  text.append("For further assistance, please contact your postmaster.\r\n\r\n");
  text.append("                   The mail system\r\n");
  for (const DsnRecipient& r : report.recipients) {
    const std::string action = normalize_action(r.action);
    std::string line = "<";
    line.append(clean(r.address)).append(">: ");
    if (!r.remote_mta.empty())
      line.append("host ").append(clean(r.remote_mta)).append(" said: ");
    if (!r.diagnostic.empty())
      line.append(clean(r.diagnostic));
    else
      line.append(action == "delayed"     ? "delivery temporarily suspended"
                  : action == "delivered" ? "delivered to mailbox"
                  : action == "relayed"   ? "relayed to a system that does not report delivery"
                                          : "delivery failed");
    if (action == "delayed" && r.will_retry_until != 0) {
      line.append(" (will retry until ");
      line.append(format_rfc5322_date(r.will_retry_until)).append(")");
    }
    text.append(kCrlf);
    wrap(text, "", "    ", clean(line), 76);
  }
  return text;
}

std::string delivery_status(const DsnReport& report, const std::string& host) {
  // Per-message fields (RFC 3464 §2.2), then one block per recipient (§2.3),
  // the blocks separated by empty lines.
  std::string ds;
  if (report.has_envelope_id) add_field(ds, "Original-Envelope-Id", clean(report.envelope_id));
  add_field(ds, "Reporting-MTA", "dns; " + host);
  if (!report.queue_id.empty())
    add_field(ds, "X-Mailroom-Queue-ID", clean(report.queue_id));
  add_date_field(ds, "Arrival-Date", report.arrival_date);
  for (const DsnRecipient& r : report.recipients) {
    const std::string action = normalize_action(r.action);
    ds.append(kCrlf);
    if (!r.original_type.empty())
      add_field(ds, "Original-Recipient",
                clean(r.original_type, 64) + "; " + clean(r.original_recipient, 1000));
    std::string value = "rfc822; ";
    value.append(clean(r.address));
    add_field(ds, "Final-Recipient", value);
    add_field(ds, "Action", action);
    const std::string status = clean(r.status, 16);
    add_field(ds, "Status",
              valid_status(status) ? status : derive_status(r.diagnostic, action));
    if (!r.remote_mta.empty()) {
      value = "dns; ";
      value.append(clean(r.remote_mta, 255));
      add_field(ds, "Remote-MTA", value);
    }
    if (!r.diagnostic.empty()) {
      // A multi-line SMTP reply becomes one (folded) line. Text that is no SMTP
      // reply (a connection error) gets an extension type, as the "smtp" type
      // promises a reply code (RFC 3464 §2.3.6).
      const std::string diagnostic = clean(r.diagnostic);
      value = is_smtp_reply(diagnostic) ? "smtp; " : "X-Mailroom; ";
      value.append(diagnostic);
      add_field(ds, "Diagnostic-Code", value);
    }
    add_date_field(ds, "Last-Attempt-Date", r.last_attempt);
    if (action == "delayed") add_date_field(ds, "Will-Retry-Until", r.will_retry_until);
  }
  return ds;
}

}  // namespace

std::string format_rfc5322_date(double epoch_seconds) {
  // Years 1970..9999, so the year keeps its four digits.
  constexpr double kMax = 253402300799.0;
  double t = std::isfinite(epoch_seconds) ? std::floor(epoch_seconds) : 0;
  t = t < 0 ? 0 : (t > kMax ? kMax : t);
  return mime::format_date(static_cast<std::time_t>(t));
}

std::string build_dsn(const DsnReport& report) {
  const std::string sender = clean(report.original_sender, 1000);
  if (sender.empty())
    throw std::invalid_argument(
        "no delivery status notification for the null sender (RFC 3461 §6.2)");
  if (report.recipients.empty())
    throw std::invalid_argument("a delivery status notification needs a recipient");

  const std::string host = clean_host(report.reporting_mta);
  bool failed = false, delayed = false;
  for (const DsnRecipient& r : report.recipients) {
    const std::string action = normalize_action(r.action);
    failed = failed || action == "failed";
    delayed = delayed || action == "delayed";
  }

  const std::string message_id = mime::make_message_id(host);
  std::vector<std::pair<std::string, std::string>> fields;
  fields.emplace_back("From", "\"Mail Delivery System\" <MAILER-DAEMON@" + host + ">");
  fields.emplace_back("To", "<" + sender + ">");
  fields.emplace_back("Subject", failed    ? "Undelivered Mail Returned to Sender"
                                 : delayed ? "Delayed Mail (still being retried)"
                                           : "Successful Mail Delivery Report");
  fields.emplace_back("Date", format_rfc5322_date(report.now));
  fields.emplace_back("Message-ID", message_id);
  fields.emplace_back("Auto-Submitted", "auto-replied");  // RFC 3834 §5

  std::vector<mime::report::Part> parts(2);
  parts[0] = {"Notification", "text/plain; charset=us-ascii", "",
              explanation(report, host, failed, delayed)};
  parts[1] = {"Delivery report", "message/delivery-status", "", delivery_status(report, host)};
  const bool full = report.return_full && report.original.size() <= kMaxReturnedMessage;
  parts.push_back(mime::report::original_part(
      report.original, full,
      std::string(failed ? "Undelivered Message" : delayed ? "Delayed Message" : "Message") +
          (full ? "" : " Headers")));
  return mime::report::build(fields, "delivery-status", message_id, parts);
}

}  // namespace mailroom::queue
