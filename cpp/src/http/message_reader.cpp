// The web mail client's reader routes under /api/mailroom/message/{ID}: the
// message's HTML sanitized for a sandboxed frame, its parts in any folder,
// the start of a reply or forward (built by the engine's reply code), the
// MIME tree, the SMTP transcript that delivered it; and POST
// /api/mailroom/compose.
#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/html.hpp"
#include "mailroom/mime/reply.hpp"
#include "mailroom/mime/threading.hpp"
#include "mail_api_impl.hpp"

namespace mailroom::http {

namespace {

// Content-Security-Policy of the html route: nothing runs, nothing but this
// origin's parts and data: images loads, unless remote content is allowed.
std::string reader_policy(bool remote) {
  const std::string far = remote ? " http: https:" : "";
  return "default-src 'none'; img-src 'self' data:" + far + "; style-src 'unsafe-inline'" + far +
         "; font-src 'self' data:" + far + "; sandbox; frame-ancestors 'self'";
}

json::array mailbox_list(const std::vector<mime::Mailbox>& list) {
  json::array out;
  for (const auto& m : list) {
    if (m.display_name.empty()) {
      out.emplace_back(m.address);
    } else {
      out.emplace_back(m.display_name + " <" + m.address + ">");
    }
  }
  return out;
}

json::object attachment_summary(const MessageView& v, std::uint32_t i) {
  const auto& p = v.parsed->parts[i];
  const auto numbers = part_numbers(*v.parsed);
  return json::object{{"PartID", numbers.at(i)},
                      {"FileName", std::string(p.filename())},
                      {"ContentType", p.content_type},
                      {"Size", v.parsed->decoded_body(i).size()}};
}

mime::ReplyOptions reply_options(const std::string& mode) {
  mime::ReplyOptions o;
  const auto parsed = mime::parse_reply_mode(mode);
  if (!parsed) throw BadField("mode must be reply, reply_all or forward, not '" + mode + "'");
  o.mode = *parsed;
  return o;
}

// The Content-ID of a part without its angle brackets, "" when none.
std::string content_id(const mime::ParsedMessage& p, std::uint32_t i) {
  const mime::HeaderField* h = p.find_header(i, "Content-ID");
  if (!h) return {};
  std::string_view v = trim(p.bytes(h->value));
  if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
  return std::string(trim(v));
}

// Whether a client line is "RCPT TO:<path>" for another address than
// `viewer`: one SMTP session may deliver to several users, and who else got
// the message (Bcc recipients above all) is not for a logged-in user to see.
bool others_recipient(std::string_view line, const std::string& viewer) {
  if (line.size() < 8 || !iequals(line.substr(0, 8), "RCPT TO:")) return false;
  const std::size_t open = line.find('<'), close = line.find('>', open);
  if (open == std::string_view::npos || close == std::string_view::npos) return true;
  return store::normalize_mailbox(line.substr(open + 1, close - open - 1)) != viewer;
}

// {"Protocol","Peer","Started","Ended","Truncated","Lines":[{"Direction","Text"}]}
// from a transcript's "C: line" / "S: line" entries; its other lines (the
// "-- <TLS established>" note, the truncation marker) are not lines said.
// With a `viewer` (a logged-in user) other users' RCPT TO paths are hidden.
json::object transcript_json(const SessionTranscript& s,
                             const std::optional<std::string>& viewer) {
  json::array lines;
  std::string_view rest = s.transcript;
  while (!rest.empty()) {
    const std::size_t end = std::min(rest.find('\n'), rest.size());
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    if (line.size() < 3 || (line[0] != 'C' && line[0] != 'S') || line.substr(1, 2) != ": ")
      continue;
    std::string_view text = line.substr(3);
    if (viewer && line[0] == 'C' && others_recipient(text, *viewer)) text = "RCPT TO:<hidden>";
    lines.push_back(json::object{{"Direction", line.substr(0, 1)}, {"Text", text}});
  }
  return json::object{{"Protocol", s.protocol},
                      {"Peer", s.peer},
                      {"Started", rfc3339(s.started_at)},
                      {"Ended", s.ended_at > 0 ? json::value(rfc3339(s.ended_at)) : nullptr},
                      {"Truncated", s.truncated},
                      {"Lines", std::move(lines)}};
}

}  // namespace

ShownHtml shown_html(const MessageView& v, bool remote, bool inline_images) {
  const auto& parsed = *v.parsed;
  const auto numbers = part_numbers(parsed);
  mime::SanitizeOptions options;
  options.allow_remote = remote;
  options.cid_url = [&](std::string_view cid) -> std::string {
    for (std::uint32_t i = 0; i < parsed.parts.size(); ++i) {
      const auto& part = parsed.parts[i];
      if (part.is_multipart || content_id(parsed, i) != cid) continue;
      if (!inline_images) return "/api/mailroom/message/" + v.id + "/part/" + numbers[i];
      // RFC 2397 data: URL of an image part; anything else is no image to show.
      if (!istarts_with(part.content_type, "image/") ||
          part.content_type.find_first_of("\"';,() ") != std::string::npos)
        return {};
      return "data:" + lowered(part.content_type) + ";base64," +
             mime::base64_encode(parsed.decoded_body(i), 0);
    }
    return {};
  };
  ShownHtml out;
  const std::string html = message_html(parsed);
  if (html.empty()) return out;
  mime::SanitizedHtml clean = mime::sanitize_html(html, options);
  out.blocked = clean.remote_blocked;
  out.page = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>" + clean.html +
             "</body></html>\n";
  return out;
}

void MailApi::Impl::add_reader_routes() {
  auto& R = router;
  R.add("GET", "/api/mailroom/message/{ID}/html", [this](Request& r, const PathParams& p) {
    std::string remote_text;
    bool remote = false;
    if (query_param(r.query, "remote", remote_text)) {
      if (remote_text != "0" && remote_text != "1") throw BadField("remote must be 0 or 1");
      remote = remote_text == "1";
    }
    auto v = locate(r, p[0]);
    if (!v) return Answer::now(not_found(p[0]));
    ShownHtml shown = shown_html(*v, remote, false);
    if (shown.page.empty())
      shown.page = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>"
                   "<pre style=\"white-space: pre-wrap\">" +
                   mime::html_escape(message_text(*v->parsed)) + "</pre></body></html>\n";
    const std::size_t blocked = shown.blocked;
    Response out;
    out.header("Content-Type", "text/html; charset=utf-8");
    out.header("Content-Security-Policy", reader_policy(remote));
    out.header("X-Content-Type-Options", "nosniff");
    out.header("Referrer-Policy", "no-referrer");
    out.header("X-Mailroom-Remote-Blocked", std::to_string(blocked));
    out.body = std::move(shown.page);
    return Answer::now(std::move(out));
  });
  R.add("GET", "/api/mailroom/message/{ID}/reply", [this](Request& r, const PathParams& p) {
    std::string mode = "reply";
    if (query_param(r.query, "mode", mode) && mode.empty()) throw BadField("mode is empty");
    const mime::ReplyOptions options = reply_options(mode);
    auto v = locate(r, p[0]);
    if (!v) return Answer::now(not_found(p[0]));
    const mime::ReplyDraft d = mime::draft_reply(*v->parsed, options);
    json::array references, attachments;
    for (const auto& id : d.references) references.emplace_back(id);
    for (std::uint32_t i : d.attachments) attachments.push_back(attachment_summary(*v, i));
    // The original's own Message-ID, for compose to find it by should it move
    // before the answer is sent (ReplyToMessageID).
    const auto* own = v->parsed->parts.empty() ? nullptr : v->parsed->find_header(0, "message-id");
    const std::string_view own_id = own ? mime::own_message_id(v->parsed->bytes(own->value))
                                     : std::string_view();
    json::object out{{"From", d.from ? json::value(mailbox_list({*d.from})[0]) : json::value("")},
                     {"To", mailbox_list(d.to)},
                     {"Cc", mailbox_list(d.cc)},
                     {"Subject", d.subject},
                     {"Text", d.quoted_text.empty() ? std::string() : "\n\n" + d.quoted_text},
                     {"InReplyTo", d.in_reply_to},
                     {"References", std::move(references)},
                     {"MessageID", own_id.empty() ? std::string() : mime::bracketed(own_id)},
                     {"Attachments", std::move(attachments)}};
    return Answer::now(json_response(out));
  });
  R.add("GET", "/api/mailroom/message/{ID}/structure", [this](Request& r, const PathParams& p) {
    auto v = locate(r, p[0]);
    if (!v) return Answer::now(not_found(p[0]));
    const auto& parsed = *v->parsed;
    const auto numbers = part_numbers(parsed);
    // Built bottom-up: parts are in depth-first order, so children follow parents.
    std::vector<json::object> nodes(parsed.parts.size());
    for (std::size_t k = parsed.parts.size(); k-- > 0;) {
      const auto i = static_cast<std::uint32_t>(k);
      const auto& part = parsed.parts[i];
      json::array children;
      for (std::uint32_t c : part.children)
        if (c < nodes.size()) children.push_back(std::move(nodes[c]));
      nodes[i] = json::object{{"PartID", numbers[i]},
                              {"ContentType", part.content_type},
                              {"Charset", std::string(part.charset())},
                              {"FileName", std::string(part.filename())},
                              {"Disposition", part.disposition},
                              {"ContentID", content_id(parsed, i)},
                              {"Size", part.body.size()},
                              {"Parts", std::move(children)}};
    }
    return Answer::now(json_response(nodes.empty() ? json::object{} : std::move(nodes[0])));
  });
  // The part route of the html route's cid: references, for any folder
  // (/api/v1's serves INBOX messages only, as Mailpit's does).
  R.add("GET", "/api/mailroom/message/{ID}/part/{PartID}", [this](Request& r, const PathParams& p) {
    return Answer::now(part(locate(r, p[0]), p[0], p[1]));
  });
  R.add("GET", "/api/mailroom/message/{ID}/transcript", [this](Request& r, const PathParams& p) {
    auto v = locate(r, p[0]);
    if (!v) return Answer::now(not_found(p[0]));
    const auto& envelope = v->message->envelope;
    if (!envelope || envelope->smtp_session == 0)
      return Answer::now(error_response(404, "message '" + p[0] + "' did not come by SMTP"));
    std::optional<SessionTranscript> s;
    if (settings.session) s = settings.session(envelope->smtp_session);
    if (!s)
      return Answer::now(error_response(
          404, "the server no longer keeps the SMTP session of message '" + p[0] + "'"));
    return Answer::now(json_response(transcript_json(*s, r.account)));
  });
  R.add("POST", "/api/mailroom/compose", [this](Request& r, const PathParams&) {
    return compose(r);
  });
}

}  // namespace mailroom::http
