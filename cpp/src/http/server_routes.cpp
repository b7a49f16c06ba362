// The routes over more than one message or beyond the store: Mailpit's tags
// (PUT /api/v1/tags, rename and delete one), release through the outgoing
// queue (POST /api/v1/message/{ID}/release), and mailroom's outgoing queue
// and session transcripts. Tags set here are store keywords (IMAP sees them
// too); the ones a message carries in X-Tags stay as it came.
#include "mail_api_impl.hpp"

namespace mailroom::http {

namespace {

// A tag as a keyword (RFC 9051 §2.3.2: an atom); BadField naming `where`.
std::string checked_tag(const std::string& tag, const std::string& where) {
  if (tag.empty() || tag[0] == '\\') throw BadField(where + ": a tag is a non-empty word, not '" + tag + "'");
  try {
    auto parsed = store::parse_flags({tag});
    if (parsed.keywords.size() != 1 || parsed.system != 0) throw BadField(where + ": '" + tag + "'");
  } catch (const store::InvalidFlag&) {
    throw BadField(where + ": '" + tag +
                   "' cannot be a tag (letters, digits and punctuation other than ( ) { ] % * \" \\, "
                   "no spaces)");
  }
  return tag;
}

json::object queued_json(const QueuedMessage& q) {
  json::array rcpts;
  for (const auto& r : q.rcpts)
    rcpts.push_back(json::object{{"Address", r.address},
                                 {"Status", r.status},
                                 {"Attempts", r.attempts},
                                 {"LastReply", r.last_reply}});
  return json::object{{"ID", q.id},
                      {"From", q.from},
                      {"Recipients", std::move(rcpts)},
                      {"Arrived", q.arrived},
                      {"NextAttempt", q.next_attempt},
                      {"Attempts", q.attempts},
                      {"Size", static_cast<std::uint64_t>(q.size)}};
}

}  // namespace

void MailApi::Impl::add_server_routes() {
  auto& R = router;
  // Mailpit: {"IDs": [...], "Tags": [...]} sets exactly these tags on each.
  R.add("PUT", "/api/v1/tags", [this](Request& r, const PathParams&) {
    json::value body = parse_body(r);
    const auto& o = body.as_object();
    if (!member(o, "Tags")) throw BadField("Tags is required (an empty list removes every tag)");
    std::vector<std::string> tags = string_list(o, "Tags");
    for (auto& t : tags) checked_tag(t, "Tags");
    store::normalize_keywords(tags);
    const auto ids = string_list(o, "IDs");
    if (ids.empty()) throw BadField("IDs: give at least one message ID");
    for (const auto& [account, uids] : by_account(r, ids)) {
      for (auto uid : uids) {
        auto m = store.by_uid(account, kInbox, uid);
        if (!m) continue;
        std::vector<std::string> drop;
        for (const auto& k : m->keywords())
          if (!store::has_keyword(tags, k)) drop.push_back(k);
        if (!drop.empty()) store.store(account, kInbox, {uid}, store::FlagChange::Remove, drop);
        if (!tags.empty()) store.store(account, kInbox, {uid}, store::FlagChange::Add, tags);
      }
    }
    return Answer::now(ok_text());
  });
  // Renames a tag on every message that has it (PUT {"Name": new}), or
  // removes it from each (DELETE).
  auto retag = [this](Request& r, const std::string& tag, const std::string* name) {
    checked_tag(tag, "Tag");
    for (const auto& m : inbox(r)) {
      if (!store::has_keyword(m->keywords(), tag)) continue;
      store.store(m->account(), kInbox, {m->uid}, store::FlagChange::Remove, {tag});
      if (name) store.store(m->account(), kInbox, {m->uid}, store::FlagChange::Add, {*name});
    }
  };
  R.add("PUT", "/api/v1/tags/{Tag}", [retag](Request& r, const PathParams& p) {
    json::value body = parse_body(r);
    const std::string name = checked_tag(string_member(body.as_object(), "Name", ""), "Name");
    retag(r, p[0], &name);
    return Answer::now(ok_text());
  });
  R.add("DELETE", "/api/v1/tags/{Tag}", [retag](Request& r, const PathParams& p) {
    retag(r, p[0], nullptr);
    return Answer::now(ok_text());
  });

  // Mailpit: {"To": [...]} relays the message as it is (through the queue).
  R.add("POST", "/api/v1/message/{ID}/release", [this](Request& r, const PathParams& p) {
    json::value body = parse_body(r);
    const auto to = string_list(body.as_object(), "To");
    if (to.empty()) throw BadField("To: give at least one address to release the message to");
    if (!controls.queue || !controls.queue())
      return Answer::now(error_response(
          400, "the outgoing queue is off: start the server with relay=True or routes= to release"));
    if (!controls.relay)
      return Answer::now(error_response(
          400, "release is off: in test mode only an HTTP listener on loopback relays"));
    auto m = find(r, p[0]);
    if (!m) return Answer::now(not_found(p[0]));
    // A logged-in user relays as themselves; test mode keeps the sender.
    std::string from = r.account ? *r.account : (m->envelope ? m->envelope->mail_from : std::string());
    std::shared_ptr<const std::string> data = store.read(*m);
    try {
      controls.relay(from, to, *data);
    } catch (const std::invalid_argument& e) {
      throw BadField(std::string("To: ") + e.what());
    }
    return Answer::now(ok_text());
  });

  // The outgoing queue: what waits for its next hop. A logged-in user sees
  // and removes only what they sent.
  auto entries = [this](const Request& r) {
    auto all = controls.queue ? controls.queue() : std::nullopt;
    if (!all) throw BadField("the outgoing queue is off: start the server with relay=True or routes=");
    if (r.account)
      std::erase_if(*all, [&](const QueuedMessage& q) { return store::normalize_mailbox(q.from) != *r.account; });
    return *all;
  };
  R.add("GET", "/api/mailroom/queue", [entries](Request& r, const PathParams&) {
    json::array list;
    for (const auto& q : entries(r)) list.push_back(queued_json(q));
    const std::size_t n = list.size();
    return Answer::now(json_response(json::object{{"Entries", std::move(list)}, {"Total", n}}));
  });
  R.add("POST", "/api/mailroom/queue/flush", [this, entries](Request& r, const PathParams&) {
    const std::size_t n = entries(r).size();  // 400 when off
    controls.flush_queue();
    return Answer::now(json_response(json::object{{"Flushed", n}}));
  });
  R.add("DELETE", "/api/mailroom/queue/{ID}", [this, entries](Request& r, const PathParams& p) {
    bool mine = false;
    for (const auto& q : entries(r)) mine = mine || q.id == p[0];
    if (!mine || !controls.remove_queued(p[0]))
      return Answer::now(error_response(404, "no queue entry with the ID '" + p[0] + "'"));
    return Answer::now(ok_text());
  });

  // Session transcripts, newest first; server-wide, so not for a logged-in
  // user (they hold every client's conversation).
  R.add("GET", "/api/mailroom/transcripts", [this](Request& r, const PathParams&) {
    if (r.account)
      throw NotYours("transcripts hold every user's sessions: they are shown only in test mode");
    std::string protocol;
    if (query_param(r.query, "protocol", protocol)) {
      protocol = lowered(protocol);
      if (protocol != "smtp" && protocol != "pop3" && protocol != "imap" && !protocol.empty())
        throw BadField("protocol must be smtp, pop3 or imap, not '" + protocol + "'");
    }
    const std::uint64_t limit = number_param(r, "limit", 100, 10'000);
    auto all = controls.transcripts ? controls.transcripts() : std::vector<SessionTranscript>{};
    json::array list;
    for (auto it = all.rbegin(); it != all.rend() && list.size() < limit; ++it) {
      if (!protocol.empty() && it->protocol != protocol) continue;
      list.push_back(json::object{{"ID", it->id},
                                  {"Protocol", it->protocol},
                                  {"Peer", it->peer},
                                  {"Started", it->started_at},
                                  {"Ended", it->ended_at},
                                  {"Messages", static_cast<std::uint64_t>(it->messages)},
                                  {"Truncated", it->truncated},
                                  // as valid UTF-8 (a client may send any octets)
                                  {"Transcript", json::parse(json_quote(it->transcript))}});
    }
    return Answer::now(json_response(json::object{{"Transcripts", std::move(list)}}));
  });
}

}  // namespace mailroom::http
