// A blocking SMTP client: smtp::ClientSession (the protocol, no I/O) driven
// over a ClientConnection, each wait bounded by the RFC 5321 §4.5.3.2 timeout
// that applies to it.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "mailroom/net/client_connection.hpp"
#include "mailroom/net/tls_mode.hpp"
#include "mailroom/smtp/client_session.hpp"

namespace mailroom::net {

// The session ended: 421, a lost connection, a timeout, a protocol error, or
// a greeting/EHLO refused. Carries the last reply.
class SmtpSessionError : public std::runtime_error {
 public:
  SmtpSessionError(smtp::ClientError kind, smtp::Reply reply, const std::string& what)
      : std::runtime_error(what), kind(kind), reply(std::move(reply)) {}
  smtp::ClientError kind;
  smtp::Reply reply;
};

// One message of a batch for send_many().
struct OutgoingMessage {
  std::string mail_from;
  std::vector<std::string> rcpts;
  std::string content;
};


struct SmtpClientOptions {
  std::string host;
  std::uint16_t port = 25;
  smtp::ClientConfig session;
  TlsMode tls = TlsMode::None;
  TlsClientOptions tls_options;  // server_name defaults to host
  // Credentials outside TLS: unset = only to a peer on this host (as the
  // server's own default), else as given.
  std::optional<bool> allow_plaintext_auth;
};

class SmtpClient {
 public:
  explicit SmtpClient(SmtpClientOptions options);

  // Connects (TLS handshake first for implicit TLS), reads the greeting,
  // says EHLO (HELO as fallback), then STARTTLS and AUTH as configured.
  // Throws TlsError/CertificateError when the handshake fails,
  // SmtpSessionError (kind Tls, Auth, Refused...) when the session does.
  void connect();
  // Sends one message; per-recipient results in the SendResult. Throws
  // SmtpSessionError when the session ends, std::invalid_argument for bad
  // addresses (nothing sent).
  smtp::SendResult send(const std::string& mail_from, const std::vector<std::string>& rcpts,
                        std::string content, const smtp::MessageOptions& options = {});
  // Sends every message of `batch`, pipelined when the server allows it
  // (PIPELINING; up to ClientConfig::max_in_flight messages in flight, one
  // write per window), and returns one SendResult per message in order.
  // Refusals (including a message with bad addresses: nothing of it is
  // sent) are in the SendResults; throws SmtpSessionError when the session
  // ends. The contents are moved from.
  std::vector<smtp::SendResult> send_many(std::vector<OutgoingMessage>& batch,
                                          const smtp::MessageOptions& options = {});
  // QUIT and close; errors while quitting are ignored.
  void quit();
  void close();

  bool connected() const { return connection_.is_open() && !session_.closed(); }
  const smtp::ClientSession& session() const { return session_; }
  const SmtpClientOptions& options() const { return options_; }
  std::string local_address() const { return connection_.local(); }
  const ClientConnection& connection() const { return connection_; }

 private:
  // Writes pending output, then reads once (with the current deadline).
  void pump();
  void check_failed();
  void handshake();

  SmtpClientOptions options_;
  smtp::ClientSession session_;
  ClientConnection connection_;
};

}  // namespace mailroom::net
