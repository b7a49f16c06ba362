#include "mailroom/net/pop3_client.hpp"

#include <system_error>

namespace mailroom::net {

Pop3Client::Pop3Client(Pop3ClientOptions options)
    : options_(std::move(options)), session_(options_.session) {}

void Pop3Client::handshake() {
  connection_.start_tls(options_.tls_options, options_.connect_timeout);
  std::string description = connection_.tls_version();
  description.append(" ").append(connection_.tls_cipher());
  session_.tls_established(description);
}

pop3::Response Pop3Client::connect() {
  connection_.connect(options_.host, options_.port, options_.connect_timeout);
  if (options_.tls == TlsMode::Implicit) handshake();  // RFC 8314 §3
  session_.set_allow_plaintext_auth(
      options_.allow_plaintext_auth.value_or(connection_.peer_is_loopback()));
  pop3::Response greeting = wait(0);
  if (!greeting.ok) return greeting;
  wait(session_.capa());  // -ERR to CAPA is fine: no extensions
  if (options_.tls != TlsMode::StartTls) return greeting;
  bool offered = false;
  for (const auto& c : session_.capabilities())
    offered = offered || iequals(trim(c), "STLS");
  if (!offered) {
    connection_.close();
    throw TlsError("server does not offer STLS");
  }
  pop3::Response r = wait(session_.stls());
  if (!r.ok) {
    connection_.close();
    throw TlsError("STLS refused: " + r.status_line);
  }
  handshake();
  wait(session_.capa());  // RFC 2595 §4: ask again inside TLS
  return greeting;
}

void Pop3Client::pump() { net::pump(connection_, session_, options_.session.response_timeout); }

pop3::Response Pop3Client::wait(std::uint64_t id) {
  for (;;) {
    while (auto r = session_.next_response()) arrived_.emplace(r->id, std::move(*r));
    if (auto it = arrived_.find(id); it != arrived_.end()) {
      pop3::Response r = std::move(it->second);
      arrived_.erase(it);
      return r;
    }
    if (session_.failed() || session_.closed()) {
      connection_.close();
      throw Pop3SessionError(session_.error(), session_.failed() ? session_.error_text()
                                                                  : "the session is closed");
    }
    pump();
  }
}

void Pop3Client::close() { connection_.close(); }

}  // namespace mailroom::net
