// Machine-written reports in a multipart/report (RFC 6522): the fields and
// lines such a report writes when its inputs are untrusted, the part
// that returns the original message, and the container. Delivery status
// notifications (queue/dsn.hpp, RFC 3464) and read receipts (mime/mdn.hpp,
// RFC 8098) are written with it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailroom::mime::report {

constexpr std::size_t kFoldAt = 78;      // RFC 5322 §2.1.1: SHOULD
constexpr std::size_t kMaxLine = 998;    // RFC 5322 §2.1.1: MUST, without the CRLF
constexpr std::size_t kMaxValue = 4096;  // a longer value is cut

// One line of printable US-ASCII: control characters (CR and LF included, so
// nothing can start a new header field) become a single space, runs of white
// space collapse, 8-bit octets become '?', the ends are trimmed, and more
// than `limit` octets are cut (" [...]").
std::string clean(std::string_view in, std::size_t limit = kMaxValue);
// A host name for Reporting-MTA, Reporting-UA and MAILER-DAEMON@: letters,
// digits and the punctuation of names and address literals; "localhost" if none.
std::string clean_host(std::string_view in);

// Appends `words` (clean: single spaces, no controls) as lines starting with
// `first`, then with `next`, broken at spaces to stay within `width` where a
// word allows; a word too long for kMaxLine is cut. Each line ends in CRLF.
void wrap(std::string& out, std::string_view first, std::string_view next, std::string_view words,
          std::size_t width);
// "Name: value" folded at spaces (header fields and report fields alike).
void add_field(std::string& out, std::string_view name, std::string_view clean_value);

// The header section of `message`: up to its empty line, or up to the first
// line that is neither a field nor a continuation, bounded in size.
std::string_view header_section(std::string_view message);
// CRLF line ends; a line over kMaxLine octets is folded.
std::string canonical_lines(std::string_view text);

struct Part {
  std::string description;   // Content-Description
  std::string content_type;  // with parameters
  std::string encoding;      // Content-Transfer-Encoding; "" for none
  std::string body;          // CRLF line ends, ending in CRLF (or empty)
  bool eight_bit = false;    // the body has 8-bit octets (the report is 8bit)
};

// The original message as the last part of a report: its header section as
// text/rfc822-headers (quoted-printable when it has 8-bit octets, so the
// report stays 7bit), or with `full` the whole message as message/rfc822
// (never encoded, RFC 2046 §5.2.1: marked 8bit when it has 8-bit octets).
Part original_part(std::string_view original, bool full, std::string description);

// Whether `message` is itself a report (its top-level Content-Type is
// multipart/report): a report never answers one (RFC 3461 §6.2, RFC 8098 §2.1).
bool is_report(std::string_view message);

// The report: `fields` (name, clean value) as its header section, then
// MIME-Version, Content-Type: multipart/report; report-type=<report_type>
// with a boundary found in no part, and the parts. `message_id` seeds the
// boundary.
std::string build(const std::vector<std::pair<std::string, std::string>>& fields,
                  std::string_view report_type, std::string_view message_id,
                  const std::vector<Part>& parts);

}  // namespace mailroom::mime::report
