// A client's TCP connection with a deadline on every operation, for the
// protocol clients (SMTP, POP3). Each connection has its own io_context, run
// on the calling thread: no shared static context, no thread of its own.
// No Asio in this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace mailroom::net {

class ClientConnection {
 public:
  ClientConnection();
  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // Resolves `host` and connects; throws std::system_error (refused,
  // unreachable, timed out: std::errc::timed_out) with "host:port" in the text.
  void connect(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);
  // Writes all of `data`.
  void write(std::string_view data, std::chrono::milliseconds timeout);
  // Appends what arrives (at least one byte) to `buffer`; returns the number
  // of bytes read, 0 when the peer closed the connection.
  std::size_t read_some(std::string& buffer, std::chrono::milliseconds timeout);
  // The same without a copy: a view of what arrived, valid until the next
  // call; empty when the peer closed the connection.
  std::string_view read_view(std::chrono::milliseconds timeout);
  void close();
  bool is_open() const;
  std::string peer() const;   // "ip:port"
  std::string local() const;  // "ip:port"

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One step of a protocol client: write what the session has to say, then read
// once with the deadline the session's current wait calls for, and hand the
// bytes (or the timeout, or the end of the connection) to the session.
// `Session` is smtp::ClientSession or pop3::ClientSession.
template <class Session>
void pump(ClientConnection& connection, Session& session, std::chrono::milliseconds write_timeout) {
  std::string out = session.take_output();
  if (!out.empty()) connection.write(out, write_timeout);
  auto timeout = session.current_timeout();
  if (timeout.count() == 0 || session.closed()) return;
  std::string_view got;
  try {
    got = connection.read_view(timeout);
  } catch (const std::system_error& e) {
    if (e.code() == std::errc::timed_out)
      session.on_timeout();
    else
      session.on_eof();
    return;
  }
  if (got.empty())
    session.on_eof();
  else
    session.feed(got);
}

}  // namespace mailroom::net
