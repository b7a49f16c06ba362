// Server: construction, the check of its options, start and stop. The
// listeners are net::Network's; what they serve comes from services.hpp.
#include <algorithm>
#include <set>
#include <stdexcept>
#include <thread>

#include "mailroom/engine/server.hpp"
#include "blocking_work.hpp"
#include "imap_sessions.hpp"
#include "services.hpp"

namespace mailroom::engine {

Server::Server(ServerOptions options)
    : options_(std::move(options)),
      imap_(std::make_unique<ImapSessions>()),
      clock_(std::make_shared<queue::Clock>(options_.manual_clock)) {
  init_store();
  // IMAP sessions learn of every change (deliveries, other sessions, POP3).
  imap_->listen(events_);
}

Server::~Server() { stop(); }

ImapReplyRules& Server::imap_rules() { return imap_->rules(); }

void Server::check_options() const {
  const ServerOptions& o = options_;
  if (o.max_connections == 0) throw std::invalid_argument("max_connections must be at least 1");
  if (o.idle_timeout.count() <= 0) throw std::invalid_argument("idle_timeout must be positive");
  if (o.tls && o.tls->handshake_timeout.count() <= 0)
    throw std::invalid_argument("the TLS handshake timeout must be positive");
  if (o.smtp.require_tls && !o.tls)
    throw std::invalid_argument("require_tls needs TLS settings: give tls=\"auto\" or tls=(certfile, keyfile)");
  if (o.listeners.empty()) throw std::invalid_argument("the server has no listener");
  std::set<std::string, std::less<>> names;
  for (const auto& l : o.listeners) {
    if (l.name.empty() || !names.insert(l.name).second)
      throw std::invalid_argument("listener names must be unique and not empty: '" + l.name + "'");
    if (l.port < 0 || l.port > 65535)
      throw std::invalid_argument(l.name + "_port must be in 0..65535, not " + std::to_string(l.port));
    if (l.tls == net::TlsMode::Opportunistic)
      throw std::invalid_argument(l.name + "_port: a listener's TLS is none, STARTTLS or implicit");
    if (l.tls != net::TlsMode::None && !o.tls)
      throw std::invalid_argument(
          l.name + "_port: listeners with TLS need TLS settings: give tls=\"auto\" or "
                   "tls=(certfile, keyfile)");
    if (l.auth_required && l.protocol != Protocol::Smtp)
      throw std::invalid_argument(l.name + ": only SMTP listeners require AUTH before MAIL");
  }
}

namespace {

// The names a throwaway certificate carries: the host name, the loopback
// names, and the listeners' hosts.
std::vector<std::string> certificate_names(const ServerOptions& o) {
  std::vector<std::string> names{o.smtp.hostname};
  for (const char* n : {"localhost", "127.0.0.1", "::1"})
    if (o.smtp.hostname != n) names.emplace_back(n);
  auto add = [&](const std::string& host) {
    if (!host.empty() && std::find(names.begin(), names.end(), host) == names.end() &&
        host != "0.0.0.0" && host != "::")
      names.push_back(host);
  };
  add(o.host);
  for (const auto& l : o.listeners) add(l.host);
  return names;
}

}  // namespace

void Server::start() {
  if (net_) throw std::logic_error("server already started");
  check_options();
  prepare_queue();
  net::NetworkOptions n;
  n.max_connections = options_.max_connections;
  n.max_connections_per_ip =
      options_.max_connections_per_ip.value_or(std::max<std::size_t>(1, options_.max_connections / 4));
  n.exempt_loopback = test_mode_accounts();
  n.idle_timeout = options_.idle_timeout;
  n.min_data_rate = options_.min_data_rate;
  n.stress_idle_timeout = options_.stress_idle_timeout;
  if (options_.tls) {
    n.handshake_timeout = options_.tls->handshake_timeout;
    net::ServerTlsSettings t;
    t.cert_file = options_.tls->cert_file;
    t.key_file = options_.tls->key_file;
    if (options_.tls->throwaway) t.throwaway_names = certificate_names(options_);
    n.tls = net::make_server_tls(t, tls_ca_pem_, tls_certificate_pem_);
  }
  auto net = std::make_unique<net::Network>(std::move(n));
  std::map<std::string, std::uint16_t, std::less<>> ports;
  const bool smtp_auth =
      options_.smtp.auth || options_.smtp.auth_required || has_submission_listener();
  // One login table for all HTTP listeners (HTTP and HTTPS), new at each
  // start: sessions live in memory and end with the server.
  std::shared_ptr<http::Logins> http_logins_table;
  for (const auto& l : options_.listeners) {
    if (l.protocol == Protocol::Http && !http_logins_table) http_logins_table = http_logins(*this);
    net::ListenerSpec spec;
    spec.host = l.host.empty() ? options_.host : l.host;
    spec.port = static_cast<std::uint16_t>(l.port);
    spec.tls = l.tls;
    spec.factory = l.protocol == Protocol::Smtp   ? smtp_service(*this, l)
                   : l.protocol == Protocol::Pop3 ? pop3_service(*this, l)
                   : l.protocol == Protocol::Imap ? imap_service(*this, l)
                                                  : http_service(*this, l, http_logins_table);
    spec.max_connections = l.max_connections;
    if (spec.max_connections == 0 && options_.listeners.size() > 1)
      spec.max_connections = std::max<std::size_t>(1, options_.max_connections * 3 / 4);
    // Answered when no descriptor is left to serve the client (RFC 3463 X.3.2:
    // system not accepting messages; RFC 3206 SYS/TEMP).
    spec.busy_reply = l.protocol == Protocol::Smtp
                          ? "421 4.3.2 " + options_.smtp.hostname +
                                " Service not available: out of resources, try again later\r\n"
                      : l.protocol == Protocol::Pop3
                          ? "-ERR [SYS/TEMP] Out of resources, try again later\r\n"
                      : l.protocol == Protocol::Imap
                          ? "* BYE [UNAVAILABLE] Out of resources, try again later\r\n"
                          : "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                            "Retry-After: 1\r\nConnection: close\r\n\r\n";
    const std::size_t index = net->listen(std::move(spec));
    ports[l.name] = net->port(index);
    // HTTP shows every mailbox without a login (test mode, as Mailpit does):
    // elsewhere than on loopback only when asked for (public_http).
    if (l.protocol == Protocol::Http && test_mode_accounts() && !net->loopback(index) &&
        !options_.public_http)
      throw std::invalid_argument(
          l.name + "_port: without users (test mode) HTTP shows every mailbox to whoever reaches "
                   "it, so it is served only on a loopback address, not " +
          (l.host.empty() ? options_.host : l.host) +
          "; give users={address: password}, or public_http=True to serve it anyway");
    const bool logins =
        l.protocol == Protocol::Pop3 || l.protocol == Protocol::Imap || smtp_auth || l.auth_required;
    if (logins && test_mode_accounts() && !net->loopback(index))
      throw std::invalid_argument(
          "logins without users (test mode: any password is accepted) are only allowed on a "
          "loopback address, not " + (l.host.empty() ? options_.host : l.host) +
          "; give users={address: password}");
  }

  unsigned threads = options_.threads;
  // One network thread per two cores (at most 4): a session does little work
  // per byte, and the cores are better left to the peers and to Python. TLS
  // handshakes are the exception (a signature each): with TLS, one per core.
  const unsigned cores = std::thread::hardware_concurrency();
  if (threads == 0) threads = std::clamp(options_.tls ? cores : cores / 2, 1u, 4u);
  // Hooks and fsyncs run on threads of their own, so a slow one holds up
  // only its own session. Several at once let fsyncs overlap (the file
  // system commits them together). On a Maildir every IMAP session's
  // APPEND, STORE and EXPUNGE runs there too (a thread each while it waits
  // for the disk or for the folder's writer).
  auto work = std::make_unique<BlockingWork>();
  unsigned blocking = queue_ && !options_.queue.spool.empty() ? 8 : 4;
  if (!options_.maildir.empty()) blocking = 16;
  work->start(blocking);
  work_ = std::move(work);
  // The queue first: a message accepted by the listeners may go to it.
  if (queue_) queue_->start();
  net->start(threads);
  ports_ = std::move(ports);
  net_ = std::move(net);
}

void Server::stop() {
  if (!net_) return;
  net_->stop();
  // What is still running finishes (its answers go nowhere): it may use the
  // store and the queue.
  if (work_) work_->stop();
  net_.reset();  // destroys what the connections still held
  work_.reset();
  ports_.clear();
  if (queue_) queue_->stop();
  store_->wake_all();
}

bool Server::delivery_may_block() const {
  if (!options_.maildir.empty() || (queue_ && !options_.queue.spool.empty())) return true;
  std::lock_guard lock(hook_mutex_);
  return hook_ != nullptr;
}

void Server::run_blocking(std::function<void()> job) {
  if (work_)
    work_->post(std::move(job));
  else
    job();
}

bool Server::running() const { return net_ != nullptr; }

std::uint16_t Server::port(std::string_view name) const {
  auto it = ports_.find(name);
  return it == ports_.end() ? 0 : it->second;
}

std::size_t Server::active_connections() const { return net_ ? net_->active_connections() : 0; }

}  // namespace mailroom::engine
