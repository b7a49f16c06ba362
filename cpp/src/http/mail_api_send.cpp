// POST /api/v1/send: a message built from Mailpit's SendRequest, sent
// through the server (local delivery or the outgoing queue); the sending and
// the attachments of a request that the compose route shares.
#include "mailroom/mime/builder.hpp"
#include "mailroom/mime/codecs.hpp"
#include "mail_api_impl.hpp"

namespace mailroom::http {

namespace {

mime::Mailbox mailbox(const json::value& v, const std::string& where) {
  if (!v.is_object()) throw BadField(where + " must be an object {\"Email\": ..., \"Name\": ...}");
  const auto& o = v.as_object();
  mime::Mailbox m;
  m.address = string_member(o, "Email", where + ".");
  m.display_name = string_member(o, "Name", where + ".");
  if (m.address.empty()) throw BadField(where + ".Email is required");
  return m;
}

std::vector<mime::Mailbox> mailboxes(const json::object& o, const char* name) {
  std::vector<mime::Mailbox> out;
  const json::value* v = member(o, name);
  if (!v) return out;
  if (!v->is_array()) throw BadField(std::string(name) + " must be an array");
  std::size_t i = 0;
  for (const auto& e : v->as_array())
    out.push_back(mailbox(e, std::string(name) + "[" + std::to_string(i++) + "]"));
  return out;
}

}  // namespace

std::vector<mime::AttachmentSpec> attachments_of(const json::object& o, const char* filename) {
  std::vector<mime::AttachmentSpec> out;
  const json::value* atts = member(o, "Attachments");
  if (!atts) return out;
  if (!atts->is_array()) throw BadField("Attachments must be an array");
  std::size_t i = 0;
  for (const auto& a : atts->as_array()) {
    const std::string where = "Attachments[" + std::to_string(i++) + "].";
    if (!a.is_object()) throw BadField(where.substr(0, where.size() - 1) + " must be an object");
    mime::AttachmentSpec att;
    att.filename = string_member(a.as_object(), filename, where);
    if (att.filename.empty()) throw BadField(where + filename + " is required");
    if (!member(a.as_object(), "Content")) throw BadField(where + "Content is required (base64)");
    bool bad = false;
    att.data = mime::base64_decode(string_member(a.as_object(), "Content", where), &bad);
    if (bad) throw BadField(where + "Content is not valid base64");
    att.content_type = string_member(a.as_object(), "ContentType", where);
    if (att.content_type.empty()) att.content_type = "application/octet-stream";
    out.push_back(std::move(att));
  }
  return out;
}

std::optional<Response> MailApi::Impl::submit_built(const std::string& from,
                                                    const std::vector<std::string>& rcpts,
                                                    std::string data) {
  if (data.size() > settings.max_message_size)
    return error_response(
        413, "the message is larger than " + std::to_string(settings.max_message_size) + " octets");
  try {
    submit(from, rcpts, std::move(data));
  } catch (const std::invalid_argument& e) {
    throw BadField(e.what());
  } catch (const std::exception& e) {
    return error_response(503, e.what());
  }
  return std::nullopt;
}

// POST /api/v1/send (Mailpit's SendRequest).
Answer MailApi::Impl::send(const Request& r) {
  json::value body = parse_body(r);
  const auto& o = body.as_object();
  mime::MessageSpec spec;
  const json::value* from = member(o, "From");
  if (!from) throw BadField("From is required");
  spec.from = mailbox(*from, "From");
  // A logged-in user sends as themselves, never as someone else.
  if (r.account && store::normalize_mailbox(spec.from->address) != *r.account)
    throw NotYours("you are logged in as " + *r.account + ": From must be your own address, not " +
                   spec.from->address);
  spec.to = mailboxes(o, "To");
  spec.cc = mailboxes(o, "Cc");
  spec.reply_to = mailboxes(o, "ReplyTo");
  std::vector<std::string> bcc = string_list(o, "Bcc");
  if (member(o, "Subject")) spec.subject = string_member(o, "Subject", "");
  if (member(o, "Text")) spec.text = string_member(o, "Text", "");
  if (member(o, "HTML")) spec.html = string_member(o, "HTML", "");
  spec.attachments = attachments_of(o, "Filename");
  if (const json::value* headers = member(o, "Headers")) {
    if (!headers->is_object()) throw BadField("Headers must be an object of strings");
    for (const auto& kv : headers->as_object()) {
      if (!kv.value().is_string()) throw BadField("Headers." + std::string(kv.key()) + " must be a string");
      spec.headers.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
    }
  }
  std::vector<std::string> tags = string_list(o, "Tags");
  if (!tags.empty()) {
    std::string joined;
    for (const auto& t : tags) joined += (joined.empty() ? "" : ", ") + t;
    spec.headers.emplace_back("X-Tags", joined);
  }
  std::vector<std::string> rcpts;
  for (const auto* list : {&spec.to, &spec.cc})
    for (const auto& m : *list) rcpts.push_back(m.address);
  for (const auto& b : bcc) rcpts.push_back(b);
  if (rcpts.empty()) throw BadField("To, Cc or Bcc: at least one recipient is required");
  const std::string message_id = mime::make_message_id(settings.hostname);
  spec.message_id = message_id;
  std::string data;
  try {
    data = mime::build_message(spec);
  } catch (const std::invalid_argument& e) {
    throw BadField(e.what());
  }
  const std::uint64_t before = store.last_seq();
  if (auto refused = submit_built(spec.from->address, rcpts, std::move(data)))
    return Answer::now(std::move(*refused));
  // The ID of the copy stored for the first local recipient, if any.
  std::string id;
  for (const auto& m : store.since(before)) {
    auto v = view_message(store, m, kInbox, uidvalidity(m->account()));
    if (v && decoded_header(*v->parsed, "Message-ID") == message_id) {
      id = v->id;
      break;
    }
  }
  // What happened to each recipient: Mailpit's ID names the stored copy; a
  // message sent only to the outgoing queue has none here, and "Queued" says so.
  json::object answer{{"ID", id}};
  add_delivery(answer, rcpts);
  return Answer::now(json_response(answer));
}

}  // namespace mailroom::http
