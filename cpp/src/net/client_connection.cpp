// ClientConnection: asynchronous operations on a private io_context, each run
// to completion or to its deadline on the calling thread.
#include "mailroom/net/client_connection.hpp"

#include <boost/asio.hpp>

#include "endpoint_text.hpp"

#include <optional>
#include <system_error>

namespace mailroom::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {


}  // namespace

struct ClientConnection::Impl {
  asio::io_context io;
  tcp::socket socket{io};
  asio::steady_timer timer{io};
  std::string where;  // for error messages
  char chunk[256 * 1024];

  // Runs the operation just started on `io` to completion, with a timer that
  // cancels it at the deadline. io.run() blocks in epoll until one of them
  // fires (run_for would poll).
  void run(std::chrono::milliseconds timeout, const std::optional<boost::system::error_code>& done,
           const char* what) {
    bool timed_out = false;
    timer.expires_after(timeout);
    timer.async_wait([&](boost::system::error_code ec) {
      if (ec) return;  // cancelled: the operation finished first
      timed_out = true;
      boost::system::error_code ignored;
      socket.cancel(ignored);
    });
    io.restart();
    io.run();
    if (timed_out || !done)
      throw std::system_error(std::make_error_code(std::errc::timed_out),
                              std::string(what) + " " + where + " timed out");
  }
};

ClientConnection::ClientConnection() : impl_(std::make_unique<Impl>()) {}
ClientConnection::~ClientConnection() { close(); }

void ClientConnection::connect(const std::string& host, std::uint16_t port,
                               std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  d.where = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  boost::system::error_code ec;
  tcp::resolver resolver(d.io);
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) throw std::system_error(ec.value(), std::system_category(), "cannot resolve " + d.where);
  std::optional<boost::system::error_code> done;
  asio::async_connect(d.socket, endpoints,
                      [&](boost::system::error_code e, const tcp::endpoint&) {
                        done = e;
                        d.timer.cancel();
                      });
  d.run(timeout, done, "connecting to");
  if (*done) {
    boost::system::error_code ignored;
    d.socket.close(ignored);
    throw std::system_error(done->value(), std::system_category(), "cannot connect to " + d.where);
  }
  d.socket.set_option(tcp::no_delay(true), ec);
  d.socket.non_blocking(true, ec);  // for the fast paths below
}

void ClientConnection::write(std::string_view data, std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  // Fast path: write what the socket takes now; wait (with a deadline) only
  // for the rest.
  boost::system::error_code ec;
  while (!data.empty()) {
    std::size_t n = d.socket.write_some(asio::buffer(data.data(), data.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) throw std::system_error(ec.value(), std::system_category(), "cannot write to " + d.where);
    data.remove_prefix(n);
  }
  if (data.empty()) return;
  std::optional<boost::system::error_code> done;
  asio::async_write(d.socket, asio::buffer(data.data(), data.size()),
                    [&](boost::system::error_code e, std::size_t) {
                      done = e;
                      d.timer.cancel();
                    });
  d.run(timeout, done, "writing to");
  if (*done) throw std::system_error(done->value(), std::system_category(), "cannot write to " + d.where);
}

std::size_t ClientConnection::read_some(std::string& buffer, std::chrono::milliseconds timeout) {
  std::string_view got = read_view(timeout);
  buffer.append(got);
  return got.size();
}

std::string_view ClientConnection::read_view(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  // Fast path: the reply is often there already.
  boost::system::error_code ec;
  std::size_t got = d.socket.read_some(asio::buffer(d.chunk), ec);
  if (!ec) return std::string_view(d.chunk, got);
  if (ec == asio::error::eof || ec == asio::error::connection_reset) return {};
  if (ec != asio::error::would_block && ec != asio::error::try_again)
    throw std::system_error(ec.value(), std::system_category(), "cannot read from " + d.where);
  std::optional<boost::system::error_code> done;
  std::size_t n = 0;
  d.socket.async_read_some(asio::buffer(d.chunk), [&](boost::system::error_code e, std::size_t k) {
    done = e;
    n = k;
    d.timer.cancel();
  });
  d.run(timeout, done, "reading from");
  if (*done == asio::error::eof || *done == asio::error::connection_reset) return {};
  if (*done) throw std::system_error(done->value(), std::system_category(), "cannot read from " + d.where);
  return std::string_view(d.chunk, n);
}

void ClientConnection::close() {
  if (!impl_) return;
  boost::system::error_code ignored;
  if (impl_->socket.is_open()) {
    impl_->socket.shutdown(tcp::socket::shutdown_both, ignored);
    impl_->socket.close(ignored);
  }
}

bool ClientConnection::is_open() const { return impl_->socket.is_open(); }

std::string ClientConnection::peer() const {
  boost::system::error_code ec;
  auto ep = impl_->socket.remote_endpoint(ec);
  return ec ? std::string() : endpoint_text(ep);
}

std::string ClientConnection::local() const {
  boost::system::error_code ec;
  auto ep = impl_->socket.local_endpoint(ec);
  return ec ? std::string() : endpoint_text(ep);
}

}  // namespace mailroom::net
