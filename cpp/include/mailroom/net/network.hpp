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

enum class TlsMode {
  None,      // plaintext only
  StartTls,  // plaintext, upgraded when the session asks (STARTTLS, STLS)
  Implicit,  // the handshake first (RFC 8314)
};

struct ListenerSpec {
  std::string host;  // an IP literal or a name to resolve
  std::uint16_t port = 0;  // 0 picks a free port
  TlsMode tls = TlsMode::None;
  SessionFactory factory;
};

struct NetworkOptions {
  std::size_t max_connections = 1000;  // past it, sessions are refuse()d
  std::chrono::milliseconds idle_timeout{300'000};
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
