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
#include "mailroom/mime/codecs.hpp"
#include "mailroom/text.hpp"

namespace mailroom::queue {
namespace {

constexpr std::size_t kFoldAt = 78;      // RFC 5322 §2.1.1: SHOULD
constexpr std::size_t kMaxLine = 998;    // RFC 5322 §2.1.1: MUST, without the CRLF
constexpr std::size_t kMaxValue = 4096;  // a diagnostic longer than this is cut
constexpr std::size_t kMaxHeaderSection = 256 * 1024;
constexpr std::string_view kCrlf = "\r\n";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// One line of printable US-ASCII: control characters (CR and LF included, so
// nothing can start a new header field) become a single space, runs of white
// space collapse, 8-bit octets become '?', and the ends are trimmed.
std::string clean(std::string_view in, std::size_t limit = kMaxValue) {
  std::string out;
  bool space = false;
  for (unsigned char c : in) {
    if (c < 32 || c == 127 || c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    if (out.size() >= limit) {
      out.append(" [...]");
      return out;
    }
    out.push_back(c >= 128 ? '?' : static_cast<char>(c));
  }
  return out;
}

// A host name for Reporting-MTA and MAILER-DAEMON@: letters, digits and the
// punctuation of names and address literals only.
std::string clean_host(std::string_view in) {
  std::string out;
  for (char c : in) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
        c == '.' || c == '_' || c == '[' || c == ']' || c == ':')
      out.push_back(c);
  }
  if (out.size() > 255) out.resize(255);
  return out.empty() ? std::string("localhost") : out;
}

// Appends `words` (already clean: single spaces, no controls) as lines that
// start with `first` and then with `next`, breaking at spaces so that lines stay
// within `width` where a word allows it; a word that would not fit in kMaxLine
// is cut.
void wrap(std::string& out, std::string_view first, std::string_view next,
          std::string_view words, std::size_t width) {
  std::string line(first);
  bool line_has_word = false;
  const std::size_t hard = kMaxLine - next.size() - 1;
  while (!words.empty()) {
    std::size_t end = words.find(' ');
    std::string_view word = words.substr(0, end);
    words.remove_prefix(end == std::string_view::npos ? words.size() : end + 1);
    while (!word.empty()) {
      const std::size_t need = word.size() + (line_has_word ? 1 : 0);
      if (line_has_word && line.size() + need > width) {
        out.append(line).append(kCrlf);
        line.assign(next);
        line_has_word = false;
      }
      std::string_view piece = word.substr(0, std::min(word.size(), hard));
      if (line_has_word) line.push_back(' ');
      line.append(piece);
      line_has_word = true;
      word.remove_prefix(piece.size());
      if (!word.empty()) {  // an over-long word: cut it
        out.append(line).append(kCrlf);
        line.assign(next);
        line_has_word = false;
      }
    }
  }
  out.append(line).append(kCrlf);
}

// A header field (or DSN field, RFC 3464 §2.1, same syntax) folded at spaces.
void add_field(std::string& out, std::string_view name, std::string_view clean_value) {
  std::string first(name);
  first.append(": ");
  wrap(out, first, " ", clean_value, kFoldAt);
}

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

bool is_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name)
    if (c <= 32 || c >= 127) return false;
  return true;
}

// The header section of `message`: its lines up to the empty line that ends it,
// or up to the first line that is neither a header field nor a continuation
// line (where a lenient reader starts the body), bounded in size.
std::string_view header_section(std::string_view message) {
  std::size_t pos = 0;
  while (pos < message.size()) {
    std::size_t eol = message.find('\n', pos);
    const std::size_t next = eol == std::string_view::npos ? message.size() : eol + 1;
    std::string_view line = message.substr(pos, next - pos);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
      line.remove_suffix(1);
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      if (pos == 0) break;  // a continuation of nothing
    } else {
      const std::size_t colon = line.find(':');
      // RFC 5322 §4.5 (obs-optional) allows white space before the colon.
      if (colon == std::string_view::npos ||
          !is_field_name(trim(line.substr(0, colon))))
        break;
    }
    if (next > kMaxHeaderSection) break;
    pos = next;
  }
  return message.substr(0, pos);
}

// CRLF line ends; a line over kMaxLine octets is folded (a header line can only
// be that long if it has no white space to fold at, so this is a last resort).
std::string canonical_lines(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 64);
  std::size_t col = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out.append(kCrlf);
      col = 0;
      continue;
    }
    if (col >= kMaxLine - 1) {
      out.append("\r\n ");
      col = 1;
    }
    out.push_back(c);
    ++col;
  }
  if (col != 0) out.append(kCrlf);
  return out;
}

bool needs_encoding(std::string_view text) {
  for (unsigned char c : text)
    if (c >= 127 || (c < 32 && c != '\t' && c != '\r' && c != '\n')) return true;
  return false;
}

void add_date_field(std::string& out, std::string_view name, double when) {
  if (when != 0) add_field(out, name, format_rfc5322_date(when));
}

// A multipart boundary from the unique part of the Message-ID; "=_" can occur
// in no quoted-printable output, and the 7bit parts are checked.
std::string make_boundary(std::string_view message_id, std::string_view content) {
  std::string base = "=_report_";
  for (char c : message_id)
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.')
      base.push_back(c);
    else if (c == '@')
      break;
  std::string boundary = base;
  for (int n = 1; content.find(boundary) != std::string_view::npos; ++n) {
    boundary = base;
    boundary.push_back('_');
    boundary.append(std::to_string(n));
  }
  return boundary;
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

  const std::string text = explanation(report, host, failed, delayed);
  const std::string status = delivery_status(report, host);
  const bool full = report.return_full && report.original.size() <= kMaxReturnedMessage;
  std::string headers = canonical_lines(full ? report.original : header_section(report.original));
  std::string headers_encoding;
  bool eight_bit = false;
  if (full) {
    // message/rfc822 is never encoded (RFC 2046 §5.2.1): 8bit it is.
    for (unsigned char c : headers) eight_bit = eight_bit || c >= 128;
    if (eight_bit) headers_encoding = "8bit";
  } else if (needs_encoding(headers)) {
    headers = mime::qp_encode(headers);
    if (!headers.empty() && !headers.ends_with(kCrlf)) headers.append(kCrlf);
    headers_encoding = "quoted-printable";
  }

  const std::string message_id = mime::make_message_id(host);
  std::string all = text;
  all.append(status).append(headers);
  const std::string boundary = make_boundary(message_id, all);
  std::string delimiter = "--";
  delimiter.append(boundary);

  std::string out;
  out.reserve(all.size() + 2048);
  std::string from = "\"Mail Delivery System\" <MAILER-DAEMON@";
  from.append(host).append(">");
  add_field(out, "From", from);
  std::string to = "<";
  to.append(sender).append(">");
  add_field(out, "To", to);
  add_field(out, "Subject",
            failed    ? "Undelivered Mail Returned to Sender"
            : delayed ? "Delayed Mail (still being retried)"
                      : "Successful Mail Delivery Report");
  add_field(out, "Date", format_rfc5322_date(report.now));
  add_field(out, "Message-ID", message_id);
  add_field(out, "MIME-Version", "1.0");
  add_field(out, "Auto-Submitted", "auto-replied");  // RFC 3834 §5
  std::string content_type =
      "multipart/report; report-type=delivery-status; boundary=\"";
  content_type.append(boundary).append("\"");
  add_field(out, "Content-Type", content_type);
  add_field(out, "Content-Transfer-Encoding", eight_bit ? "8bit" : "7bit");
  out.append(kCrlf);
  out.append("This is a MIME-encapsulated message.\r\n");

  auto part = [&](std::string_view description, std::string_view type,
                  std::string_view encoding, std::string_view body) {
    out.append(kCrlf).append(delimiter).append(kCrlf);
    add_field(out, "Content-Description", description);
    add_field(out, "Content-Type", type);
    if (!encoding.empty()) add_field(out, "Content-Transfer-Encoding", encoding);
    out.append(kCrlf);
    out.append(body);  // ends with CRLF (or is empty)
  };
  part("Notification", "text/plain; charset=us-ascii", "", text);
  part("Delivery report", "message/delivery-status", "", status);
  if (full)
    part(failed ? "Undelivered Message" : delayed ? "Delayed Message" : "Message", "message/rfc822",
         headers_encoding, headers);
  else
    part(failed    ? "Undelivered Message Headers"
         : delayed ? "Delayed Message Headers"
                   : "Message Headers",
         "text/rfc822-headers", headers_encoding, headers);
  out.append(kCrlf).append(delimiter).append("--").append(kCrlf);
  return out;
}

}  // namespace mailroom::queue
