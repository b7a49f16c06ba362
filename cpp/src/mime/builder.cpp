// Building new messages: headers encoded and folded, text parts in 7bit,
// quoted-printable or base64, attachments in base64, multipart structure.
#include "mailroom/text.hpp"
#include "mailroom/mime/builder.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include "header_fold.hpp"
#include "mailroom/mime/codecs.hpp"

namespace mailroom::mime {
namespace {

constexpr std::size_t kMaxTextLine = 998;  // RFC 5322 §2.1.1


bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

void reject_line_breaks(std::string_view what, std::string_view value) {
  if (value.find_first_of("\r\n") != std::string_view::npos)
    throw std::invalid_argument(std::string(what) + " contains CR or LF");
}

void check_field_name(std::string_view name) {
  if (name.empty()) throw std::invalid_argument("empty header name");
  for (unsigned char c : name) {
    if (c <= 32 || c >= 127 || c == ':')
      throw std::invalid_argument("invalid header name: " + std::string(name));
  }
}

void check_address(std::string_view address) {
  if (address.empty()) throw std::invalid_argument("empty address");
  for (unsigned char c : address) {
    if (c <= 32 || c == 127 || c == '<' || c == '>' || c == ',' || c == ';')
      throw std::invalid_argument("invalid address: " + std::string(address));
  }
}

std::string mailbox_text(const Mailbox& mb) {
  check_address(mb.address);
  reject_line_breaks("display name", mb.display_name);
  std::string_view name = mb.display_name;
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  if (name.empty()) return mb.address;
  std::string out = encode_phrase(name);
  out += " <";
  out += mb.address;
  out += '>';
  return out;
}

void add_field(std::string& out, std::string_view name, std::string_view folded_value) {
  out.append(name);
  out.append(": ");
  out.append(folded_value);
  out.append("\r\n");
}

void add_address_field(std::string& out, std::string_view name,
                       const std::vector<Mailbox>& list) {
  if (list.empty()) return;
  std::string value;
  for (const Mailbox& mb : list) {
    if (!value.empty()) value += ", ";
    value += mailbox_text(mb);
  }
  add_field(out, name, detail::fold_at_spaces(value, name.size()));
}

std::uint64_t random_u64() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(),
                      static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id()))};
    return std::mt19937_64(seq);
  }();
  return rng();
}

std::string hex(std::uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = kHex[v & 15];
  return s;
}

std::atomic<std::uint64_t> g_counter{0};

// A boundary that cannot appear in base64 or quoted-printable output ("=_" is
// in neither); 7bit parts are checked by the caller.
std::string make_boundary() {
  std::string b = "=_mailroom_";
  b += hex(random_u64(), 16);
  b += '_';
  b += hex(g_counter.fetch_add(1, std::memory_order_relaxed), 4);
  return b;
}

struct Part {
  std::string head;  // header fields, each ending in CRLF
  std::string body;  // ends in CRLF
  bool seven_bit = false;
};

std::string normalize_line_ends(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool fits_7bit(std::string_view text) {
  std::size_t line = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      line = 0;
      ++i;
      continue;
    }
    if (c >= 0x80 || c == 0 || c == '\r' || c == '\n') return false;
    if (++line > kMaxTextLine) return false;
  }
  return true;
}

Part text_part(std::string_view utf8, std::string_view subtype) {
  std::string clean;
  sanitize_utf8(utf8, clean);
  const std::string text = normalize_line_ends(clean);
  Part p;
  p.head = "Content-Type: text/" + std::string(subtype) + "; charset=utf-8\r\n";
  if (fits_7bit(text)) {
    p.head += "Content-Transfer-Encoding: 7bit\r\n";
    p.body = text;
    if (p.body.size() < 2 || p.body.compare(p.body.size() - 2, 2, "\r\n") != 0) p.body += "\r\n";
    p.seven_bit = true;
    return p;
  }
  std::string qp = qp_encode(text);
  // End with a line end without adding one to the content: a soft break.
  if (qp.size() < 2 || qp.compare(qp.size() - 2, 2, "\r\n") != 0) qp += "=\r\n";
  std::string b64 = base64_encode(text, 76);
  if (b64.size() < qp.size()) {
    p.head += "Content-Transfer-Encoding: base64\r\n";
    p.body = std::move(b64);
  } else {
    p.head += "Content-Transfer-Encoding: quoted-printable\r\n";
    p.body = std::move(qp);
  }
  return p;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 32 || c >= 127 ||
        std::string_view("()<>@,;:\\\"/[]?=").find(static_cast<char>(c)) != std::string_view::npos)
      return false;
  }
  return true;
}

// Appends "; param" to a header being built, on the same line when it fits.
void add_param(std::string& field, std::size_t& col, std::string_view param) {
  const std::size_t first_line = param.find("\r\n");
  const std::size_t width = first_line == std::string_view::npos ? param.size() : first_line;
  if (col + 2 + width <= detail::kMaxHeaderLine) {
    field += "; ";
    col += 2;
  } else {
    field += ";\r\n ";
    col = 1;
  }
  field.append(param);
  const std::size_t last = param.rfind("\r\n");
  col = last == std::string_view::npos ? col + param.size() : param.size() - last - 2;
}

// name="..." holding RFC 2047 words for the file name, as many clients expect;
// folded between words (white space between encoded-words is not content).
std::string encoded_name_param(std::string_view filename) {
  bool ascii = true;
  for (unsigned char c : filename) ascii = ascii && c >= 0x20 && c < 0x7F;
  if (ascii) return encode_param("name", filename);
  const std::string words = encode_phrase(filename);
  std::string out = "name=\"";
  std::size_t col = 1 + out.size();
  std::size_t start = 0;
  while (start <= words.size()) {
    std::size_t end = words.find(' ', start);
    if (end == std::string::npos) end = words.size();
    const std::string_view word(words.data() + start, end - start);
    if (start != 0) {
      if (col + 1 + word.size() + 2 > detail::kMaxHeaderLine) {
        out += "\r\n ";
        col = 1;
      } else {
        out += ' ';
        ++col;
      }
    }
    out.append(word);
    col += word.size();
    start = end + 1;
  }
  out += '"';
  return out;
}

Part attachment_part(const AttachmentSpec& a) {
  reject_line_breaks("attachment filename", a.filename);
  std::string type = a.content_type.empty() ? "application/octet-stream" : a.content_type;
  const std::size_t slash = type.find('/');
  if (slash == std::string::npos || !is_token(std::string_view(type).substr(0, slash)) ||
      !is_token(std::string_view(type).substr(slash + 1)))
    throw std::invalid_argument("invalid attachment content type: " + a.content_type);
  for (char& c : type) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  Part p;
  std::string field = "Content-Type: " + type;
  std::size_t col = field.size();
  if (!a.filename.empty()) add_param(field, col, encoded_name_param(a.filename));
  p.head = field + "\r\n";
  field = "Content-Disposition: attachment";
  col = field.size();
  if (!a.filename.empty()) add_param(field, col, encode_param("filename", a.filename));
  if (type == "message/rfc822") {
    // RFC 2046 §5.2.1: no encoding but 7bit, 8bit or binary for an embedded
    // message; its lines are made CRLF and it ends with a line end.
    p.body = normalize_line_ends(a.data);
    if (p.body.size() < 2 || p.body.compare(p.body.size() - 2, 2, "\r\n") != 0) p.body += "\r\n";
    p.seven_bit = true;  // the boundary is checked against it
    p.head += field + (fits_7bit(p.body) ? "\r\nContent-Transfer-Encoding: 7bit\r\n"
                                         : "\r\nContent-Transfer-Encoding: 8bit\r\n");
    return p;
  }
  p.head += field + "\r\nContent-Transfer-Encoding: base64\r\n";
  p.body = base64_encode(a.data, 76);
  return p;
}

Part multipart(std::string_view subtype, const std::vector<Part>& parts) {
  std::string boundary;
  for (bool clash = true; clash;) {
    boundary = make_boundary();
    clash = false;
    for (const Part& part : parts) {
      if ((part.seven_bit || part.head.find("multipart/") != std::string::npos) &&
          (part.body.find(boundary) != std::string::npos ||
           part.head.find(boundary) != std::string::npos))
        clash = true;
    }
  }
  Part p;
  p.head = "Content-Type: multipart/" + std::string(subtype) + ";\r\n boundary=\"" + boundary +
           "\"\r\n";
  for (const Part& part : parts) {
    p.body += "--" + boundary + "\r\n";
    p.body += part.head;
    p.body += "\r\n";
    p.body += part.body;
    p.body += "\r\n";
  }
  p.body += "--" + boundary + "--\r\n";
  p.seven_bit = false;
  return p;
}

std::string domain_of(const std::optional<Mailbox>& from) {
  if (from) {
    const std::size_t at = from->address.rfind('@');
    if (at != std::string::npos && at + 1 < from->address.size()) {
      const std::string domain = from->address.substr(at + 1);
      bool ok = true;
      for (unsigned char c : domain) {
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.');
      }
      if (ok) return domain;
    }
  }
  return "mailroom.invalid";
}

}  // namespace

std::string format_date_now() { return format_date(std::time(nullptr)); }

std::string format_date(std::time_t when) {
  std::tm tm{};
  gmtime_r(&when, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string make_message_id(std::string_view domain) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string id = "<";
  id += hex(static_cast<std::uint64_t>(micros), 14);
  id += '.';
  id += hex(random_u64(), 16);
  id += '.';
  id += std::to_string(g_counter.fetch_add(1, std::memory_order_relaxed));
  id += '@';
  id += domain.empty() ? std::string_view("mailroom.invalid") : domain;
  id += '>';
  return id;
}

std::string build_message(const MessageSpec& spec) {
  // Extra headers: checked first; some take the place of generated ones.
  std::optional<std::string> date = spec.date, message_id = spec.message_id;
  std::string extra;
  for (const auto& [name, value] : spec.headers) {
    check_field_name(name);
    reject_line_breaks("header " + name, value);
    if (iequals(name, "Bcc")) continue;  // never written
    if (iequals(name, "MIME-Version") || istarts_with(name, "Content-"))
      throw std::invalid_argument("header " + name + " is set by the message builder");
    const bool dup = (iequals(name, "From") && spec.from) ||
                     (iequals(name, "To") && !spec.to.empty()) ||
                     (iequals(name, "Cc") && !spec.cc.empty()) ||
                     (iequals(name, "Reply-To") && !spec.reply_to.empty()) ||
                     (iequals(name, "Subject") && spec.subject) ||
                     (iequals(name, "Date") && date) ||
                     (iequals(name, "Message-ID") && message_id);
    if (dup) throw std::invalid_argument("header " + name + " given twice");
    if (iequals(name, "Date")) {
      date = value;
      continue;
    }
    if (iequals(name, "Message-ID")) {
      message_id = value;
      continue;
    }
    add_field(extra, name, encode_header(value, name.size()));
  }
  if (date) reject_line_breaks("Date", *date);
  if (message_id) reject_line_breaks("Message-ID", *message_id);
  if (spec.subject) reject_line_breaks("Subject", *spec.subject);

  std::string out;
  add_field(out, "Date", date ? *date : format_date_now());
  if (spec.from) add_field(out, "From", detail::fold_at_spaces(mailbox_text(*spec.from), 4));
  add_address_field(out, "To", spec.to);
  add_address_field(out, "Cc", spec.cc);
  add_address_field(out, "Reply-To", spec.reply_to);
  if (spec.subject) add_field(out, "Subject", encode_header(*spec.subject, 7));
  add_field(out, "Message-ID", message_id ? *message_id : make_message_id(domain_of(spec.from)));
  out += extra;
  out += "MIME-Version: 1.0\r\n";

  // Body: text, html, or both as alternatives; attachments wrap it in mixed.
  Part body;
  if (spec.text && spec.html) {
    body = multipart("alternative", {text_part(*spec.text, "plain"), text_part(*spec.html, "html")});
  } else if (spec.html) {
    body = text_part(*spec.html, "html");
  } else {
    body = text_part(spec.text ? *spec.text : std::string_view{}, "plain");
  }
  if (!spec.attachments.empty()) {
    std::vector<Part> parts;
    parts.reserve(spec.attachments.size() + 1);
    parts.push_back(std::move(body));
    for (const AttachmentSpec& a : spec.attachments) parts.push_back(attachment_part(a));
    body = multipart("mixed", parts);
  }
  out += body.head;
  out += "\r\n";
  out += body.body;
  return out;
}

std::string without_bcc(std::string_view message) {
  std::size_t end = message.find("\r\n\r\n");
  if (end == std::string_view::npos) end = message.find("\n\n");
  // The header section with the line end of its last field.
  const std::size_t head_end = end == std::string_view::npos ? message.size()
                                                             : end + (message[end] == '\r' ? 2 : 1);
  std::string out;
  out.reserve(message.size());
  bool in_bcc = false;
  std::size_t pos = 0;
  while (pos < head_end) {
    std::size_t nl = message.find('\n', pos);
    const std::size_t next = nl == std::string_view::npos || nl >= head_end ? head_end : nl + 1;
    const std::string_view line = message.substr(pos, next - pos);
    const bool continuation = line[0] == ' ' || line[0] == '\t';
    if (!continuation) {
      // "Bcc", optional white space, ":" (the obsolete syntax allows the
      // white space, RFC 5322 §4.5.1).
      std::size_t i = 3;
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      in_bcc = line.size() > 3 && istarts_with(line, "bcc") && i < line.size() && line[i] == ':';
    }
    if (!in_bcc) out.append(line);
    pos = next;
  }
  out.append(message.substr(head_end));
  return out;
}

}  // namespace mailroom::mime
