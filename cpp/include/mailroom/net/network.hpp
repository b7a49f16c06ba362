// The listening side of the network layer: listening sockets, the
// connections they accept (each driven by a Session from its listener's
// factory), the threads that run them. Knows no protocol. No Asio in this
// header: it lives behind a pimpl in cpp/src/net.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mailroom/net/session.hpp"
#include "mailroom/net/tls_mode.hpp"

namespace mailroom::net {

// A server TLS context (TLS 1.2 and 1.3, no renegotiation), shared by the
// listeners that use it.
class ServerTls;

struct ServerTlsSettings {
  std::string cert_file;  // PEM: the certificate, then its chain
  std::string key_file;   // PEM private key
  // Instead of the files: a throwaway CA and a certificate for these names.
  std::vector<std::string> throwaway_names;
};

// Loads (or makes) the certificate and key. Throws std::invalid_argument for
// files that cannot be used, std::runtime_error when making one fails. The
// throwaway CA and the certificate served come back as PEM.
std::shared_ptr<ServerTls> make_server_tls(const ServerTlsSettings& settings,
                                           std::string& ca_pem, std::string& certificate_pem);


struct ListenerSpec {
  std::string host;  // an IP literal or a name to resolve
  std::uint16_t port = 0;  // 0 picks a free port
  TlsMode tls = TlsMode::None;
  SessionFactory factory;
  // A cap of this listener's own (0: only the server's), so one protocol's
  // clients cannot take every slot.
  std::size_t max_connections = 0;
  // Written, without a session, to a client accepted when no descriptor is
  // left (EMFILE): "421 4.3.2 ...", "-ERR [SYS/TEMP] ...", "* BYE ...".
  std::string busy_reply;
};

struct NetworkOptions {
  std::size_t max_connections = 1000;  // past it, sessions are refuse()d
  // Connections from one IP address (0: no limit); loopback peers are
  // exempt when exempt_loopback.
  std::size_t max_connections_per_ip = 0;
  bool exempt_loopback = false;
  // Past stress_percent of max_connections, idle timeouts shrink to this.
  std::size_t stress_percent = 80;
  std::chrono::milliseconds stress_idle_timeout{10'000};
  // The client must send the next command within idle_timeout of our last
  // reply, and a write must not stall for longer.
  std::chrono::milliseconds idle_timeout{300'000};
  // Postfix's smtpd_min_data_rate, in octets a second, for transfers: while
  // the session is receiving_data() each read of N octets, and each N octets
  // written, moves the deadline N / min_data_rate seconds on, never past
  // idle_timeout from now. A transfer slower than this (slowloris trickling
  // a message body, a client reading a RETR a byte at a time) is cut within
  // about idle_timeout; a faster one may take as long as it needs. 0: no
  // minimum, only idle_timeout between reads or writes.
  std::size_t min_data_rate = 500;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::shared_ptr<ServerTls> tls;  // for StartTls and Implicit listeners
  // A connection stops reading while this much output waits to be written.
  std::size_t max_queued_output = 256 * 1024;
};

class Network {
 public:
  explicit Network(NetworkOptions options);
  ~Network();  // stop()
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // Opens, binds and listens; returns the listener's index. Throws
  // std::system_error naming the address, std::invalid_argument for a host
  // that does not resolve. Only before start().
  std::size_t listen(ListenerSpec spec);
  // The bound port of listener `index`.
  std::uint16_t port(std::size_t index) const;
  // Whether listener `index` is on a loopback address.
  bool loopback(std::size_t index) const;
  // Accepts on every listener, on `threads` threads.
  void start(unsigned threads);
  // Closes the listeners and every connection, joins the threads.
  void stop();
  std::size_t active_connections() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace mailroom::net
