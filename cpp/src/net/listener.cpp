// The SMTP listener and sessions on Boost.Asio. This is the only translation
// unit of the server that includes Asio: it moves bytes between sockets and
// smtp::ServerSession, with a deadline on every read and one strand per
// connection.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "endpoint_text.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <list>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <unistd.h>

#include "../engine/pop3_handler.hpp"
#include "../engine/session_handler.hpp"
#include "mailroom/engine/server.hpp"
#include "mailroom/net/tls_certificate.hpp"
#include "mailroom/pop3/server_session.hpp"
#include "mailroom/smtp/server_session.hpp"

namespace mailroom::engine {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using net::endpoint_text;

namespace ssl = asio::ssl;

// How a listener serves: plain (STARTTLS/STLS when TLS is configured),
// submission (AUTH before MAIL, RFC 6409), or implicit TLS (RFC 8314).
enum class ListenerKind { Plain, Submission, ImplicitTls };

// What a protocol brings to a Connection: its session (state machine), its
// handler, and the reply for a connection over the cap.
struct SmtpProtocol {
  using Session = smtp::ServerSession;
  using Handler = SessionHandler;
  using Output = smtp::Output;
  using Config = smtp::Config;
  static constexpr const char* name = "smtp";
  static std::unique_ptr<Handler> handler(Server& s, const std::string& peer) {
    return std::make_unique<Handler>(s, peer);
  }
  // This connection's settings: the server's, with what its listener, the
  // TLS setup and the peer's address decide.
  static Config config(Server& s, const std::string& peer, ListenerKind kind) {
    const ServerOptions& o = s.options();
    Config c = o.smtp;
    c.starttls = o.tls.has_value() && kind != ListenerKind::ImplicitTls;
    c.auth = c.auth || o.users || o.password_check || c.auth_required || o.submission_port >= 0;
    c.auth_cram_md5 = c.auth_cram_md5 || s.has_secrets();
    c.plaintext_auth = s.plaintext_auth_allowed(peer);
    if (kind == ListenerKind::Submission) c.auth = c.auth_required = true;
    return c;
  }
  static std::unique_ptr<Session> session(Server&, Handler& h, const std::string& peer,
                                          const Config& c) {
    return std::make_unique<Session>(c, h, peer);
  }
  // RFC 5321 §3.8: a server that cannot serve answers 421 and closes.
  static Output over_limit(Server& s) {
    return Output{"421 " + s.options().smtp.hostname + " Too many connections, try again later\r\n",
                  0, true, false, 421};
  }
  static std::size_t messages(const Handler& h) { return h.messages(); }
  static void add_buffers(const Output& o, std::vector<asio::const_buffer>& b) {
    b.push_back(asio::buffer(o.bytes));
  }
};

struct Pop3Protocol {
  using Session = pop3::ServerSession;
  using Handler = Pop3Handler;
  using Output = pop3::Output;
  using Config = pop3::Config;
  static constexpr const char* name = "pop3";
  static std::unique_ptr<Handler> handler(Server& s, const std::string& peer) {
    return std::make_unique<Handler>(s, peer);
  }
  static Config config(Server& s, const std::string& peer, ListenerKind kind) {
    Config c = s.options().pop3;
    c.stls = s.options().tls.has_value() && kind != ListenerKind::ImplicitTls;
    c.plaintext_auth = c.plaintext_auth && s.plaintext_auth_allowed(peer);
    return c;
  }
  static std::unique_ptr<Session> session(Server& s, Handler& h, const std::string& peer,
                                          const Config& c) {
    // RFC 1939 §7: the APOP timestamp is unique to this greeting.
    static std::atomic<std::uint64_t> counter{0};
    auto now = std::chrono::system_clock::now().time_since_epoch().count();
    std::string stamp = "<" + std::to_string(::getpid()) + "." + std::to_string(now) + "." +
                        std::to_string(++counter) + "@" + s.options().pop3.hostname + ">";
    return std::make_unique<Session>(c, h, peer, std::move(stamp));
  }
  static Output over_limit(Server&) {
    Output o;
    o.bytes = "-ERR [SYS/TEMP] Too many connections, try again later\r\n";
    o.close_after = true;
    o.ok = false;
    return o;
  }
  static std::size_t messages(const Handler& h) { return h.messages(); }
  static void add_buffers(const Output& o, std::vector<asio::const_buffer>& b) {
    if (!o.bytes.empty()) b.push_back(asio::buffer(o.bytes));
    if (o.body && !o.body->empty()) b.push_back(asio::buffer(*o.body));
    if (!o.tail.empty()) b.push_back(asio::buffer(o.tail.data(), o.tail.size()));
  }
};

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void shutdown() = 0;
};

// One listening socket and what it serves.
struct Listener {
  explicit Listener(asio::io_context& io, ListenerKind k) : acceptor(io), kind(k) {}
  tcp::acceptor acceptor;
  ListenerKind kind;
  std::uint16_t port = 0;
};

struct Server::Network {
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  Listener smtp{io, ListenerKind::Plain};
  Listener submission{io, ListenerKind::Submission};
  Listener smtps{io, ListenerKind::ImplicitTls};
  Listener pop3{io, ListenerKind::Plain};
  Listener pop3s{io, ListenerKind::ImplicitTls};
  std::optional<ssl::context> tls;  // when TLS is configured
  std::vector<std::thread> threads;
  // Shared with the connections, which may outlive the io_context's run loop.
  std::shared_ptr<std::atomic<std::size_t>> active = std::make_shared<std::atomic<std::size_t>>(0);
  std::atomic<bool> stopping{false};

  // Registry of live connections, for stop().
  std::mutex registry_mutex;
  std::list<std::weak_ptr<ConnectionBase>> connections;
};

// One client connection on its own strand: bytes from the socket into the
// protocol session, its replies back out in order, a deadline on every read
// and write.
template <class Protocol>
class Connection : public ConnectionBase, public std::enable_shared_from_this<Connection<Protocol>> {
  using Output = typename Protocol::Output;

 public:
  Connection(Server& server, Server::Network& net, const Listener& listener, tcp::socket socket,
             std::string peer, bool over_limit)
      : server_(server),
        net_(net),
        active_(net.active),
        socket_(std::move(socket)),
        idle_timer_(socket_.get_executor()),
        delay_timer_(socket_.get_executor()),
        peer_(std::move(peer)),
        config_(Protocol::config(server, peer_, listener.kind)),
        handler_(Protocol::handler(server, peer_)),
        session_(Protocol::session(server, *handler_, peer_, config_)),
        implicit_tls_(listener.kind == ListenerKind::ImplicitTls),
        over_limit_(over_limit) {}

  ~Connection() override {
    record_end();
    --*active_;
  }

  void start() {
    session_id_ = server_.session_started(peer_, Protocol::name);
    if (implicit_tls_ && !over_limit_) {
      // RFC 8314 §3: the handshake comes first, then the greeting inside TLS.
      return handshake([this] {
        session_->tls_established();
        pending_.push_back(session_->greeting());
        write_next();
      });
    }
    if (over_limit_)
      pending_.push_back(Protocol::over_limit(server_));
    else
      pending_.push_back(session_->greeting());
    write_next();
  }

  // Called from any thread by stop(): close on the connection's strand.
  void shutdown() override {
    auto self = this->shared_from_this();
    asio::post(socket_.get_executor(), [self] { self->close(); });
  }

 private:
  // The session's record is final as soon as the protocol is done, before the
  // last reply goes out: a client that saw the sign-off finds the whole
  // transcript.
  void record_end() {
    if (!session_id_ || recorded_) return;
    recorded_ = true;
    server_.session_ended(session_id_, session_->transcript(), session_->transcript_truncated(),
                          Protocol::messages(*handler_));
  }

  void close() {
    record_end();
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    idle_timer_.cancel();
    delay_timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  // The TLS handshake on this socket, with its own deadline; `then` runs
  // on success, a failure or timeout closes the connection.
  template <class Then>
  void handshake(Then then) {
    tls_ = std::make_unique<ssl::stream<tcp::socket&>>(socket_, *net_.tls);
    idle_timer_.expires_after(server_.options().tls->handshake_timeout);
    auto self = this->shared_from_this();
    idle_timer_.async_wait([self](boost::system::error_code ec) {
      if (ec || self->closed_) return;
      if (self->idle_timer_.expiry() > asio::steady_timer::clock_type::now()) return;
      self->close();  // handshake took too long
    });
    tls_->async_handshake(ssl::stream_base::server,
                          [self, then = std::move(then)](boost::system::error_code ec) {
                            self->idle_timer_.cancel();
                            if (ec || self->closed_) return self->close();
                            then();
                          });
  }

  // After the last reply inside TLS: send close_notify (RFC 8446 §6.1) so
  // the client sees a clean end rather than a truncation, wait a moment for
  // its own, then close.
  void close_tls() {
    record_end();
    if (closing_tls_ || closed_) return;
    closing_tls_ = true;
    auto self = this->shared_from_this();
    idle_timer_.expires_after(std::chrono::seconds(1));
    idle_timer_.async_wait([self](boost::system::error_code ec) {
      if (!ec) self->close();
    });
    tls_->async_shutdown([self](boost::system::error_code) { self->close(); });
  }

  void read_next() {
    if (closed_ || session_->closed()) return close_or_close_tls();
    arm_idle_timer();
    auto self = this->shared_from_this();
    auto done = [self](boost::system::error_code ec, std::size_t n) { self->on_read(ec, n); };
    if (tls_)
      tls_->async_read_some(asio::buffer(buffer_), std::move(done));
    else
      socket_.async_read_some(asio::buffer(buffer_), std::move(done));
  }

  // One deadline per operation: a read that waits too long gets the
  // protocol's timeout reply; a write the peer does not drain in that time
  // closes the connection.
  void close_or_close_tls() {
    if (tls_ && !closed_) return close_tls();
    close();
  }

  void arm_idle_timer() {
    idle_timer_.expires_after(server_.options().idle_timeout);
    auto self = this->shared_from_this();
    idle_timer_.async_wait([self](boost::system::error_code ec) {
      if (ec || self->closed_) return;
      // A wait that expired just as the timer was re-armed is stale.
      if (self->idle_timer_.expiry() > asio::steady_timer::clock_type::now()) return;
      if (self->writing_) return self->close();
      std::vector<Output> out;
      self->session_->on_timeout(out);
      for (auto& o : out) self->pending_.push_back(std::move(o));
      self->record_end();
      boost::system::error_code ignored;
      self->socket_.cancel(ignored);  // abort the pending read
      self->timed_out_ = true;
      self->write_next();
    });
  }

  void on_read(boost::system::error_code ec, std::size_t n) {
    idle_timer_.cancel();
    if (timed_out_) {
      if (!writing_) write_next();
      return;
    }
    if (ec) return close();
    std::vector<Output> out;
    session_->feed(std::string_view(buffer_.data(), n), out);
    for (auto& o : out) pending_.push_back(std::move(o));
    if (session_->closed()) record_end();
    write_next();
  }

  // Writes pending replies in order (each after its delay), then reads again:
  // reading waits until every reply is out, which bounds what a pipelining
  // client can make us hold.
  void write_next() {
    if (closed_) return;
    inflight_.clear();
    if (pending_.empty()) {
      writing_ = false;
      if (timed_out_ || session_->closed()) return close_or_close_tls();
      return read_next();
    }
    writing_ = true;
    if (pending_.front().delay_ms > 0) {
      delay_timer_.expires_after(std::chrono::milliseconds(pending_.front().delay_ms));
      pending_.front().delay_ms = 0;
      auto self = this->shared_from_this();
      delay_timer_.async_wait([self](boost::system::error_code e) {
        if (e) return self->close();
        self->write_next();
      });
      return;
    }
    // Consecutive undelayed replies go out in one gathered write.
    buffers_.clear();
    bool close_after = false, start_tls = false;
    while (!pending_.empty() && pending_.front().delay_ms == 0 && !close_after && !start_tls) {
      close_after = pending_.front().close_after;
      start_tls = pending_.front().start_tls;
      inflight_.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
    for (const auto& o : inflight_) Protocol::add_buffers(o, buffers_);
    auto self = this->shared_from_this();
    if (!timed_out_) arm_idle_timer();
    auto done = [self, close_after, start_tls](boost::system::error_code e, std::size_t) {
      self->idle_timer_.cancel();
      if (!e && close_after && self->tls_) return self->close_tls();
      if (e || close_after) return self->close();
      if (start_tls && !self->tls_) {
        // RFC 3207 §4 / RFC 2595 §4: the handshake starts right after the
        // positive reply; the session drops whatever came meanwhile.
        return self->handshake([self] {
          self->session_->tls_established();
          self->write_next();
        });
      }
      self->write_next();
    };
    if (tls_)
      asio::async_write(*tls_, buffers_, std::move(done));
    else
      asio::async_write(socket_, buffers_, std::move(done));
  }

  Server& server_;
  Server::Network& net_;
  std::shared_ptr<std::atomic<std::size_t>> active_;
  tcp::socket socket_;
  std::unique_ptr<ssl::stream<tcp::socket&>> tls_;  // after the handshake began
  asio::steady_timer idle_timer_;
  asio::steady_timer delay_timer_;
  std::string peer_;
  typename Protocol::Config config_;  // the session refers to it
  std::unique_ptr<typename Protocol::Handler> handler_;
  std::unique_ptr<typename Protocol::Session> session_;
  bool implicit_tls_;
  bool closing_tls_ = false;
  bool over_limit_;
  std::uint64_t session_id_ = 0;
  std::array<char, 64 * 1024> buffer_{};
  std::deque<Output> pending_;
  std::vector<Output> inflight_;  // being written; owns what buffers_ point to
  std::vector<asio::const_buffer> buffers_;
  bool writing_ = false;
  bool closed_ = false;
  bool timed_out_ = false;
  bool recorded_ = false;
};

namespace {

template <class Protocol>
void do_accept(Server& server, Server::Network& net, Listener& listener) {
  listener.acceptor.async_accept(asio::make_strand(net.io), [&server, &net, &listener](
                                                       boost::system::error_code ec, tcp::socket socket) {
    if (net.stopping) return;
    if (!ec) {
      boost::system::error_code e2;
      auto remote = socket.remote_endpoint(e2);
      std::string peer = e2 ? std::string("unknown") : endpoint_text(remote);
      socket.set_option(tcp::no_delay(true), e2);
      bool over = ++*net.active > server.options().max_connections;
      auto conn = std::make_shared<Connection<Protocol>>(server, net, listener, std::move(socket),
                                                         std::move(peer), over);
      {
        std::lock_guard lock(net.registry_mutex);
        net.connections.remove_if([](const std::weak_ptr<ConnectionBase>& w) { return w.expired(); });
        net.connections.push_back(conn);
      }
      conn->start();
    }
    do_accept<Protocol>(server, net, listener);
  });
}

}  // namespace

Server::Server(ServerOptions options)
    : options_(std::move(options)), clock_(std::make_shared<queue::Clock>(options_.manual_clock)) {
  init_store();
}

Server::~Server() { stop(); }

namespace {

// Opens, binds and listens; throws std::system_error naming the address.
void listen_on(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  auto fail = [&](const char* what) {
    throw std::system_error(ec.value(), std::system_category(),
                            std::string(what) + " " + endpoint_text(endpoint));
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) fail("cannot open a socket for");
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  acceptor.bind(endpoint, ec);
  if (ec) fail("cannot listen on");
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) fail("cannot listen on");
}

}  // namespace

namespace {

// The server's TLS context: TLS 1.2 and 1.3 only (RFC 8996 retired the
// older versions), the certificate chain and key from files or made now.
void setup_tls(ssl::context& ctx, const TlsOptions& t, const std::string& hostname,
               const std::string& host, std::string& ca_pem, std::string& certificate_pem) {
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::single_dh_use);
  // No renegotiation: a client could otherwise make us redo handshakes.
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  boost::system::error_code ec;
  if (t.throwaway) {
    std::vector<std::string> names{hostname};
    for (const char* n : {"localhost", "127.0.0.1", "::1"})
      if (hostname != n) names.emplace_back(n);
    if (!host.empty() && std::find(names.begin(), names.end(), host) == names.end() &&
        host != "0.0.0.0" && host != "::")
      names.push_back(host);
    auto bundle = net::make_throwaway_certificate(names);
    ctx.use_certificate_chain(asio::buffer(bundle.certificate_pem), ec);
    if (!ec) ctx.use_private_key(asio::buffer(bundle.key_pem), ssl::context::pem, ec);
    if (ec) throw std::runtime_error("cannot use the throwaway certificate: " + ec.message());
    ca_pem = std::move(bundle.ca_pem);
    certificate_pem = std::move(bundle.certificate_pem);
    return;
  }
  ctx.use_certificate_chain_file(t.cert_file, ec);
  if (ec) throw std::invalid_argument("cannot load the TLS certificate " + t.cert_file + ": " + ec.message());
  ctx.use_private_key_file(t.key_file, ssl::context::pem, ec);
  if (ec) throw std::invalid_argument("cannot load the TLS key " + t.key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1)
    throw std::invalid_argument("the TLS key " + t.key_file + " does not match the certificate " +
                                t.cert_file);
  ca_pem.clear();
  certificate_pem.clear();
}

}  // namespace

void Server::start() {
  if (net_) throw std::logic_error("server already started");
  if (options_.max_connections == 0) throw std::invalid_argument("max_connections must be at least 1");
  if (options_.idle_timeout.count() <= 0) throw std::invalid_argument("idle_timeout must be positive");
  const bool any_tls_port = options_.smtps_port >= 0 || options_.pop3s_port >= 0;
  if (any_tls_port && !options_.tls)
    throw std::invalid_argument("smtps_port and pop3s_port need TLS: give tls=(certfile, keyfile) or tls=\"auto\"");
  if (options_.tls && options_.tls->handshake_timeout.count() <= 0)
    throw std::invalid_argument("the TLS handshake timeout must be positive");
  prepare_queue();
  auto net = std::make_unique<Network>();
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(options_.host, ec);
  if (ec) {
    tcp::resolver resolver(net->io);
    auto results = resolver.resolve(options_.host, std::to_string(options_.smtp_port), ec);
    if (ec || results.empty())
      throw std::invalid_argument("cannot resolve host '" + options_.host + "': " + ec.message());
    address = results.begin()->endpoint().address();
  }
  const bool pop3 = options_.pop3_port >= 0 || options_.pop3s_port >= 0;
  const bool smtp_auth = options_.smtp.auth || options_.smtp.auth_required || options_.submission_port >= 0;
  if ((pop3 || smtp_auth) && test_mode_accounts() && !address.is_loopback())
    throw std::invalid_argument(
        "logins without users (test mode: any password is accepted) are only allowed on a "
        "loopback address, not " + options_.host + "; give users={address: password}");
  if (options_.tls) {
    net->tls.emplace(ssl::context::tls_server);
    setup_tls(*net->tls, *options_.tls, options_.smtp.hostname, options_.host, tls_ca_pem_,
              tls_certificate_pem_);
  }
  auto open = [&](Listener& l, int port) {
    listen_on(l.acceptor, tcp::endpoint(address, static_cast<std::uint16_t>(port)));
    l.port = l.acceptor.local_endpoint().port();
  };
  open(net->smtp, options_.smtp_port);
  if (options_.submission_port >= 0) open(net->submission, options_.submission_port);
  if (options_.smtps_port >= 0) open(net->smtps, options_.smtps_port);
  if (options_.pop3_port >= 0) open(net->pop3, options_.pop3_port);
  if (options_.pop3s_port >= 0) open(net->pop3s, options_.pop3s_port);

  unsigned n = options_.threads;
  // One network thread per two cores (at most 4): a session does little work
  // per byte, and the cores are better left to the peers and to Python. TLS
  // handshakes are the exception (a signature each): with TLS, one per core.
  const unsigned cores = std::thread::hardware_concurrency();
  if (n == 0) n = std::clamp(options_.tls ? cores : cores / 2, 1u, 4u);
  // A spool makes each accepted message wait for fsync before its 250: more
  // threads let those waits overlap (the file system commits them together).
  if (options_.threads == 0 && queue_ && !options_.queue.spool.empty()) n = std::max(n, 8u);
  net->work.emplace(net->io.get_executor());
  Network& nref = *net;
  do_accept<SmtpProtocol>(*this, nref, nref.smtp);
  if (nref.submission.port) do_accept<SmtpProtocol>(*this, nref, nref.submission);
  if (nref.smtps.port) do_accept<SmtpProtocol>(*this, nref, nref.smtps);
  if (nref.pop3.port) do_accept<Pop3Protocol>(*this, nref, nref.pop3);
  if (nref.pop3s.port) do_accept<Pop3Protocol>(*this, nref, nref.pop3s);
  // The queue first: a message accepted by the listeners may go to it.
  if (queue_) queue_->start();
  for (unsigned i = 0; i < n; ++i) nref.threads.emplace_back([&nref] { nref.io.run(); });
  net_ = std::move(net);
}

void Server::stop() {
  if (!net_) return;
  Network& net = *net_;
  net.stopping = true;
  asio::post(net.io, [&net] {
    boost::system::error_code ec;
    for (Listener* l : {&net.smtp, &net.submission, &net.smtps, &net.pop3, &net.pop3s})
      l->acceptor.close(ec);
  });
  net.work.reset();
  // Close every session on its strand; sessions accepted meanwhile are caught
  // by the next round. Closed sockets end their handler chains, so the loop
  // empties; a session that does not finish in time is cut by io.stop().
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  do {
    {
      std::lock_guard lock(net.registry_mutex);
      for (auto& w : net.connections)
        if (auto c = w.lock()) c->shutdown();
      net.connections.clear();
    }
    if (*net.active == 0) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  } while (std::chrono::steady_clock::now() < deadline);
  net.io.stop();
  for (auto& t : net.threads)
    if (t.joinable()) t.join();
  net_.reset();  // destroys the io_context and whatever it still held
  if (queue_) queue_->stop();
  store_->wake_all();
}

bool Server::running() const { return net_ != nullptr; }

std::uint16_t Server::smtp_port() const { return net_ ? net_->smtp.port : 0; }
std::uint16_t Server::pop3_port() const { return net_ ? net_->pop3.port : 0; }
std::uint16_t Server::smtps_port() const { return net_ ? net_->smtps.port : 0; }
std::uint16_t Server::submission_port() const { return net_ ? net_->submission.port : 0; }
std::uint16_t Server::pop3s_port() const { return net_ ? net_->pop3s.port : 0; }

std::size_t Server::active_connections() const { return net_ ? net_->active->load() : 0; }

}  // namespace mailroom::engine
