// Server: policy and delivery. Its start and stop are in
// server_lifecycle.cpp; the sockets are net::Network's.
#include "mailroom/engine/server.hpp"

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <limits>
#include <stdexcept>

#include "mailroom/mime/builder.hpp"
#include "mailroom/text.hpp"

namespace mailroom::engine {

std::shared_ptr<std::string> Server::final_copy(std::string_view mail_from, std::string_view trace,
                                                std::string_view message) {
  auto data = std::make_shared<std::string>();
  data->reserve(mail_from.size() + trace.size() + message.size() + 20);
  data->append("Return-Path: <").append(mail_from).append(">\r\n");
  data->append(trace).append(message);
  return data;
}

std::shared_ptr<store::Envelope> Server::make_envelope(const std::string& mail_from,
                                                       std::vector<std::string> rcpts,
                                                       const std::string& peer) {
  auto envelope = std::make_shared<store::Envelope>();
  envelope->mail_from = mail_from;
  envelope->rcpt_to = std::move(rcpts);
  envelope->peer = peer;
  envelope->received_at = queue::real_time();
  return envelope;
}

std::size_t count_received(std::string_view message) {
  std::size_t n = 0, pos = 0;
  while (pos < message.size()) {
    auto end = message.find('\n', pos);
    std::string_view line = message.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (line.empty() || line == "\r") break;  // end of the header section
    if (line.size() >= 9 && lowered(std::string(line.substr(0, 9))) == "received:") ++n;
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return n;
}

std::string received_header(const smtp::Envelope& env, const std::string& peer,
                            const std::string& hostname, const std::string& id) {
  // RFC 5321 §4.4: Return-Path with the reverse-path at final delivery; a
  // Received line "from <helo> (<ip>) by <host> with <protocol> id <id>
  // [for <rcpt>]; <date>". Protocol names from RFC 3848 / RFC 6531.
  // RFC 3848 §2 and RFC 6531 §3.7.3: S for TLS, A for an authenticated client.
  std::string proto = env.esmtp ? (env.smtputf8 ? "UTF8SMTP" : "ESMTP") : "SMTP";
  if (env.esmtp && env.tls) proto += "S";
  if (env.esmtp && !env.auth_user.empty()) proto += "A";
  std::string out = "Received: from " + (env.helo.empty() ? std::string("unknown") : env.helo) + " ([" +
         std::string(peer_address(peer)) + "])\r\n\tby " + hostname + " (mailroom) with " + proto + " id " + id;
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
  store::StoreLimits limits;
  limits.max_messages = options_.max_stored_messages;
  limits.max_bytes = options_.max_stored_bytes;
  limits.max_message_size = std::numeric_limits<std::size_t>::max();  // SMTP's SIZE bounds it
  if (options_.maildir.empty())
    store_ = std::make_unique<store::MailStore>(limits);
  else
    store_ = std::make_unique<store::MailStore>(options_.maildir, limits);
  store_->set_change_hook([this](const store::StoreChange& c) { events_.publish(c); });
}

void Server::set_message_hook(MessageHook hook) {
  std::lock_guard lock(hook_mutex_);
  hook_ = hook ? std::make_shared<MessageHook>(std::move(hook)) : nullptr;
}

std::string Server::postmaster_account() const {
  if (!options_.postmaster.empty()) return store::normalize_mailbox(options_.postmaster);
  return "postmaster@" + (options_.domains.empty() ? lowered(options_.smtp.hostname)
                                                    : options_.domains.front());
}

std::string Server::postmaster_for(std::string_view rcpt) const {
  // RFC 5321 §4.5.1: <Postmaster> (no domain, any case) and postmaster@ every
  // domain the server takes mail for must be accepted.
  const std::size_t at = rcpt.rfind('@');
  if (!iequals(rcpt.substr(0, at), "postmaster")) return {};
  if (at != std::string_view::npos) {
    const std::string domain = address_domain(rcpt);
    if (options_.domains.empty() ||
        std::find(options_.domains.begin(), options_.domains.end(), domain) ==
            options_.domains.end())
      return {};
  }
  return postmaster_account();
}

std::string Server::local_account_for(const std::string& rcpt) const {
  if (!options_.users) return rcpt;
  const std::string mailbox = store::normalize_mailbox(rcpt);
  if (options_.users->count(mailbox)) return rcpt;
  // RFC 5233 §1: the detail after the first '+' of the local part.
  const auto at = mailbox.rfind('@');
  const auto plus = mailbox.find('+');
  if (at == std::string::npos || plus == std::string::npos || plus == 0 || plus > at) return rcpt;
  std::string user = mailbox.substr(0, plus) + mailbox.substr(at);
  return options_.users->count(user) ? user : rcpt;
}

std::optional<smtp::Decision> Server::recipient_refusal(std::string_view rcpt,
                                                       bool may_relay) const {
  if (!postmaster_for(rcpt).empty()) return std::nullopt;  // whatever the domain and relay rules say
  if (is_remote(rcpt)) {
    if (!may_relay) return smtp::Decision::reject(550, "5.7.1", "Relaying denied: not a local domain");
  } else if (!options_.domains.empty()) {
    const std::string d = address_domain(rcpt);
    if (std::find(options_.domains.begin(), options_.domains.end(), d) == options_.domains.end())
      return smtp::Decision::reject(550, "5.7.1", "Relaying denied: not a local domain");
  }
  return std::nullopt;
}

smtp::Decision Server::check_recipient(const smtp::Envelope& env, std::string_view rcpt,
                                       const std::string& peer) {
  // Reply rules apply to the postmaster too.
  if (auto refused = recipient_refusal(rcpt, is_remote(rcpt) && may_relay(env, peer)))
    return *refused;
  std::vector<std::string> one{std::string(rcpt)};
  auto d = rules_.match(ReplyRule::Stage::Rcpt, env.mail_from, one);
  return d ? *d : smtp::Decision{};
}

std::string Server::local_id() {
  std::lock_guard lock(id_mutex_);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llX%04llX", static_cast<unsigned long long>(std::time(nullptr)),
                static_cast<unsigned long long>(next_queue_id_++ & 0xffff));
  return buf;
}

smtp::Decision Server::accept_message(const smtp::Envelope& env, std::string&& message,
                                      const std::string& peer, std::uint64_t session) {
  auto rule = rules_.match(ReplyRule::Stage::Data, env.mail_from, env.rcpt_to);
  if (rule && rule->kind != smtp::Decision::Accept) return *rule;

  // RFC 5321 §6.3: a message that has passed this many relays is looping.
  if (count_received(message) > options_.max_received)
    return smtp::Decision::reject(554, "5.4.6", "Too many hops: mail loop detected");

  std::vector<std::string> local, remote;
  std::vector<std::size_t> local_index;
  std::vector<smtp::RecipientDsn> remote_dsn;
  for (std::size_t i = 0; i < env.rcpt_to.size(); ++i) {
    const std::string& r = env.rcpt_to[i];
    const smtp::RecipientDsn dsn = i < env.rcpt_dsn.size() ? env.rcpt_dsn[i] : smtp::RecipientDsn{};
    if (std::string postmaster = postmaster_for(r); !postmaster.empty()) {
      local.push_back(std::move(postmaster));  // RFC 5321 §4.5.1
      local_index.push_back(i);
    } else if (is_remote(r)) {
      remote.push_back(r);
      remote_dsn.push_back(dsn);
    } else {
      local.push_back(local_account_for(r));
      local_index.push_back(i);
    }
  }

  // RFC 5321 §4.2.2 / RFC 3463 4.3.1: no room for it now; the client keeps it and retries.
  const std::size_t copies = local.size();
  if (copies > 0 && !store_->has_room(copies, std::uint64_t{message.size()} * copies))
    return smtp::Decision::reject(452, "4.3.1", "Insufficient storage: the server's store is full");

  const std::string id = remote.empty() ? local_id() : queue_->new_id();
  const std::string received = received_header(env, peer, options_.smtp.hostname, id);
  std::shared_ptr<MessageHook> hook;
  {
    std::lock_guard lock(hook_mutex_);
    hook = hook_;
  }
  // The mailboxes' copy, when there are local recipients or a hook to show it to.
  std::shared_ptr<std::string> data;
  if (!local.empty() || hook) data = final_copy(env.mail_from, received, message);
  auto envelope = make_envelope(env.mail_from, env.rcpt_to, peer);
  envelope->dsn = env.dsn;
  envelope->rcpt_dsn = env.rcpt_dsn;
  envelope->smtp_session = session;
  if (hook) {
    smtp::Decision d;
    try {
      d = (*hook)(*data, *envelope);
    } catch (...) {
      return smtp::Decision::reject(451, "4.3.0", "Error in message hook; try again later");
    }
    if (d.kind != smtp::Decision::Accept) return d;
  }
  if (!remote.empty()) {
    // Relayed on without Return-Path (added at final delivery, RFC 5321 §4.4).
    auto relayed = std::make_shared<std::string>();
    relayed->reserve(received.size() + message.size());
    relayed->append(received).append(message);
    try {
      queue_->enqueue(env.mail_from, remote, std::move(relayed), id, env.dsn, remote_dsn);
    } catch (const queue::QueueFull&) {
      return smtp::Decision::reject(452, "4.3.1", "Insufficient storage: the queue is full");
    } catch (const std::exception&) {
      return smtp::Decision::reject(451, "4.3.0", "Cannot queue the message; try again later");
    }
  }
  if (!local.empty()) {
    try {
      store_->deliver(local, data, envelope);
    } catch (const store::LimitExceeded&) {
      return smtp::Decision::reject(452, "4.3.1", "Insufficient storage: the server's store is full");
    } catch (const std::exception&) {
      return smtp::Decision::reject(451, "4.3.0", "Cannot store the message; try again later");
    }
    report_local_delivery(env, local_index, message, id);
  }
  message.clear();
  smtp::Decision ok;
  ok.reply = smtp::Reply(250, "2.0.0", "OK: queued as " + id);
  if (rule) {  // an accepting rule may delay the reply or word it
    ok.delay_ms = rule->delay_ms;
    if (rule->reply.code >= 200 && rule->reply.code < 300) ok.reply = rule->reply;
  }
  return ok;
}

std::uint64_t Server::session_started(const std::string& peer, const char* protocol) {
  SessionEvent ev;
  ev.kind = SessionEvent::Kind::Started;
  ev.protocol = protocol;
  ev.peer = peer;
  ev.at = queue::real_time();
  {
    std::lock_guard lock(sessions_mutex_);
    SessionRecord r;
    r.id = ev.id = next_session_++;
    r.protocol = protocol;
    r.peer = peer;
    r.started_at = ev.at;
    sessions_.push_back(std::move(r));
    while (sessions_.size() > std::max<std::size_t>(options_.max_transcripts, 1))
      sessions_.pop_front();
  }
  events_.publish(ev);
  return ev.id;
}

void Server::session_ended(std::uint64_t id, const std::string& transcript, bool truncated,
                           std::size_t messages) {
  SessionEvent ev;
  ev.kind = SessionEvent::Kind::Ended;
  ev.id = id;
  ev.at = queue::real_time();
  const bool heard = events_.subscribers() > 0;  // no copy of the transcript for nobody
  if (heard) ev.transcript = transcript;
  ev.truncated = truncated;
  ev.messages = messages;
  {
    std::lock_guard lock(sessions_mutex_);
    for (auto it = sessions_.rbegin(); it != sessions_.rend(); ++it) {
      if (it->id == id) {
        it->transcript = transcript;
        it->truncated = truncated;
        it->ended_at = ev.at;
        it->messages = messages;
        ev.protocol = it->protocol;
        ev.peer = it->peer;
        break;
      }
    }
  }
  if (heard) events_.publish(ev);
}

std::vector<SessionRecord> Server::sessions() const {
  std::lock_guard lock(sessions_mutex_);
  return {sessions_.begin(), sessions_.end()};
}

std::optional<SessionRecord> Server::session(std::uint64_t id) const {
  std::lock_guard lock(sessions_mutex_);
  for (auto it = sessions_.rbegin(); it != sessions_.rend(); ++it)
    if (it->id == id) return *it;
  return std::nullopt;
}

void Server::clear_sessions() {
  std::lock_guard lock(sessions_mutex_);
  sessions_.clear();
}

}  // namespace mailroom::engine
