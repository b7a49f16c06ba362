// Network: the listening sockets, the accept loops, the threads, and the
// registry of live connections that stop() closes.
#include "mailroom/net/network.hpp"

#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "connection.hpp"
#include "endpoint_text.hpp"

namespace mailroom::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Listener {
  Listener(asio::io_context& io, ListenerSpec s) : acceptor(io), spec(std::move(s)) {}
  tcp::acceptor acceptor;
  ListenerSpec spec;
  std::uint16_t port = 0;
  bool loopback = false;
};

struct Network::State {
  explicit State(NetworkOptions o) : options(std::make_shared<const NetworkOptions>(std::move(o))) {}
  std::shared_ptr<const NetworkOptions> options;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::list<Listener> listeners;  // stable addresses for the accept loops
  std::vector<std::thread> threads;
  // Shared with the connections, which may outlive the io_context's run loop.
  std::shared_ptr<std::atomic<std::size_t>> active = std::make_shared<std::atomic<std::size_t>>(0);
  std::atomic<bool> stopping{false};
  bool started = false;
  std::mutex registry_mutex;
  std::list<std::weak_ptr<Connection>> connections;
};

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

void do_accept(Network::State& net, Listener& listener) {
  listener.acceptor.async_accept(
      asio::make_strand(net.io), [&net, &listener](boost::system::error_code ec, tcp::socket socket) {
        if (net.stopping) return;
        if (!ec) {
          boost::system::error_code e2;
          auto remote = socket.remote_endpoint(e2);
          std::string peer = e2 ? std::string("unknown") : endpoint_text(remote);
          socket.set_option(tcp::no_delay(true), e2);
          const bool over = ++*net.active > net.options->max_connections;
          auto conn = std::make_shared<Connection>(std::move(socket), net.options,
                                                   listener.spec.tls == TlsMode::Implicit,
                                                   net.active);
          conn->attach(listener.spec.factory(Peer{std::move(peer), ConnectionRef(conn)}));
          {
            std::lock_guard lock(net.registry_mutex);
            net.connections.remove_if([](const std::weak_ptr<Connection>& w) { return w.expired(); });
            net.connections.push_back(conn);
          }
          conn->start(over);
        }
        do_accept(net, listener);
      });
}

}  // namespace

Network::Network(NetworkOptions options) : state_(std::make_unique<State>(std::move(options))) {}

Network::~Network() { stop(); }

std::size_t Network::listen(ListenerSpec spec) {
  State& s = *state_;
  if (s.started) throw std::logic_error("listen() after start()");
  if (spec.tls != TlsMode::None && !s.options->tls)
    throw std::invalid_argument("a TLS listener needs a TLS context");
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(spec.host, ec);
  if (ec) {
    tcp::resolver resolver(s.io);
    auto results = resolver.resolve(spec.host, std::to_string(spec.port), ec);
    if (ec || results.empty())
      throw std::invalid_argument("cannot resolve host '" + spec.host + "': " + ec.message());
    address = results.begin()->endpoint().address();
  }
  Listener& l = s.listeners.emplace_back(s.io, std::move(spec));
  try {
    listen_on(l.acceptor, tcp::endpoint(address, l.spec.port));
  } catch (...) {
    s.listeners.pop_back();
    throw;
  }
  l.port = l.acceptor.local_endpoint().port();
  l.loopback = address.is_loopback();
  return s.listeners.size() - 1;
}

namespace {

const Listener& nth(const std::list<Listener>& listeners, std::size_t index) {
  if (index >= listeners.size()) throw std::out_of_range("no such listener");
  return *std::next(listeners.begin(), static_cast<std::ptrdiff_t>(index));
}

}  // namespace

std::uint16_t Network::port(std::size_t index) const { return nth(state_->listeners, index).port; }

bool Network::loopback(std::size_t index) const { return nth(state_->listeners, index).loopback; }

void Network::start(unsigned threads) {
  State& s = *state_;
  if (s.started) throw std::logic_error("the network is already started");
  s.started = true;
  s.work.emplace(s.io.get_executor());
  for (auto& l : s.listeners) do_accept(s, l);
  for (unsigned i = 0; i < std::max(threads, 1u); ++i) s.threads.emplace_back([&s] { s.io.run(); });
}

void Network::stop() {
  State& net = *state_;
  if (!net.started || net.stopping) return;
  net.stopping = true;
  asio::post(net.io, [&net] {
    boost::system::error_code ec;
    for (auto& l : net.listeners) l.acceptor.close(ec);
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
  net.threads.clear();
  net.listeners.clear();
}

std::size_t Network::active_connections() const { return state_->active->load(); }

}  // namespace mailroom::net
