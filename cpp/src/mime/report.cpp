// Reports in a multipart/report (RFC 6522): safe fields, the returned
// original, the container.
#include "mailroom/mime/report.hpp"

#include <algorithm>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/text.hpp"

namespace mailroom::mime::report {

namespace {

constexpr std::size_t kMaxHeaderSection = 256 * 1024;
constexpr std::string_view kCrlf = "\r\n";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name)
    if (c <= 32 || c >= 127) return false;
  return true;
}

bool needs_encoding(std::string_view text) {
  for (unsigned char c : text)
    if (c >= 127 || (c < 32 && c != '\t' && c != '\r' && c != '\n')) return true;
  return false;
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

}  // namespace

// One line of printable US-ASCII: control characters (CR and LF included, so
// nothing can start a new header field) become a single space, runs of white
// space collapse, 8-bit octets become '?', and the ends are trimmed.
std::string clean(std::string_view in, std::size_t limit) {
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

bool is_report(std::string_view message) {
  std::size_t pos = 0;
  while (pos < message.size()) {
    const std::size_t end = std::min(message.find('\n', pos), message.size());
    const std::string_view line = message.substr(pos, end - pos);
    if (line.empty() || line == "\r") return false;  // end of the header section
    if (istarts_with(line, "Content-Type:"))
      return lowered(trim(line.substr(13))).starts_with("multipart/report");
    pos = end + 1;
  }
  return false;
}

Part original_part(std::string_view original, bool full, std::string description) {
  Part part;
  part.description = std::move(description);
  part.body = canonical_lines(full ? original : header_section(original));
  if (full) {
    // message/rfc822 is never encoded (RFC 2046 §5.2.1): 8bit it is.
    part.content_type = "message/rfc822";
    for (unsigned char c : part.body) part.eight_bit = part.eight_bit || c >= 128;
    if (part.eight_bit) part.encoding = "8bit";
  } else {
    part.content_type = "text/rfc822-headers";
    if (needs_encoding(part.body)) {
      part.body = mime::qp_encode(part.body);
      if (!part.body.empty() && !part.body.ends_with(kCrlf)) part.body.append(kCrlf);
      part.encoding = "quoted-printable";
    }
  }
  return part;
}

std::string build(const std::vector<std::pair<std::string, std::string>>& fields,
                  std::string_view report_type, std::string_view message_id,
                  const std::vector<Part>& parts) {
  std::string all;
  bool eight_bit = false;
  for (const Part& p : parts) {
    all.append(p.body);
    eight_bit = eight_bit || p.eight_bit;
  }
  const std::string boundary = make_boundary(message_id, all);
  std::string delimiter = "--";
  delimiter.append(boundary);

  std::string out;
  out.reserve(all.size() + 2048);
  for (const auto& [name, value] : fields) add_field(out, name, value);
  add_field(out, "MIME-Version", "1.0");
  std::string content_type = "multipart/report; report-type=";
  content_type.append(report_type).append("; boundary=\"").append(boundary).append("\"");
  add_field(out, "Content-Type", content_type);
  add_field(out, "Content-Transfer-Encoding", eight_bit ? "8bit" : "7bit");
  out.append(kCrlf);
  out.append("This is a MIME-encapsulated message.\r\n");
  for (const Part& p : parts) {
    out.append(kCrlf).append(delimiter).append(kCrlf);
    add_field(out, "Content-Description", p.description);
    add_field(out, "Content-Type", p.content_type);
    if (!p.encoding.empty()) add_field(out, "Content-Transfer-Encoding", p.encoding);
    out.append(kCrlf);
    out.append(p.body);  // ends with CRLF (or is empty)
  }
  out.append(kCrlf).append(delimiter).append("--").append(kCrlf);
  return out;
}

}  // namespace mailroom::mime::report
