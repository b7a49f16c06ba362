#include "message_view.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/header_fields.hpp"
#include "mailroom/store/flags.hpp"
#include "mailroom/text.hpp"

namespace mailroom::http {

namespace json = boost::json;

std::string encode_message_id(const MessageLocation& where) {
  std::string plain = where.account + "\n" + where.folder + "\n" + std::to_string(where.uidvalidity) +
                      "\n" + std::to_string(where.uid);
  std::string id = mime::base64_encode(plain, 0);
  while (!id.empty() && id.back() == '=') id.pop_back();
  for (auto& c : id) c = c == '+' ? '-' : c == '/' ? '_' : c;  // RFC 4648 §5
  return id;
}

std::optional<MessageLocation> decode_message_id(std::string_view id) {
  if (id.empty() || id.size() > 2048) return std::nullopt;
  std::string b64;
  for (char c : id) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
      return std::nullopt;
    b64.push_back(c);
  }
  while (b64.size() % 4) b64.push_back('=');
  bool bad = false;
  std::string plain = mime::base64_decode(b64, &bad);
  if (bad) return std::nullopt;
  MessageLocation where;
  std::vector<std::string_view> fields;
  std::string_view rest = plain;
  for (int i = 0; i < 3; ++i) {
    auto nl = rest.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    fields.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  fields.push_back(rest);
  std::uint64_t validity = 0, uid = 0;
  if (fields[0].empty() || fields[1].empty() || !parse_number(fields[2], validity) ||
      !parse_number(fields[3], uid) || validity > UINT32_MAX || uid == 0 || uid > UINT32_MAX)
    return std::nullopt;
  where.account = std::string(fields[0]);
  where.folder = std::string(fields[1]);
  where.uidvalidity = static_cast<std::uint32_t>(validity);
  where.uid = static_cast<std::uint32_t>(uid);
  return where;
}

std::optional<MessageView> view_message(const store::MailStore& store, const store::MessagePtr& m,
                                        const std::string& folder, std::uint32_t uidvalidity) {
  MessageView v;
  v.message = m;
  try {
    v.raw = store.read(*m);
  } catch (const store::NoSuchMessage&) {
    return std::nullopt;
  }
  v.id = encode_message_id({m->account(), folder, uidvalidity, m->uid});
  v.parsed = mime::parse_message(*v.raw);
  return v;
}

std::string rfc3339(double seconds) {
  const auto whole = static_cast<std::time_t>(seconds);
  int millis = static_cast<int>((seconds - static_cast<double>(whole)) * 1000.0);
  millis = std::clamp(millis, 0, 999);
  std::tm tm{};
  gmtime_r(&whole, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

namespace {

std::string first_text(const mime::ParsedMessage& p, std::string_view type) {
  for (std::uint32_t i = 0; i < p.parts.size(); ++i) {
    const auto& part = p.parts[i];
    if (part.is_multipart || part.is_message || part.content_type != type || p.is_attachment(i))
      continue;
    return p.text(i);
  }
  return {};
}

json::object address_json(const mime::Address& a) {
  return json::object{{"Name", a.display_name}, {"Address", a.address}};
}

json::array address_list(const mime::ParsedMessage& p, std::string_view field) {
  json::array out;
  for (const auto& h : p.parts.empty() ? std::vector<mime::HeaderField>{} : p.parts[0].headers) {
    if (!iequals(p.bytes(h.name), field)) continue;
    for (const auto& a : mime::parse_address_list(p.bytes(h.value))) out.push_back(address_json(a));
  }
  return out;
}

json::value from_json(const mime::ParsedMessage& p) {
  json::array list = address_list(p, "From");
  if (list.empty()) return json::object{{"Name", ""}, {"Address", ""}};
  return list.front();
}

// Seconds since the epoch of the Date field, else `fallback`.
double header_date(const mime::ParsedMessage& p, double fallback) {
  const auto* h = p.find_header(0, "Date");
  if (!h) return fallback;
  auto d = mime::parse_date(p.bytes(h->value));
  if (!d) return fallback;
  return static_cast<double>(mime::unix_time(*d));
}

}  // namespace

double received_at(const MessageView& v) {
  if (v.message->envelope && v.message->envelope->received_at > 0)
    return v.message->envelope->received_at;
  return static_cast<double>(v.message->internal_date);
}

namespace {

// Whitespace runs as one space, at most `limit` characters (UTF-8 kept whole).
std::string squeeze(std::string_view text, std::size_t limit) {
  std::string out;
  std::size_t chars = 0;
  bool space = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = !out.empty();
      continue;
    }
    if ((c & 0xc0) != 0x80) {  // a character starts here
      if (chars + (space ? 1 : 0) >= limit) break;
      if (space) {
        out.push_back(' ');
        ++chars;
        space = false;
      }
      ++chars;
    }
    out.push_back(static_cast<char>(c));
  }
  return out;
}

}  // namespace


std::string message_text(const mime::ParsedMessage& p) { return first_text(p, "text/plain"); }
std::string message_html(const mime::ParsedMessage& p) { return first_text(p, "text/html"); }

std::string decoded_header(const mime::ParsedMessage& p, std::string_view name) {
  const auto* h = p.find_header(0, name);
  if (!h) return {};
  std::string raw(p.bytes(h->value));
  std::string unfolded;
  for (char c : raw)
    if (c != '\r' && c != '\n') unfolded.push_back(c);
  std::string value = mime::decode_header(unfolded);
  std::string clean;
  mime::sanitize_utf8(value, clean);
  return clean;
}

std::string message_subject(const mime::ParsedMessage& p) { return decoded_header(p, "Subject"); }

std::string message_snippet(const mime::ParsedMessage& p) {
  std::string text = message_text(p);
  if (trim(text).empty()) text = html_to_text(message_html(p));
  return squeeze(text, 250);
}

std::vector<std::string> part_numbers(const mime::ParsedMessage& p) {
  std::vector<std::string> ids(p.parts.size());
  if (p.parts.empty()) return ids;
  if (!p.parts[0].is_multipart) ids[0].push_back('1');
  // Depth-first order: a parent comes before its children.
  for (std::uint32_t i = 0; i < p.parts.size(); ++i) {
    const auto& part = p.parts[i];
    if (part.is_multipart) {
      for (std::size_t k = 0; k < part.children.size(); ++k) {
        const std::string n = std::to_string(k + 1);
        ids[part.children[k]] = ids[i].empty() ? n : ids[i] + "." + n;
      }
    } else if (part.is_message && !part.children.empty()) {
      // RFC 9051 §6.4.5: the parts of an embedded message go on from its number.
      const auto child = part.children[0];
      ids[child] = p.parts[child].is_multipart ? ids[i] : ids[i] + ".1";
    }
  }
  return ids;
}

std::vector<std::string> message_tags(const MessageView& v) {
  return with_keywords(arrival_tags(v), v.message->keywords());
}

std::vector<std::string> with_keywords(std::vector<std::string> tags,
                                       const std::vector<std::string>& keywords) {
  for (const auto& k : keywords)
    if (std::find(tags.begin(), tags.end(), k) == tags.end()) tags.push_back(k);
  return tags;
}

std::vector<std::string> header_tags(const mime::ParsedMessage& p) {
  std::vector<std::string> tags;
  for (const auto& h : p.parts.empty() ? std::vector<mime::HeaderField>{} : p.parts[0].headers) {
    if (!iequals(p.bytes(h.name), "X-Tags")) continue;
    std::string_view list = p.bytes(h.value);
    while (!list.empty()) {
      auto comma = list.find(',');
      std::string tag(trim(list.substr(0, comma)));
      tag.erase(std::remove_if(tag.begin(), tag.end(), [](char c) { return c == '\r' || c == '\n'; }),
                tag.end());
      if (!tag.empty() && std::find(tags.begin(), tags.end(), tag) == tags.end())
        tags.push_back(tag);
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return tags;
}

namespace {

// Mailpit's tag characters: letters, digits, '-', '.', '_' (a tag of a
// plus address has no spaces).
bool plus_tag_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

// The tags of "name+tag1+tag2@domain" (sub-addressing, RFC 5233's
// separator): "tag1", "tag2"; none for an address without '+'.
void add_plus_tags(std::string_view address, std::vector<std::string>& tags) {
  const auto at = address.rfind('@');
  std::string_view local = address.substr(0, at == std::string_view::npos ? address.size() : at);
  auto plus = local.find('+');
  if (plus == std::string_view::npos || plus == 0) return;
  local.remove_prefix(plus + 1);
  while (!local.empty()) {
    const auto next = local.find('+');
    std::string_view tag = local.substr(0, next);
    if (!tag.empty() && std::all_of(tag.begin(), tag.end(), plus_tag_char) &&
        std::find(tags.begin(), tags.end(), tag) == tags.end())
      tags.emplace_back(tag);
    if (next == std::string_view::npos) break;
    local.remove_prefix(next + 1);
  }
}

}  // namespace

std::vector<std::string> arrival_tags(const MessageView& v) {
  const auto& p = *v.parsed;
  std::vector<std::string> tags = header_tags(p);
  if (p.parts.empty()) return tags;
  // Mailpit tags a message for each plus address in From, To, Cc or Bcc;
  // the envelope's recipients are the Bcc a message does not show.
  for (const auto& h : p.parts[0].headers) {
    const std::string_view name = p.bytes(h.name);
    if (!iequals(name, "From") && !iequals(name, "To") && !iequals(name, "Cc") &&
        !iequals(name, "Bcc"))
      continue;
    for (const auto& a : mime::parse_address_list(p.bytes(h.value))) add_plus_tags(a.address, tags);
  }
  if (v.message->envelope)
    for (const auto& r : v.message->envelope->rcpt_to) add_plus_tags(r, tags);
  return tags;
}

namespace {

json::array tags_json(const MessageView& v) {
  json::array out;
  for (auto& t : message_tags(v)) out.emplace_back(t);
  return out;
}

// "<x@y>" as "x@y" (Message-ID, Content-ID, Return-Path), trimmed.
std::string without_angles(std::string_view value) {
  std::string v(trim(value));
  if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
  return v;
}

std::string message_id_field(const mime::ParsedMessage& p) {
  return without_angles(decoded_header(p, "Message-ID"));
}

// Part `i` as Mailpit's Attachment: PartID, FileName, ContentType, ContentID, Size.
json::object attachment_json(const mime::ParsedMessage& p, std::uint32_t i, const std::string& id) {
  const auto& part = p.parts[i];
  std::string cid;
  if (const auto* h = p.find_header(i, "Content-ID")) cid = without_angles(p.bytes(h->value));
  std::string name;
  mime::sanitize_utf8(part.filename(), name);
  return {{"PartID", id},
          {"FileName", name},
          {"ContentType", part.content_type},
          {"ContentID", cid},
          {"Size", static_cast<std::uint64_t>(p.decoded_body(i).size())}};
}

// Attachments and inline parts (those with a Content-ID not marked as attachments).
void attachments(const mime::ParsedMessage& p, json::array* attached, json::array* inlined,
                 std::size_t& count, std::size_t* inline_count = nullptr) {
  const auto ids = part_numbers(p);
  count = 0;
  if (inline_count) *inline_count = 0;
  for (std::uint32_t i = 0; i < p.parts.size(); ++i) {
    if (p.parts[i].is_multipart) continue;
    // Mailpit lists an inline image (Content-Disposition: inline, not text)
    // under "Inline" too, where a reader shows it in the text.
    const bool inline_media = p.parts[i].disposition == "inline" &&
                              p.parts[i].content_type.compare(0, 5, "text/") != 0;
    if (!p.is_attachment(i) && !inline_media) continue;
    // The parts of an embedded message are the message's, not attachments.
    bool nested = false;
    for (auto up = p.parts[i].parent; up >= 0; up = p.parts[static_cast<std::size_t>(up)].parent)
      if (p.parts[static_cast<std::size_t>(up)].is_message) nested = true;
    if (nested) continue;
    const bool is_inline =
        inline_media || (p.parts[i].disposition != "attachment" && p.find_header(i, "Content-ID"));
    if (!is_inline) ++count;
    if (is_inline && inline_count) ++*inline_count;
    json::array* into = is_inline ? inlined : attached;
    if (into) into->push_back(attachment_json(p, i, ids[i]));
  }
}

}  // namespace

namespace {

// What a summary and the full view share, in Mailpit's names.
json::object common_fields(const MessageView& v) {
  const auto& p = *v.parsed;
  return {{"ID", v.id},
          {"MessageID", message_id_field(p)},
          {"Read", (v.message->flags & store::kSeen) != 0},
          {"From", from_json(p)},
          {"To", address_list(p, "To")},
          {"Cc", address_list(p, "Cc")},
          {"Bcc", address_list(p, "Bcc")},
          {"ReplyTo", address_list(p, "Reply-To")},
          {"Subject", message_subject(p)},
          {"Created", rfc3339(received_at(v))},
          {"Tags", tags_json(v)},
          {"Size", static_cast<std::uint64_t>(v.message->size)}};
}

}  // namespace

AttachmentCounts attachment_counts(const mime::ParsedMessage& p) {
  AttachmentCounts c;
  attachments(p, nullptr, nullptr, c.attached, &c.inlined);
  return c;
}

json::object message_summary(const MessageView& v) {
  std::size_t count = 0;
  attachments(*v.parsed, nullptr, nullptr, count);
  json::object out = common_fields(v);
  out["Attachments"] = count;
  out["Snippet"] = message_snippet(*v.parsed);
  return out;
}

json::object message_detail(const MessageView& v) {
  const auto& p = *v.parsed;
  json::array attached, inlined;
  std::size_t count = 0;
  attachments(p, &attached, &inlined, count);
  json::object out = common_fields(v);
  out["ReturnPath"] = without_angles(decoded_header(p, "Return-Path"));
  out["Date"] = rfc3339(header_date(p, received_at(v)));
  out["Text"] = message_text(p);
  out["HTML"] = message_html(p);
  out["Inline"] = std::move(inlined);
  out["Attachments"] = std::move(attached);
  return out;
}

json::object message_headers(const mime::ParsedMessage& p) {
  std::map<std::string, json::array> fields;
  if (!p.parts.empty())
    for (const auto& h : p.parts[0].headers) {
      // Mailpit keys headers by their canonical name ("Content-Type").
      std::string name(p.bytes(h.name));
      bool up = true;
      for (auto& c : name) {
        c = up ? ascii_upper(c) : ascii_lower(c);
        up = c == '-';
      }
      // Unfolded as Mailpit's (Go's textproto) reader does: each line break
      // and the white space around it become one space.
      const std::string_view raw = p.bytes(h.value);
      std::string unfolded;
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\r' && raw[i] != '\n') {
          unfolded.push_back(raw[i]);
          continue;
        }
        while (!unfolded.empty() && (unfolded.back() == ' ' || unfolded.back() == '\t'))
          unfolded.pop_back();
        while (i + 1 < raw.size() && (raw[i + 1] == '\r' || raw[i + 1] == '\n' ||
                                      raw[i + 1] == ' ' || raw[i + 1] == '\t'))
          ++i;
        if (!unfolded.empty() && i + 1 < raw.size()) unfolded.push_back(' ');
      }
      std::string value;
      mime::sanitize_utf8(mime::decode_header(unfolded), value);
      fields[name].emplace_back(value);
    }
  json::object out;
  for (auto& [k, v] : fields) out[k] = std::move(v);
  return out;
}

}  // namespace mailroom::http
