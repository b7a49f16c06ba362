// ENVELOPE, BODYSTRUCTURE and BODY[section] from the MIME parser's tree.
#include "mailroom/imap/fetch_items.hpp"

#include "mailroom/imap/arguments.hpp"

#include <algorithm>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/header_fields.hpp"
#include "mailroom/text.hpp"

namespace mailroom::imap {

using mime::ParsedMessage;
using mime::Part;

void append_string(std::string& out, std::string_view s, bool utf8) {
  bool quotable = s.size() <= 1024;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 0x80 && !utf8) || u < 0x20 || u == 0x7f) {
      quotable = false;
      break;
    }
  }
  if (quotable) {
    out.push_back('"');
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
    return;
  }
  out.push_back('{');
  out += std::to_string(s.size());
  out += "}\r\n";
  out += s;
}

void append_nstring(std::string& out, const std::optional<std::string>& s) {
  if (s)
    append_string(out, *s);
  else
    out += "NIL";
}

namespace {

// The raw value of a header field of part `part`, unfolded (RFC 5322 §2.2.3);
// nullopt when absent.
std::optional<std::string> header_value(const ParsedMessage& m, std::uint32_t part,
                                        std::string_view name) {
  const mime::HeaderField* f = m.find_header(part, name);
  if (!f) return std::nullopt;
  std::string v;
  for (char c : m.bytes(f->value))
    if (c != '\r' && c != '\n') v.push_back(c);
  return std::string(trim(v));
}

// An address list as RFC 9051 §7.5.2 envelope addresses: (name adl mailbox
// host) each; groups as (NIL NIL "group" NIL) ... (NIL NIL NIL NIL).
void append_addresses(std::string& out, const ParsedMessage& m, std::uint32_t part,
                      std::string_view field, std::string_view fallback = {}) {
  const mime::HeaderField* f = m.find_header(part, field);
  if (!f && !fallback.empty()) f = m.find_header(part, fallback);
  if (!f) {
    out += "NIL";
    return;
  }
  const auto list = mime::parse_address_list(m.bytes(f->value));
  if (list.empty()) {
    out += "NIL";
    return;
  }
  out.push_back('(');
  std::string group;
  auto close_group = [&] {
    if (!group.empty()) out += "(NIL NIL NIL NIL)";
    group.clear();
  };
  for (const auto& a : list) {
    if (a.group != group) {
      close_group();
      if (!a.group.empty()) {
        out += "(NIL NIL ";
        append_string(out, a.group);
        out += " NIL)";
        group = a.group;
      }
    }
    out.push_back('(');
    if (a.display_name.empty()) {
      out += "NIL";
    } else {
      bool ascii = std::all_of(a.display_name.begin(), a.display_name.end(),
                               [](char c) { return static_cast<unsigned char>(c) < 0x80; });
      append_string(out, ascii ? a.display_name : mime::encode_header(a.display_name));
    }
    out += " NIL ";
    const std::size_t at = a.address.rfind('@');
    if (at == std::string::npos) {
      append_string(out, a.address);
      out += " NIL";
    } else {
      append_string(out, std::string_view(a.address).substr(0, at));
      out.push_back(' ');
      append_string(out, std::string_view(a.address).substr(at + 1));
    }
    out.push_back(')');
  }
  close_group();
  out.push_back(')');
}

std::string upper(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = ascii_upper(c);
  return r;
}

void append_params(std::string& out, const mime::Params& params, bool text) {
  if (params.empty()) {
    out += text ? "(\"charset\" \"us-ascii\")" : "NIL";
    return;
  }
  out.push_back('(');
  bool first = true;
  for (const auto& [name, value] : params) {
    if (!first) out.push_back(' ');
    first = false;
    append_string(out, name);
    out.push_back(' ');
    append_string(out, value);
  }
  out.push_back(')');
}

// body-fld-dsp, body-fld-lang, body-fld-loc.
void append_disposition_language_location(std::string& out, const ParsedMessage& m,
                                          std::uint32_t idx) {
  const Part& p = m.parts[idx];
  out.push_back(' ');
  if (p.disposition.empty()) {
    out += "NIL";
  } else {
    out.push_back('(');
    append_string(out, p.disposition);
    out.push_back(' ');
    append_params(out, p.disposition_params, false);
    out.push_back(')');
  }
  out.push_back(' ');
  auto lang = header_value(m, idx, "Content-Language");
  if (!lang || lang->empty()) {
    out += "NIL";
  } else {
    std::vector<std::string> tags;
    std::string cur;
    for (char c : *lang) {
      if (c == ',') {
        if (!trim(cur).empty()) tags.emplace_back(trim(cur));
        cur.clear();
      } else {
        cur.push_back(c);
      }
    }
    if (!trim(cur).empty()) tags.emplace_back(trim(cur));
    if (tags.size() == 1) {
      append_string(out, tags[0]);
    } else {
      out.push_back('(');
      for (std::size_t i = 0; i < tags.size(); ++i) {
        if (i) out.push_back(' ');
        append_string(out, tags[i]);
      }
      out.push_back(')');
    }
  }
  out.push_back(' ');
  append_nstring(out, header_value(m, idx, "Content-Location"));
}

std::uint64_t count_lines(std::string_view s) {
  return static_cast<std::uint64_t>(std::count(s.begin(), s.end(), '\n'));
}

void structure(std::string& out, const ParsedMessage& m, std::uint32_t idx, bool ext,
               unsigned depth) {
  const Part& p = m.parts[idx];
  const std::size_t slash = p.content_type.find('/');
  const std::string_view type = std::string_view(p.content_type).substr(0, slash);
  const std::string_view subtype =
      slash == std::string::npos ? std::string_view("plain")
                                 : std::string_view(p.content_type).substr(slash + 1);
  out.push_back('(');
  if (p.is_multipart && !p.children.empty() && depth < 100) {
    for (std::uint32_t c : p.children) structure(out, m, c, ext, depth + 1);
    out.push_back(' ');
    append_string(out, upper(subtype));
    if (ext) {
      out.push_back(' ');
      append_params(out, p.params, false);
      append_disposition_language_location(out, m, idx);
    }
    out.push_back(')');
    return;
  }
  const bool text = type == "text";
  append_string(out, upper(p.is_multipart ? "text" : type));
  out.push_back(' ');
  append_string(out, upper(p.is_multipart ? "plain" : subtype));
  out.push_back(' ');
  append_params(out, p.params, text);
  out.push_back(' ');
  append_nstring(out, header_value(m, idx, "Content-ID"));
  out.push_back(' ');
  append_nstring(out, header_value(m, idx, "Content-Description"));
  out.push_back(' ');
  append_string(out, upper(p.transfer_encoding));
  const std::string_view body = m.bytes(p.body);
  out.push_back(' ');
  out += std::to_string(body.size());
  if (p.is_message && !p.children.empty() && depth < 100) {
    out.push_back(' ');
    append_envelope(out, m, p.children[0]);
    out.push_back(' ');
    structure(out, m, p.children[0], ext, depth + 1);
    out.push_back(' ');
    out += std::to_string(count_lines(body));
  } else if (text) {
    out.push_back(' ');
    out += std::to_string(count_lines(body));
  }
  if (ext) {
    out.push_back(' ');
    append_nstring(out, header_value(m, idx, "Content-MD5"));
    append_disposition_language_location(out, m, idx);
  }
  out.push_back(')');
}

// The part a path names (RFC 9051 §6.4.5), or -1.
long resolve(const ParsedMessage& m, const std::vector<std::uint32_t>& path) {
  std::uint32_t cur = 0;
  bool top = true;
  for (std::uint32_t n : path) {
    if (!top && m.parts[cur].is_message) {
      if (m.parts[cur].children.empty()) return -1;
      cur = m.parts[cur].children[0];
    }
    top = false;
    const Part& p = m.parts[cur];
    if (p.is_multipart) {
      if (n == 0 || n > p.children.size()) return -1;
      cur = p.children[n - 1];
    } else if (n != 1) {
      return -1;
    }
  }
  return static_cast<long>(cur);
}

std::string_view header_of(const ParsedMessage& m, std::uint32_t idx) {
  const Part& p = m.parts[idx];
  const std::uint64_t end = std::max(p.header_block.end, p.body.begin);
  return m.bytes({p.whole.begin, end});
}

}  // namespace

void append_envelope(std::string& out, const ParsedMessage& m, std::uint32_t part) {
  // RFC 9051 §7.5.2: date, subject, from, sender, reply-to, to, cc, bcc,
  // in-reply-to, message-id; sender and reply-to default to from.
  out.push_back('(');
  append_nstring(out, header_value(m, part, "Date"));
  out.push_back(' ');
  append_nstring(out, header_value(m, part, "Subject"));
  out.push_back(' ');
  append_addresses(out, m, part, "From");
  out.push_back(' ');
  append_addresses(out, m, part, "Sender", "From");
  out.push_back(' ');
  append_addresses(out, m, part, "Reply-To", "From");
  out.push_back(' ');
  append_addresses(out, m, part, "To");
  out.push_back(' ');
  append_addresses(out, m, part, "Cc");
  out.push_back(' ');
  append_addresses(out, m, part, "Bcc");
  out.push_back(' ');
  append_nstring(out, header_value(m, part, "In-Reply-To"));
  out.push_back(' ');
  append_nstring(out, header_value(m, part, "Message-ID"));
  out.push_back(')');
}

void append_body_structure(std::string& out, const ParsedMessage& m, bool extensions,
                           std::uint32_t part) {
  structure(out, m, part, extensions, 0);
}

std::string Section::label() const {
  std::string s;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i) s.push_back('.');
    s += std::to_string(path[i]);
  }
  auto suffix = [&](const char* name) {
    if (!s.empty()) s.push_back('.');
    s += name;
  };
  switch (kind) {
    case Kind::Whole: break;
    case Kind::Header: suffix("HEADER"); break;
    case Kind::Text: suffix("TEXT"); break;
    case Kind::Mime: suffix("MIME"); break;
    case Kind::HeaderFields:
    case Kind::HeaderFieldsNot:
      suffix(kind == Kind::HeaderFields ? "HEADER.FIELDS (" : "HEADER.FIELDS.NOT (");
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) s.push_back(' ');
        s += upper(fields[i]);
      }
      s.push_back(')');
      break;
  }
  return s;
}

std::string section_bytes(const ParsedMessage& m, const Section& s) {
  if (s.path.empty() && s.kind == Section::Kind::Whole) return m.raw;
  const long found = resolve(m, s.path);
  if (found < 0) return {};
  auto idx = static_cast<std::uint32_t>(found);
  if (s.kind == Section::Kind::Whole) return std::string(m.bytes(m.parts[idx].body));
  if (s.kind == Section::Kind::Mime) {
    if (s.path.empty()) return {};
    return std::string(header_of(m, idx));
  }
  // HEADER, HEADER.FIELDS, TEXT: of the message, or of an embedded message.
  if (!s.path.empty()) {
    if (!m.parts[idx].is_message || m.parts[idx].children.empty()) return {};
    idx = m.parts[idx].children[0];
  }
  if (s.kind == Section::Kind::Text) return std::string(m.bytes(m.parts[idx].body));
  if (s.kind == Section::Kind::Header) return std::string(header_of(m, idx));
  const bool keep = s.kind == Section::Kind::HeaderFields;
  std::string out;
  for (const auto& f : m.parts[idx].headers) {
    const std::string_view name = m.bytes(f.name);
    const bool listed = std::any_of(s.fields.begin(), s.fields.end(),
                                    [&](const std::string& w) { return iequals(w, name); });
    if (listed == keep) out += m.bytes(f.line);
  }
  out += "\r\n";
  return out;
}

std::optional<std::string> binary_section(const ParsedMessage& m,
                                          const std::vector<std::uint32_t>& path) {
  if (path.empty()) return m.raw;
  const long found = resolve(m, path);
  if (found < 0) return std::string();
  const auto idx = static_cast<std::uint32_t>(found);
  const Part& p = m.parts[idx];
  if (p.is_multipart || p.is_message) return std::string(m.bytes(p.body));
  const std::string& cte = p.transfer_encoding;
  if (cte != "base64" && cte != "quoted-printable" && cte != "7bit" && cte != "8bit" &&
      cte != "binary")
    return std::nullopt;
  return m.decoded_body(idx);
}

void append_binary_string(std::string& out, std::string_view s) {
  if (s.empty()) {
    out += "\"\"";
    return;
  }
  if (s.find('\0') != std::string_view::npos) out.push_back('~');
  out.push_back('{');
  out += std::to_string(s.size());
  out += "}\r\n";
  out += s;
}

// section = "[" [section-spec] "]" (RFC 9051 §9).
Section read_section(Arguments& a) {
  Section s;
  a.expect('[');
  std::string spec;
  while (!a.at_end() && !a.peek(']') && !a.peek(' ')) {
    const std::string_view r = a.rest();
    spec.push_back(r[0]);
    a.take(r[0]);
    if (spec.size() > 200) a.fail("Invalid section");
  }
  std::string_view v = spec;
  while (!v.empty() && v[0] >= '0' && v[0] <= '9') {
    std::size_t k = 0;
    std::uint64_t n = 0;
    while (k < v.size() && v[k] >= '0' && v[k] <= '9') ++k;
    if (v[0] == '0' || k > 9 || !parse_number(v.substr(0, k), n)) a.fail("Invalid part number");
    s.path.push_back(static_cast<std::uint32_t>(n));
    v.remove_prefix(k);
    if (v.empty()) break;
    if (v[0] != '.') a.fail("Invalid section");
    v.remove_prefix(1);
    if (v.empty()) a.fail("Invalid section");
  }
  std::string text(v);
  for (char& c : text) c = ascii_upper(c);
  if (text.empty()) {
    s.kind = Section::Kind::Whole;
  } else if (text == "HEADER") {
    s.kind = Section::Kind::Header;
  } else if (text == "TEXT") {
    s.kind = Section::Kind::Text;
  } else if (text == "MIME" && !s.path.empty()) {
    s.kind = Section::Kind::Mime;
  } else if (text == "HEADER.FIELDS" || text == "HEADER.FIELDS.NOT") {
    s.kind = text == "HEADER.FIELDS" ? Section::Kind::HeaderFields : Section::Kind::HeaderFieldsNot;
    a.sp();
    a.expect('(');
    while (true) {
      s.fields.push_back(a.astring());
      if (a.take(')')) break;
      a.sp();
    }
  } else {
    a.fail("Invalid section " + text);
  }
  a.expect(']');
  return s;
}

}  // namespace mailroom::imap
