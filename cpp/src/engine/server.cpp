// Server: policy and delivery. The network half (Asio) is in
// net/listener.cpp.
#include "mailroom/engine/server.hpp"

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

#include "mailroom/mime/builder.hpp"
#include "mailroom/text.hpp"

namespace mailroom::engine {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : lowered(std::string(address.substr(at + 1)));
}

std::string peer_ip(const std::string& peer) {
  // "ip:port" or "[v6]:port"
  if (!peer.empty() && peer[0] == '[') {
    auto end = peer.find(']');
    return end == std::string::npos ? peer : peer.substr(1, end - 1);
  }
  auto colon = peer.rfind(':');
  return colon == std::string::npos ? peer : peer.substr(0, colon);
}

}  // namespace

std::string trace_headers(const smtp::Envelope& env, const std::string& peer,
                          const std::string& hostname, const std::string& id) {
  // RFC 5321 §4.4: Return-Path with the reverse-path at final delivery; a
  // Received line "from <helo> (<ip>) by <host> with <protocol> id <id>
  // [for <rcpt>]; <date>". Protocol names from RFC 3848 / RFC 6531.
  // RFC 3848 §2 and RFC 6531 §3.7.3: S for TLS, A for an authenticated client.
  std::string proto = env.esmtp ? (env.smtputf8 ? "UTF8SMTP" : "ESMTP") : "SMTP";
  if (env.esmtp && env.tls) proto += "S";
  if (env.esmtp && !env.auth_user.empty()) proto += "A";
  std::string out = "Return-Path: <" + env.mail_from + ">\r\n";
  out += "Received: from " + (env.helo.empty() ? std::string("unknown") : env.helo) + " ([" +
         peer_ip(peer) + "])\r\n\tby " + hostname + " (mailroom) with " + proto + " id " + id;
  if (env.rcpt_to.size() == 1) out += "\r\n\tfor <" + env.rcpt_to.front() + ">";
  out += ";\r\n\t" + mime::format_date_now() + "\r\n";
  return out;
}

void Server::init_store() {
  for (auto& d : options_.domains) d = lowered(d);
  if (options_.users) {  // accounts are addresses: their domains compare case-insensitively
    std::map<std::string, std::string> normalized;
    for (auto& [user, password] : *options_.users) normalized[store::normalize_mailbox(user)] = password;
    options_.users = std::move(normalized);
  }
  if (options_.maildir.empty())
    store_ = std::make_unique<store::MemoryStore>();
  else
    store_ = std::make_unique<store::MaildirStore>(options_.maildir);
}

void Server::set_message_hook(MessageHook hook) {
  std::lock_guard lock(hook_mutex_);
  hook_ = hook ? std::make_shared<MessageHook>(std::move(hook)) : nullptr;
}

smtp::Decision Server::check_recipient(const smtp::Envelope& env, std::string_view rcpt) {
  if (!options_.domains.empty()) {
    const std::string d = domain_of(rcpt);
    if (std::find(options_.domains.begin(), options_.domains.end(), d) == options_.domains.end())
      return smtp::Decision::reject(550, "5.7.1", "Relaying denied: not a local domain");
  }
  std::vector<std::string> one{std::string(rcpt)};
  auto d = rules_.match(ReplyRule::Stage::Rcpt, env.mail_from, one);
  return d ? *d : smtp::Decision{};
}

smtp::Decision Server::accept_message(const smtp::Envelope& env, std::string&& message,
                                      const std::string& peer) {
  auto rule = rules_.match(ReplyRule::Stage::Data, env.mail_from, env.rcpt_to);
  if (rule && rule->kind != smtp::Decision::Accept) return *rule;

  // RFC 5321 §4.2.2 / RFC 3463 4.3.1: no room for it now; the client keeps it and retries.
  const std::size_t copies = env.rcpt_to.size();
  if (store_->count() + copies > options_.max_stored_messages ||
      store_->bytes() + std::uint64_t{message.size()} * copies > options_.max_stored_bytes)
    return smtp::Decision::reject(452, "4.3.1", "Insufficient storage: the server's store is full");

  std::string id;
  {
    std::lock_guard lock(id_mutex_);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%llX%04llX", static_cast<unsigned long long>(std::time(nullptr)),
                  static_cast<unsigned long long>(next_queue_id_++ & 0xffff));
    id = buf;
  }
  auto data = std::make_shared<std::string>();
  data->reserve(message.size() + 300);
  *data = trace_headers(env, peer, options_.smtp.hostname, id);
  data->append(message);
  message.clear();

  auto envelope = std::make_shared<store::Envelope>();
  envelope->mail_from = env.mail_from;
  envelope->rcpt_to = env.rcpt_to;
  envelope->peer = peer;
  envelope->received_at = now_seconds();

  std::shared_ptr<MessageHook> hook;
  {
    std::lock_guard lock(hook_mutex_);
    hook = hook_;
  }
  if (hook) {
    smtp::Decision d;
    try {
      d = (*hook)(*data, *envelope);
    } catch (...) {
      return smtp::Decision::reject(451, "4.3.0", "Error in message hook; try again later");
    }
    if (d.kind != smtp::Decision::Accept) return d;
  }
  try {
    store_->deliver(env.rcpt_to, data, envelope);
  } catch (const std::exception&) {
    return smtp::Decision::reject(451, "4.3.0", "Cannot store the message; try again later");
  }
  smtp::Decision ok;
  ok.reply = smtp::Reply(250, "2.0.0", "OK: queued as " + id);
  if (rule) {  // an accepting rule may delay the reply or word it
    ok.delay_ms = rule->delay_ms;
    if (rule->reply.code >= 200 && rule->reply.code < 300) ok.reply = rule->reply;
  }
  return ok;
}

std::uint64_t Server::session_started(const std::string& peer, const char* protocol) {
  std::lock_guard lock(sessions_mutex_);
  SessionRecord r;
  r.id = next_session_++;
  r.protocol = protocol;
  r.peer = peer;
  r.started_at = now_seconds();
  sessions_.push_back(std::move(r));
  while (sessions_.size() > std::max<std::size_t>(options_.max_transcripts, 1)) sessions_.pop_front();
  return next_session_ - 1;
}

void Server::session_ended(std::uint64_t id, const std::string& transcript, bool truncated,
                           std::size_t messages) {
  std::lock_guard lock(sessions_mutex_);
  for (auto it = sessions_.rbegin(); it != sessions_.rend(); ++it) {
    if (it->id == id) {
      it->transcript = transcript;
      it->truncated = truncated;
      it->ended_at = now_seconds();
      it->messages = messages;
      break;
    }
  }
}

std::vector<SessionRecord> Server::sessions() const {
  std::lock_guard lock(sessions_mutex_);
  return {sessions_.begin(), sessions_.end()};
}

void Server::clear_sessions() {
  std::lock_guard lock(sessions_mutex_);
  sessions_.clear();
}

}  // namespace mailroom::engine
