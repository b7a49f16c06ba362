// A blocking POP3 client: pop3::ClientSession (the protocol, no I/O) driven
// over a ClientConnection. Commands queue at once (and are pipelined when the
// server allows); wait() pumps until one command's response is in.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "mailroom/net/client_connection.hpp"
#include "mailroom/net/smtp_client.hpp"  // TlsMode
#include "mailroom/pop3/client_session.hpp"

namespace mailroom::net {

class Pop3SessionError : public std::runtime_error {
 public:
  Pop3SessionError(pop3::ClientError kind, const std::string& what)
      : std::runtime_error(what), kind(kind) {}
  pop3::ClientError kind;
};

struct Pop3ClientOptions {
  std::string host;
  std::uint16_t port = 110;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  pop3::ClientConfig session;
  TlsMode tls = TlsMode::None;   // StartTls means STLS (RFC 2595)
  TlsClientOptions tls_options;  // server_name defaults to host
  // Passwords outside TLS: unset = only to a peer on this host.
  std::optional<bool> allow_plaintext_auth;
};

class Pop3Client {
 public:
  explicit Pop3Client(Pop3ClientOptions options);

  // Connects and reads the greeting (then CAPA, so pipelining is known).
  // With TlsMode::Implicit the handshake comes first; with StartTls, STLS
  // follows the CAPA (which must list it) and CAPA is asked again inside
  // TLS. Throws TlsError/CertificateError (also when STLS is not offered
  // or refused) and Pop3SessionError.
  pop3::Response connect();
  pop3::ClientSession& session() { return session_; }
  // Pumps until the response to command `id` has arrived.
  pop3::Response wait(std::uint64_t id);
  void close();
  bool connected() const { return connection_.is_open() && !session_.closed(); }
  const ClientConnection& connection() const { return connection_; }

 private:
  void pump();
  void handshake();

  Pop3ClientOptions options_;
  pop3::ClientSession session_;
  ClientConnection connection_;
  std::map<std::uint64_t, pop3::Response> arrived_;
};

}  // namespace mailroom::net
