// POST /api/mailroom/compose: the web mail client's new messages, replies,
// forwards and drafts. Sent through the server as /api/v1/send is (local
// delivery, remote recipients into the outgoing queue), a copy kept in the
// sender's \Sent folder; a draft kept in \Drafts with \Draft instead.
#include <algorithm>
#include <functional>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/header_fields.hpp"
#include "mailroom/mime/reply.hpp"
#include "mailroom/mime/threading.hpp"
#include "mail_api_impl.hpp"

namespace mailroom::http {

namespace {

std::vector<mime::Mailbox> address_list(const json::object& o, const char* name) {
  std::vector<mime::Mailbox> out;
  std::size_t i = 0;
  for (const auto& value : string_list(o, name)) {
    const std::string where = std::string(name) + "[" + std::to_string(i++) + "]";
    try {
      for (auto& a : mime::parse_address_argument(value, where))
        out.push_back({a.display_name, a.address});
    } catch (const std::invalid_argument& e) {
      throw BadField(e.what());
    }
  }
  return out;
}

bool bool_member(const json::object& o, const char* name) {
  const json::value* v = member(o, name);
  if (!v) return false;
  if (!v->is_bool()) throw BadField(std::string(name) + " must be true or false");
  return v->as_bool();
}

// A header field's raw value, "" when absent.
std::string header_value(const mime::ParsedMessage& m, std::string_view name) {
  const mime::HeaderField* h = m.parts.empty() ? nullptr : m.find_header(0, name);
  return h ? std::string(m.bytes(h->value)) : std::string();
}

// A msg-id fit to write into a header field again: printable ASCII (RFC 5322
// §3.6.4 msg-id), no longer than mime::kMaxMessageIdLength.
bool writable_id(std::string_view id) {
  if (id.empty() || id.size() > mime::kMaxMessageIdLength) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return c > ' ' && c < 127 && c != '<' && c != '>'; });
}

// "<id>" of a Message-ID or In-Reply-To value's first msg-id, "" for none fit.
std::string usable_message_id(std::string_view value) {
  const std::string_view id = mime::own_message_id(value);
  return writable_id(id) ? mime::bracketed(id) : std::string();
}

// "<id>" each of a References value, kept as mime::draft_reply keeps them:
// at most mime::kMaxReplyReferences, the first and the last ones.
std::vector<std::string> usable_message_ids(std::string_view value) {
  std::vector<std::string> out;
  for (std::string_view id : mime::message_ids(value))
    if (writable_id(id)) out.push_back(mime::bracketed(id));
  if (out.size() > mime::kMaxReplyReferences)
    out.erase(out.begin() + 1,
              out.end() - static_cast<std::ptrdiff_t>(mime::kMaxReplyReferences - 1));
  return out;
}

// The account's folder of a special use (RFC 6154), made when missing.
std::string special_folder(store::MailStore& store, const std::string& account,
                           std::string_view use, std::string_view fallback) {
  for (const auto& f : store.list_folders(account))
    if (f.special_use == use) return f.name;
  bool exists = false;
  for (const auto& f : store.list_folders(account)) exists = exists || f.name == fallback;
  if (!exists) store.create_folder(account, fallback);
  return std::string(fallback);
}

}  // namespace

Answer MailApi::Impl::compose(const Request& r) {
  json::value body = parse_body(r);
  const auto& o = body.as_object();
  const std::string from_text = string_member(o, "From", "");
  if (from_text.empty()) throw BadField("From is required");
  mime::MessageSpec spec;
  try {
    const auto from = mime::parse_address_argument(from_text, "From");
    if (from.size() != 1) throw BadField("From must be one address");
    spec.from = mime::Mailbox{from[0].display_name, from[0].address};
  } catch (const std::invalid_argument& e) {
    throw BadField(e.what());
  }
  // A logged-in user composes as themselves (and files into their own Sent
  // and Drafts), never as someone else.
  if (r.account && store::normalize_mailbox(spec.from->address) != *r.account)
    throw NotYours("you are logged in as " + *r.account + ": From must be your own address, not " +
                   spec.from->address);
  spec.to = address_list(o, "To");
  spec.cc = address_list(o, "Cc");
  const auto bcc = address_list(o, "Bcc");
  if (member(o, "Subject")) spec.subject = string_member(o, "Subject", "");
  if (member(o, "Text")) spec.text = string_member(o, "Text", "");
  if (member(o, "HTML")) spec.html = string_member(o, "HTML", "");
  spec.attachments = attachments_of(o, "FileName");
  const bool draft = bool_member(o, "Draft");
  std::string mode = string_member(o, "Mode", "");
  if (mode.empty()) mode = "new";
  const auto reply_mode = mime::parse_reply_mode(mode);
  if (mode != "new" && !reply_mode)
    throw BadField("Mode must be new, reply, reply_all or forward, not '" + mode + "'");

  // The draft this replaces or that is now sent: one of \Draft.
  const std::string draft_id = string_member(o, "DraftID", "");
  std::optional<MessageView> draft_view;
  std::optional<MessageLocation> replaced;
  if (!draft_id.empty()) {
    draft_view = locate(r, draft_id);
    if (!draft_view || !(draft_view->message->flags & store::kDraft))
      throw BadField("DraftID: no draft with the ID '" + draft_id + "'");
    replaced = decode_message_id(draft_view->id);
  }

  // The message answered or forwarded: its threading fields and parts. The
  // ID names a folder and UID; moved since, the original is found by the
  // Message-ID its draft kept, and gone, the draft's own In-Reply-To and
  // References still make the reply one.
  const std::string answered_id = string_member(o, "ReplyTo", "");
  std::optional<MessageView> answered;
  json::array warnings;  // what the message could not have, said in the answer
  if (!answered_id.empty()) {
    if (!reply_mode) throw BadField("ReplyTo needs Mode reply, reply_all or forward");
    answered = draft_view ? answered_by_draft(r, answered_id, *draft_view) : locate(r, answered_id);
    // Else by the Message-ID the request gives: the web client's, from the
    // reply or forward it started (GET .../reply's MessageID), no draft yet.
    const std::string given_id = string_member(o, "ReplyToMessageID", "");
    if (!answered && !given_id.empty()) {
      const auto where = decode_message_id(answered_id);
      if (where && may_see(r, where->account))
        answered = find_by_message_id(where->account, given_id);
    }
    const bool draft_answers =
        draft_view && !decoded_header(*draft_view->parsed, "X-Mailroom-Mode").empty();
    if (!answered && !draft_answers)
      throw BadField("ReplyTo: no message with the ID '" + answered_id + "'");
    std::string in_reply_to, original_id;
    std::vector<std::string> references;
    if (answered) {
      mime::ReplyOptions options;
      options.mode = *reply_mode;
      const mime::ReplyDraft d = mime::draft_reply(*answered->parsed, options);
      in_reply_to = d.in_reply_to;
      references = d.references;
      original_id = usable_message_id(header_value(*answered->parsed, "Message-ID"));
    } else {
      in_reply_to = usable_message_id(header_value(*draft_view->parsed, "In-Reply-To"));
      references = usable_message_ids(header_value(*draft_view->parsed, "References"));
      original_id =
          usable_message_id(header_value(*draft_view->parsed, "X-Mailroom-Reply-To-Message-ID"));
    }
    if (*reply_mode == mime::ReplyMode::forward) in_reply_to.clear();  // RFC 5322 §3.6.4
    if (!in_reply_to.empty()) spec.headers.emplace_back("In-Reply-To", in_reply_to);
    if (!references.empty()) {
      std::string refs;
      for (const auto& id : references) refs.append(refs.empty() ? "" : " ").append(id);
      spec.headers.emplace_back("References", refs);
    }
    // A draft keeps what it answers, so that reopened and sent it is still a
    // reply (threading fields, \Answered) or a forward ($Forwarded). The ID
    // names the original exactly; In-Reply-To alone would not do: a forward
    // has none (RFC 5322 §3.6.4), nor has a reply to a message without a
    // Message-ID, and reply and reply-all share it. The message sent is built
    // afresh from the fields, so these never leave the Drafts folder.
    // The original's Message-ID too, to find it by when it has moved.
    if (draft) {
      spec.headers.emplace_back("X-Mailroom-Mode", mode);
      spec.headers.emplace_back("X-Mailroom-Reply-To", answered ? answered->id : answered_id);
      if (!original_id.empty())
        spec.headers.emplace_back("X-Mailroom-Reply-To-Message-ID", original_id);
    }
  }
  const auto forward_parts = string_list(o, "ForwardParts");
  if (!forward_parts.empty() && !answered && !answered_id.empty()) {
    std::string parts;
    for (const auto& part_id : forward_parts)
      parts.append(parts.empty() ? "" : ", ").append(part_id);
    const bool one = forward_parts.size() == 1;
    warnings.emplace_back("ForwardParts: the forwarded message is no longer in the account, so " +
                          std::string(one ? "part " : "parts ") + parts +
                          (one ? " is" : " are") + " not attached");
  } else if (!forward_parts.empty()) {
    if (!answered) throw BadField("ForwardParts needs ReplyTo: the message they come from");
    const auto numbers = part_numbers(*answered->parsed);
    for (const auto& part_id : forward_parts) {
      bool found = false;
      for (std::uint32_t i = 0; i < numbers.size() && !found; ++i) {
        const auto& part = answered->parsed->parts[i];
        if (numbers[i] != part_id || part.is_multipart) continue;
        std::string filename;
        mime::sanitize_utf8(part.filename(), filename);
        for (char& c : filename)
          if (c == '\r' || c == '\n') c = ' ';
        spec.attachments.push_back(
            {filename, answered->parsed->decoded_body(i), part.content_type});
        found = true;
      }
      if (!found) throw BadField("ForwardParts: no part '" + part_id + "' in " + answered_id);
    }
  }

  std::vector<std::string> rcpts;
  for (const auto& list : {std::cref(spec.to), std::cref(spec.cc), std::cref(bcc)})
    for (const auto& m : list.get()) rcpts.push_back(m.address);
  if (!draft && rcpts.empty()) throw BadField("To, Cc or Bcc: at least one recipient is required");
  spec.message_id = mime::make_message_id(settings.hostname);
  std::string data;
  try {
    data = mime::build_message(spec);
  } catch (const std::invalid_argument& e) {
    throw BadField(e.what());
  }
  if (data.size() > settings.max_message_size)
    return Answer::now(error_response(
        413, "the message is larger than " + std::to_string(settings.max_message_size) + " octets"));

  if (!draft) {
    if (auto refused = submit_built(spec.from->address, rcpts, data))
      return Answer::now(std::move(*refused));
    if (answered) {  // RFC 9051 §2.3.2: \Answered; a forward gets the $Forwarded keyword
      const auto where = decode_message_id(answered->id);
      if (where)
        store.store(where->account, where->folder, {where->uid}, store::FlagChange::Add,
                    {*reply_mode == mime::ReplyMode::forward ? "$Forwarded" : "\\Answered"});
    }
  }
  // The copy in Sent, or the draft in Drafts.
  const std::string account = store.ensure_account(spec.from->address);
  const std::string folder = draft ? special_folder(store, account, "\\Drafts", "Drafts")
                                   : special_folder(store, account, "\\Sent", "Sent");
  store::AppendOptions append;
  append.flags = draft ? std::vector<std::string>{"\\Draft", "\\Seen"}
                       : std::vector<std::string>{"\\Seen"};
  auto kept = store.append(account, folder, std::move(data), append);
  const std::string id =
      encode_message_id({account, folder, store.status(account, folder).uidvalidity, kept->uid});
  if (replaced) {
    store.store(replaced->account, replaced->folder, {replaced->uid}, store::FlagChange::Add,
                {"\\Deleted"});
    store.expunge(replaced->account, replaced->folder, std::vector<std::uint32_t>{replaced->uid});
  }
  json::object out{{"ID", id}};
  add_delivery(out, draft ? std::vector<std::string>{} : rcpts);  // a draft went nowhere
  if (!warnings.empty()) out["Warnings"] = std::move(warnings);
  return Answer::now(json_response(out));
}

}  // namespace mailroom::http
