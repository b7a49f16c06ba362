// Network: the listening sockets, the accept loops, the threads, and the
// registry of live connections that stop() closes.
#include "mailroom/net/network.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include "connection.hpp"
#include "endpoint_text.hpp"
#include "mailroom/free_memory.hpp"

namespace mailroom::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Listener {
  Listener(asio::io_context& io, ListenerSpec s) : acceptor(io), pause(io), spec(std::move(s)) {}
  tcp::acceptor acceptor;
  asio::steady_timer pause;  // accepting paused while descriptors run out
  std::chrono::milliseconds backoff{0};
  ListenerSpec spec;
  std::uint16_t port = 0;
  bool loopback = false;
  std::shared_ptr<std::atomic<std::size_t>> active = std::make_shared<std::atomic<std::size_t>>(0);
};

// Connections per client address, for max_connections_per_ip.
struct PerAddress {
  std::mutex mutex;
  std::map<std::string, std::size_t, std::less<>> count;
};

// Memory back to the system after a peak of connections: what they held is
// freed, but glibc keeps it resident. Once the count falls to a quarter of a
// peak of at least kPeak, the heap is trimmed a second later, on a network
// thread (at most once a second; the connections closing meanwhile are not
// held up by it).
class FreeMemoryAfterPeak {
 public:
  static constexpr std::size_t kPeak = 256;
  FreeMemoryAfterPeak(asio::io_context& io, std::shared_ptr<std::atomic<std::size_t>> active)
      : strand_(asio::make_strand(io)), timer_(strand_), active_(std::move(active)) {}

  void accepted(std::size_t count) {
    std::size_t peak = peak_.load(std::memory_order_relaxed);
    while (count > peak && !peak_.compare_exchange_weak(peak, count, std::memory_order_relaxed)) {
    }
  }
  // Any thread, as a connection ends.
  static void closed(const std::weak_ptr<FreeMemoryAfterPeak>& weak) {
    auto self = weak.lock();
    if (!self) return;  // the network is going away
    const std::size_t peak = self->peak_.load(std::memory_order_relaxed);
    if (peak < kPeak || self->active_->load() > peak / 4 || self->due_.exchange(true)) return;
    asio::post(self->strand_, [weak] {
      if (auto armed = weak.lock()) armed->trim_later(weak);
    });
  }

 private:
  // On the strand: the trim a second from now (connections closing meanwhile
  // are done by then).
  void trim_later(std::weak_ptr<FreeMemoryAfterPeak> weak) {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([weak](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      return_free_memory();
      self->peak_ = self->active_->load();
      self->due_ = false;
    });
  }

  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer timer_;
  std::shared_ptr<std::atomic<std::size_t>> active_;
  std::atomic<std::size_t> peak_{0};
  std::atomic<bool> due_{false};
};

// The live connections, for stop(). Each leaves as it ends (a list kept
// tidy by each accept would hold every closed connection's memory until
// the next one, and walk them all).
struct Registry {
  struct Entry {
    std::weak_ptr<Connection> connection;
    bool shut = false;  // stop() asked it to close
  };
  std::mutex mutex;
  std::list<Entry> connections;
};

// What a connection counts against, released when it ends.
struct Slot {
  std::shared_ptr<Registry> registry;
  std::optional<std::list<Registry::Entry>::iterator> entry;
  std::shared_ptr<std::atomic<std::size_t>> listener;
  std::shared_ptr<PerAddress> per_address;
  std::weak_ptr<FreeMemoryAfterPeak> free_memory;
  std::string address;  // empty: not counted per address
  ~Slot() {
    --*listener;
    if (entry) {
      std::lock_guard lock(registry->mutex);
      registry->connections.erase(*entry);
    }
    FreeMemoryAfterPeak::closed(free_memory);
    if (address.empty()) return;
    std::lock_guard lock(per_address->mutex);
    auto it = per_address->count.find(address);
    if (it != per_address->count.end() && --it->second == 0) per_address->count.erase(it);
  }
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
  std::shared_ptr<Registry> registry = std::make_shared<Registry>();
  std::shared_ptr<PerAddress> per_address = std::make_shared<PerAddress>();
  // A descriptor kept in reserve: when accept() fails for want of one, it is
  // given up for a moment to accept a client and tell it to come back.
  int reserve_fd = -1;
  // After io: gone first, so connections the io_context still holds find it
  // gone rather than use its timer.
  std::shared_ptr<FreeMemoryAfterPeak> free_memory =
      std::make_shared<FreeMemoryAfterPeak>(io, active);
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

void do_accept(Network::State& net, Listener& listener);

// Asio's reactor keeps a record (~170 bytes) per open socket in a pool it
// never shrinks. Made as clients arrive, one lands among each connection's
// own allocations and pins a page of the heap after the connection is gone:
// after 10,000 idle connections closed, two thirds of their memory stayed
// resident however the heap was trimmed. Made here, before any client, for
// max_connections sockets, they sit together and are reused (the pool hands
// back freed records first). Registering the reserve descriptor (/dev/null,
// which epoll refuses with EPERM; Asio then keeps the record without
// polling) makes a record without spending a descriptor; release() hands it
// back to the pool without closing anything.
void preallocate_socket_records(Network::State& net) {
  if (net.reserve_fd < 0) return;
  const std::size_t count = net.options->max_connections + net.listeners.size() + 16;
  std::vector<asio::posix::stream_descriptor> records;
  records.reserve(count);
  boost::system::error_code ec;
  for (std::size_t i = 0; i < count; ++i) {
    records.emplace_back(net.io);
    records.back().assign(net.reserve_fd, ec);
    if (ec) {
      records.pop_back();
      break;
    }
  }
  for (auto& r : records) (void)r.release();
}

int open_reserve() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

// accept() failed with EMFILE or ENFILE: spend the reserve descriptor on one
// waiting client, tell it to come back later and close it, so clients get an
// answer instead of waiting in the backlog. Best effort, never blocks.
void shed_one(Network::State& net, Listener& listener) {
  if (net.reserve_fd >= 0) {
    ::close(net.reserve_fd);
    net.reserve_fd = -1;
  }
  const int fd = ::accept4(listener.acceptor.native_handle(), nullptr, nullptr,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) {
    const std::string& reply = listener.spec.busy_reply;
    if (!reply.empty()) (void)!::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    ::close(fd);
  }
  net.reserve_fd = open_reserve();
}

// After an accept error, accepting waits: 10 ms at first, twice as long on
// each failure in a row, at most a second, so running out of descriptors
// does not become a busy loop; the first success resets it.
void pause_accepting(Network::State& net, Listener& listener) {
  using std::chrono::milliseconds;
  listener.backoff = std::min(std::max(listener.backoff * 2, milliseconds(10)), milliseconds(1000));
  listener.pause.expires_after(listener.backoff);
  listener.pause.async_wait([&net, &listener](boost::system::error_code ec) {
    if (!ec && !net.stopping) do_accept(net, listener);
  });
}

void do_accept(Network::State& net, Listener& listener) {
  listener.acceptor.async_accept(
      asio::make_strand(net.io), [&net, &listener](boost::system::error_code ec, tcp::socket socket) {
        if (net.stopping) return;
        if (ec) {
          if (ec == asio::error::operation_aborted) return;  // closed by stop()
          if (ec.value() == EMFILE || ec.value() == ENFILE) shed_one(net, listener);
          if (ec != asio::error::connection_aborted) return pause_accepting(net, listener);
        }
        if (!ec) {
          listener.backoff = std::chrono::milliseconds(0);
          boost::system::error_code e2;
          auto remote = socket.remote_endpoint(e2);
          std::string peer = e2 ? std::string("unknown") : endpoint_text(remote);
          socket.set_option(tcp::no_delay(true), e2);
          const std::size_t count = ++*net.active;
          bool over = count > net.options->max_connections;
          net.free_memory->accepted(count);
          auto slot = std::make_shared<Slot>();
          Slot& counted = *slot;
          slot->registry = net.registry;
          slot->listener = listener.active;
          slot->per_address = net.per_address;
          slot->free_memory = net.free_memory;
          over |= ++*listener.active > listener.spec.max_connections &&
                  listener.spec.max_connections > 0;
          if (!e2 && net.options->max_connections_per_ip > 0 &&
              !(net.options->exempt_loopback && remote.address().is_loopback())) {
            slot->address = remote.address().to_string();
            std::lock_guard lock(net.per_address->mutex);
            over |= ++net.per_address->count[slot->address] > net.options->max_connections_per_ip;
          }
          auto conn = std::make_shared<Connection>(std::move(socket), net.options,
                                                   listener.spec.tls == TlsMode::Implicit,
                                                   net.active, std::move(slot));
          conn->attach(listener.spec.factory(Peer{std::move(peer), ConnectionRef(conn)}));
          {
            std::lock_guard lock(net.registry->mutex);
            counted.entry = net.registry->connections.insert(net.registry->connections.end(),
                                                             Registry::Entry{conn});
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
  s.reserve_fd = open_reserve();
  preallocate_socket_records(s);
  for (auto& l : s.listeners) do_accept(s, l);
  for (unsigned i = 0; i < std::max(threads, 1u); ++i) s.threads.emplace_back([&s] { s.io.run(); });
}

void Network::stop() {
  State& net = *state_;
  if (!net.started || net.stopping) return;
  net.stopping = true;
  asio::post(net.io, [&net] {
    boost::system::error_code ec;
    for (auto& l : net.listeners) {
      l.acceptor.close(ec);
      l.pause.cancel();
    }
  });
  net.work.reset();
  // Close every session on its strand; sessions accepted meanwhile are caught
  // by the next round. Closed sockets end their handler chains, so the loop
  // empties; a session that does not finish in time is cut by io.stop().
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  do {
    std::vector<std::shared_ptr<Connection>> open;
    {
      std::lock_guard lock(net.registry->mutex);
      for (auto& e : net.registry->connections)
        if (!std::exchange(e.shut, true))
          if (auto c = e.connection.lock()) open.push_back(std::move(c));
    }
    // Outside the lock: the last reference ends a connection, which leaves
    // the registry.
    for (auto& c : open) c->shutdown();
    open.clear();
    if (*net.active == 0) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  } while (std::chrono::steady_clock::now() < deadline);
  net.io.stop();
  for (auto& t : net.threads)
    if (t.joinable()) t.join();
  net.threads.clear();
  net.listeners.clear();
  if (net.reserve_fd >= 0) ::close(net.reserve_fd);
  net.reserve_fd = -1;
}

std::size_t Network::active_connections() const { return state_->active->load(); }

}  // namespace mailroom::net
