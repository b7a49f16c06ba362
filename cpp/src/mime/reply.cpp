// Replies and forwards (RFC 5322 §3.6.3, §3.6.4): recipients, subject,
// threading fields, and the original quoted, forwarded or attached.
#include "mailroom/mime/reply.hpp"

#include <algorithm>
#include <utility>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/header_fields.hpp"
#include "mailroom/mime/html.hpp"
#include "mailroom/mime/message_table.hpp"
#include "mailroom/mime/threading.hpp"
#include "mailroom/text.hpp"

namespace mailroom::mime {
namespace {

std::string_view raw_field(const ParsedMessage& m, std::string_view name) {
  const HeaderField* h = m.parts.empty() ? nullptr : m.find_header(0, name);
  return h ? m.bytes(h->value) : std::string_view();
}

// A header field's text: unfolded, RFC 2047 words decoded, valid UTF-8.
std::string field_text(const ParsedMessage& m, std::string_view name) {
  std::string unfolded;
  for (char c : raw_field(m, name))
    if (c != '\r' && c != '\n') unfolded.push_back(c);
  std::string clean;
  sanitize_utf8(decode_header(unfolded), clean);
  return std::string(trim(clean));
}

// An address the builder can write back (no white space, brackets, commas).
bool writable(std::string_view address) {
  if (address.empty() || address.find('@') == std::string_view::npos) return false;
  for (unsigned char c : address)
    if (c <= 32 || c == 127 || c == '<' || c == '>' || c == ',' || c == ';') return false;
  return true;
}

std::vector<Mailbox> mailboxes(const ParsedMessage& m, std::string_view name) {
  std::vector<Mailbox> out;
  if (m.parts.empty()) return out;
  for (const HeaderField& h : m.parts[0].headers) {
    if (!iequals(m.bytes(h.name), name)) continue;
    for (Address& a : parse_address_list(m.bytes(h.value))) {
      if (!writable(a.address)) continue;
      std::string display;
      sanitize_utf8(a.display_name, display);
      for (char& c : display)
        if (c == '\r' || c == '\n') c = ' ';
      out.push_back({std::move(display), std::move(a.address)});
    }
  }
  return out;
}

// Addresses met so far, compared case-insensitively.
class AddressSet {
 public:
  bool add(std::string_view address) {
    std::string key = lowered(address);
    if (std::find(seen_.begin(), seen_.end(), key) != seen_.end()) return false;
    seen_.push_back(std::move(key));
    return true;
  }
  bool contains(std::string_view address) const {
    return std::find(seen_.begin(), seen_.end(), lowered(address)) != seen_.end();
  }

 private:
  std::vector<std::string> seen_;
};

void add_new(std::vector<Mailbox>& out, const std::vector<Mailbox>& in, AddressSet& seen) {
  for (const Mailbox& mb : in)
    if (seen.add(mb.address)) out.push_back(mb);
}

std::string mailbox_line(const std::vector<Mailbox>& list) {
  std::string out;
  for (const Mailbox& mb : list) {
    if (!out.empty()) out += ", ";
    if (mb.display_name.empty()) {
      out += mb.address;
    } else {
      out.append(mb.display_name).append(" <").append(mb.address).append(">");
    }
  }
  return out;
}

// RFC 5322 §3.6.4: the parent's References (or its In-Reply-To when that
// holds one id), then the parent's Message-ID; over kMaxReplyReferences, ids
// in the middle are dropped, the first and the last ones kept.
std::vector<std::string> references_of(const ParsedMessage& m, std::string& own_id) {
  std::vector<std::string_view> ids = message_ids(raw_field(m, "References"));
  if (ids.empty()) {
    auto irt = message_ids(raw_field(m, "In-Reply-To"));
    if (irt.size() == 1) ids = std::move(irt);
  }
  auto own = message_ids(raw_field(m, "Message-ID"));
  auto usable = [](std::string_view id) {
    return !id.empty() && id.size() <= kMaxMessageIdLength &&
           id.find_first_of(" \t\r\n<>") == std::string_view::npos;
  };
  own_id.clear();
  if (!own.empty() && usable(own.front())) {
    own_id = bracketed(own.front());
    ids.push_back(own.front());
  }
  std::vector<std::string> out;
  for (std::string_view id : ids)
    if (usable(id)) out.push_back(bracketed(id));
  if (out.size() > kMaxReplyReferences)
    out.erase(out.begin() + 1, out.end() - static_cast<std::ptrdiff_t>(kMaxReplyReferences - 1));
  return out;
}

std::string original_text(const ParsedMessage& m) {
  bool found = false;
  std::string text = reader_body(m, "plain", found);
  if (!found) text = html_to_text(reader_body(m, "html", found));
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {  // LF line ends
    if (text[i] == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') continue;
      out.push_back('\n');
    } else {
      out.push_back(text[i]);
    }
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// The inside of <body>, or the whole when there is none.
std::string_view html_body(std::string_view html) {
  const std::string low = lowered(html);
  std::size_t begin = low.find("<body");
  if (begin != std::string::npos) {
    begin = low.find('>', begin);
    begin = begin == std::string::npos ? html.size() : begin + 1;
  } else {
    begin = 0;
  }
  std::size_t end = low.rfind("</body");
  if (end == std::string::npos || end < begin) end = html.size();
  return html.substr(begin, end - begin);
}

std::string text_as_html(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    if (start != 0) out += "<br>\n";
    out += html_escape(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

std::string original_html(const ParsedMessage& m, const std::string& text) {
  bool found = false;
  const std::string html = reader_body(m, "html", found);
  return found ? std::string(html_body(html)) : text_as_html(text);
}

std::string quote_lines(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(start, nl - start);
    // A line already quoted gets one more '>' (">> "), as mail readers do.
    out += line.empty() ? ">" : line.front() == '>' ? ">" : "> ";
    out.append(line).push_back('\n');
    start = nl + 1;
  }
  return out;
}

}  // namespace

std::optional<ReplyMode> parse_reply_mode(std::string_view name) {
  if (name == "reply") return ReplyMode::reply;
  if (name == "reply_all") return ReplyMode::reply_all;
  if (name == "forward") return ReplyMode::forward;
  return std::nullopt;
}

ReplyDraft draft_reply(const ParsedMessage& original, const ReplyOptions& options) {
  ReplyDraft d;
  const auto from = mailboxes(original, "From");
  const auto to = mailboxes(original, "To");
  const auto cc = mailboxes(original, "Cc");
  d.from = options.from;
  if (!d.from) {
    if (!to.empty()) d.from = to.front();
    else if (!cc.empty()) d.from = cc.front();
  }
  AddressSet own;
  if (d.from) own.add(d.from->address);
  for (const std::string& a : options.own_addresses) own.add(a);

  const std::string subject = field_text(original, "Subject");
  const std::string base = subject_without_prefixes(subject);
  std::string own_id;
  d.references = references_of(original, own_id);

  if (options.mode == ReplyMode::forward) {
    d.subject = "Fwd: " + base;
    d.to = options.to;
    if (options.inline_forward) {
      std::string head = "---------- Forwarded message ---------\n";
      auto line = [&](std::string_view name, const std::string& value) {
        if (!value.empty()) head.append(name).append(": ").append(value).append("\n");
      };
      line("From", mailbox_line(from));
      line("Date", field_text(original, "Date"));
      line("Subject", subject);
      line("To", mailbox_line(to));
      line("Cc", mailbox_line(cc));
      const std::string text = original_text(original);
      d.quoted_text = head + "\n" + text + "\n";
      d.quoted_html = "<div>" + text_as_html(head) + "<br>\n" + original_html(original, text) +
                      "</div>\n";
      for (std::uint32_t i = 1; i < original.parts.size(); ++i) {
        // Parts a reader sees as attachments, not those inside an attached message.
        bool inside_message = false;
        for (std::int32_t p = original.parts[i].parent; p > 0;
             p = original.parts[static_cast<std::size_t>(p)].parent)
          inside_message = inside_message || original.parts[static_cast<std::size_t>(p)].is_message;
        if (!inside_message && !original.parts[i].is_multipart && original.is_attachment(i))
          d.attachments.push_back(i);
      }
    }
    return d;
  }

  d.subject = "Re: " + base;
  d.in_reply_to = own_id;
  // RFC 5322 §3.6.3: a reply goes to Reply-To when present, else From.
  const auto reply_to = mailboxes(original, "Reply-To");
  std::vector<Mailbox> author = reply_to.empty() ? from : reply_to;
  bool all_own = !author.empty();
  for (const Mailbox& mb : author) all_own = all_own && own.contains(mb.address);
  if (all_own) author = to;  // one's own message: answer its recipients
  AddressSet seen;
  for (const std::string& a : options.own_addresses) seen.add(a);
  if (d.from) seen.add(d.from->address);
  if (options.mode == ReplyMode::reply) {
    add_new(d.to, author, seen);
  } else {
    const auto followup = mailboxes(original, "Mail-Followup-To");
    if (!followup.empty()) {
      add_new(d.to, followup, seen);  // the list's wish (draft-ietf-drums-mail-followup-to)
    } else {
      add_new(d.to, author, seen);
      add_new(d.cc, to, seen);
      add_new(d.cc, cc, seen);
    }
  }
  if (d.to.empty() && !d.cc.empty()) {
    d.to.push_back(d.cc.front());
    d.cc.erase(d.cc.begin());
  }
  if (options.quote) {
    const std::vector<Mailbox> writer = from;
    std::string who = mailbox_line(writer.empty() ? std::vector<Mailbox>{} : std::vector{writer[0]});
    if (who.empty()) who = "someone";
    const std::string date = field_text(original, "Date");
    const std::string attribution = (date.empty() ? "" : "On " + date + ", ") + who + " wrote:";
    const std::string text = original_text(original);
    d.quoted_text = attribution + "\n" + quote_lines(text);
    d.quoted_html = "<div>" + html_escape(attribution) + "<br>\n<blockquote type=\"cite\">" +
                    original_html(original, text) + "</blockquote></div>\n";
  }
  return d;
}

MessageSpec reply_spec(const ParsedMessage& original, const ReplyDraft& draft,
                       const ReplyOptions& options, std::optional<std::string> text,
                       std::optional<std::string> html) {
  MessageSpec spec;
  spec.from = draft.from;
  spec.to = draft.to;
  spec.cc = draft.cc;
  spec.subject = draft.subject;
  std::string words = text ? *text : html ? html_to_text(*html) : std::string();
  if (!text) {  // the text of the HTML, without the blanks its tags left at the ends
    const std::size_t first = words.find_first_not_of(" \t\r\n");
    words = first == std::string::npos
                ? std::string()
                : words.substr(first, words.find_last_not_of(" \t\r\n") - first + 1);
  }
  if (!draft.quoted_text.empty()) {
    while (!words.empty() && (words.back() == '\n' || words.back() == '\r')) words.pop_back();
    words += words.empty() ? draft.quoted_text : "\n\n" + draft.quoted_text;
  }
  spec.text = std::move(words);
  if (html) spec.html = *html + draft.quoted_html;
  if (!draft.in_reply_to.empty()) spec.headers.emplace_back("In-Reply-To", draft.in_reply_to);
  if (!draft.references.empty()) {
    std::string refs;
    for (const std::string& id : draft.references) refs.append(refs.empty() ? "" : " ").append(id);
    spec.headers.emplace_back("References", refs);
  }
  for (std::uint32_t i : draft.attachments) {
    const Part& part = original.parts.at(i);
    std::string filename;
    sanitize_utf8(part.filename(), filename);
    for (char& c : filename)
      if (c == '\r' || c == '\n') c = ' ';
    spec.attachments.push_back({filename, original.decoded_body(i), part.content_type});
  }
  if (options.mode == ReplyMode::forward && !options.inline_forward) {
    std::string name = subject_without_prefixes(field_text(original, "Subject"));
    for (char& c : name)
      if (c == '/' || c == '\\' || c == '\r' || c == '\n') c = '_';
    if (name.size() > 100) name.resize(100);  // may cut a UTF-8 sequence: cleaned below
    std::string filename;
    sanitize_utf8((name.empty() ? std::string("forwarded") : name) + ".eml", filename);
    spec.attachments.push_back({filename, original.raw, "message/rfc822"});
  }
  return spec;
}

}  // namespace mailroom::mime
