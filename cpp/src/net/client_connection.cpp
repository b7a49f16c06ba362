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
  std::string where;  // for error messages
  char chunk[64 * 1024];

  // Runs the operation started on `io` until it completes or the deadline
  // passes; on timeout cancels it and throws.
  void run(std::chrono::milliseconds timeout, const std::optional<boost::system::error_code>& done,
           const char* what) {
    io.restart();
    io.run_for(timeout);
    if (!done) {
      boost::system::error_code ignored;
      socket.cancel(ignored);
      io.restart();
      io.run();  // let the cancelled handler run
      throw std::system_error(std::make_error_code(std::errc::timed_out),
                              std::string(what) + " " + where + " timed out");
    }
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
                      [&done](boost::system::error_code e, const tcp::endpoint&) { done = e; });
  d.run(timeout, done, "connecting to");
  if (*done) {
    boost::system::error_code ignored;
    d.socket.close(ignored);
    throw std::system_error(done->value(), std::system_category(), "cannot connect to " + d.where);
  }
  d.socket.set_option(tcp::no_delay(true), ec);
}

void ClientConnection::write(std::string_view data, std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  std::optional<boost::system::error_code> done;
  asio::async_write(d.socket, asio::buffer(data.data(), data.size()),
                    [&done](boost::system::error_code e, std::size_t) { done = e; });
  d.run(timeout, done, "writing to");
  if (*done) throw std::system_error(done->value(), std::system_category(), "cannot write to " + d.where);
}

std::size_t ClientConnection::read_some(std::string& buffer, std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  std::optional<boost::system::error_code> done;
  std::size_t n = 0;
  d.socket.async_read_some(asio::buffer(d.chunk), [&](boost::system::error_code e, std::size_t got) {
    done = e;
    n = got;
  });
  d.run(timeout, done, "reading from");
  if (*done == asio::error::eof || *done == asio::error::connection_reset) return 0;
  if (*done) throw std::system_error(done->value(), std::system_category(), "cannot read from " + d.where);
  buffer.append(d.chunk, n);
  return n;
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
