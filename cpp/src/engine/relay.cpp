// Server: relaying through the outgoing queue — who may relay, which
// recipients leave, bounces coming back, and messages from the application.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "mailroom/engine/server.hpp"
#include "mailroom/mime/builder.hpp"
#include "mailroom/mime/report.hpp"
#include "mailroom/queue/dsn.hpp"
#include "mailroom/text.hpp"

namespace mailroom::engine {

namespace {

// An address as 16 bytes; IPv4 (and IPv4-mapped IPv6) as family AF_INET in
// the first 4.
bool parse_ip(const std::string& text, int& family, unsigned char out[16]) {
  std::memset(out, 0, 16);
  if (inet_pton(AF_INET, text.c_str(), out) == 1) {
    family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), out) == 1) {
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(out, out + 12, mapped)) {
      std::memmove(out, out + 12, 4);
      std::memset(out + 4, 0, 12);
      family = AF_INET;
    } else {
      family = AF_INET6;
    }
    return true;
  }
  return false;
}

bool prefix_matches(const unsigned char* a, const unsigned char* b, int bits) {
  int full = bits / 8, rest = bits % 8;
  if (std::memcmp(a, b, static_cast<std::size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  const unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

void Server::set_manual_clock(bool manual) {
  if (queue_) throw std::logic_error("the clock is chosen before the server first starts");
  options_.manual_clock = manual;
  clock_ = std::make_shared<queue::Clock>(manual);
}

void Server::prepare_queue() {
  relay_nets_.clear();
  for (const auto& cidr : options_.relay_networks) {
    RelayNetwork n;
    auto slash = cidr.find('/');
    const std::string ip = cidr.substr(0, slash);
    if (!parse_ip(ip, n.family, n.bytes))
      throw std::invalid_argument("bad relay network '" + cidr + "': not an IP address");
    const int max = n.family == AF_INET ? 32 : 128;
    n.prefix = max;
    if (slash != std::string::npos) {
      std::uint64_t p = 0;
      if (!parse_number(std::string_view(cidr).substr(slash + 1), p) || p > static_cast<std::uint64_t>(max))
        throw std::invalid_argument("bad relay network '" + cidr + "': prefix length must be 0.." +
                                    std::to_string(max));
      n.prefix = static_cast<int>(p);
    }
    relay_nets_.push_back(n);
  }
  if (!options_.relay || queue_) return;
  queue::QueueOptions q = options_.queue;
  q.hostname = options_.smtp.hostname;
  if (q.delivery.helo_name == "localhost") q.delivery.helo_name = options_.smtp.hostname;
  queue_ = std::make_unique<queue::OutgoingQueue>(std::move(q), clock_);
  queue_->set_event_hook([this](const queue::QueueEvent& e) { events_.publish(e); });
  queue_->set_bounce_sink([this](const std::string& rcpt, std::string message) {
    deliver_bounce(rcpt, std::move(message));
  });
}

bool Server::is_remote(std::string_view rcpt) const {
  if (!options_.relay || !queue_) return false;
  if (!postmaster_for(rcpt).empty()) return false;  // always ours (RFC 5321 §4.5.1)
  const std::string domain = address_domain(rcpt);
  if (!options_.domains.empty()) {
    const bool local =
        std::find(options_.domains.begin(), options_.domains.end(), domain) != options_.domains.end();
    // A local domain leaves only when it has a route of its own.
    if (!local) return true;
    return queue_->routes().has_own(domain);
  }
  // No local domains: whatever has a route (or the "*" route) leaves.
  return queue_->routes().routes(domain);
}

bool Server::may_relay(const smtp::Envelope& env, const std::string& peer) const {
  // RFC 4954 §5: an authenticated client may relay.
  if (!env.auth_user.empty()) return true;
  int family = 0;
  unsigned char ip[16];
  if (!parse_ip(std::string(peer_address(peer)), family, ip)) return false;
  for (const auto& n : relay_nets_)
    if (n.family == family && prefix_matches(ip, n.bytes, n.prefix)) return true;
  return false;
}

void Server::deliver_bounce(const std::string& rcpt, std::string message) {
  if (is_remote(rcpt)) {
    // From the null sender: never bounced again (RFC 5321 §6.1).
    queue_->enqueue("", {rcpt}, std::make_shared<const std::string>(std::move(message)));
    return;
  }
  store_->deliver({rcpt}, final_copy("", "", message), make_envelope("", {rcpt}, ""));
}

void Server::report_local_delivery(const smtp::Envelope& env, const std::vector<std::size_t>& local,
                                   std::string_view message, const std::string& id) {
  if (env.mail_from.empty()) return;  // RFC 3461 §6.2
  // Most senders ask for no success report (NOTIFY=SUCCESS, RFC 3461 §4.1):
  // then nothing is built, and the message is not looked at.
  const auto wants = [&env](std::size_t i) {
    return i < env.rcpt_dsn.size() &&
           smtp::wants_report(env.rcpt_dsn[i].notify, smtp::ReportAction::Delivered);
  };
  if (std::none_of(local.begin(), local.end(), wants)) return;
  if (mime::report::is_report(message)) return;  // RFC 3461 §6.2
  queue::DsnReport report;
  report.reporting_mta = options_.smtp.hostname;
  report.original_sender = env.mail_from;
  report.queue_id = id;
  report.now = clock_->now();
  report.arrival_date = report.now;
  report.original = message;
  report.return_full = env.dsn.ret == "FULL";
  report.has_envelope_id = env.dsn.has_envid;
  report.envelope_id = env.dsn.envid;
  for (auto i : local) {
    const smtp::RecipientDsn dsn = i < env.rcpt_dsn.size() ? env.rcpt_dsn[i] : smtp::RecipientDsn{};
    if (!smtp::wants_report(dsn.notify, smtp::ReportAction::Delivered)) continue;
    queue::DsnRecipient r;
    r.address = env.rcpt_to[i];
    r.original_type = dsn.orcpt_type;
    r.original_recipient = dsn.orcpt;
    r.action = "delivered";
    r.status = "2.0.0";
    r.last_attempt = report.now;
    report.recipients.push_back(std::move(r));
  }
  if (report.recipients.empty()) return;
  try {
    deliver_bounce(env.mail_from, queue::build_dsn(report));
  } catch (const std::exception&) {
    // The queue or the store is full: the message is delivered, its report lost.
  }
}

std::string Server::submit(const std::string& mail_from, const std::vector<std::string>& rcpts,
                           std::string message) {
  if (rcpts.empty()) throw std::invalid_argument("submit() needs at least one recipient");
  if (mail_from.find_first_of("\r\n<>") != std::string::npos)
    throw std::invalid_argument("bad sender address: " + mail_from);
  for (const auto& r : rcpts)
    if (r.empty() || r.find_first_of("\r\n<> ") != std::string::npos)
      throw std::invalid_argument("bad recipient address: '" + r + "'");
  if (count_received(message) > options_.max_received)
    throw std::invalid_argument("too many Received lines: a mail loop");
  std::vector<std::string> local, remote;
  for (const auto& r : rcpts) {
    if (is_remote(r))
      remote.push_back(r);
    else
      local.push_back(local_account_for(r));
  }
  const std::string id = remote.empty() ? local_id() : queue_->new_id();
  std::string received = "Received: by " + options_.smtp.hostname + " (mailroom, from the application) id ";
  received.append(id).append(";\r\n\t").append(mime::format_date_now()).append("\r\n");
  if (!local.empty()) {
    store_->deliver(local, final_copy(mail_from, received, message), make_envelope(mail_from, local, ""));
  }
  if (!remote.empty()) {
    received.append(message);
    queue_->enqueue(mail_from, remote, std::make_shared<const std::string>(std::move(received)), id);
  }
  return id;
}

}  // namespace mailroom::engine
