// SMTP on a listener: the session's settings for this connection (what the
// listener, the TLS setup and the peer's address allow) and its session.
#include <algorithm>

#include "mailroom/smtp/server_session.hpp"
#include "protocol_service.hpp"
#include "session_handler.hpp"

namespace mailroom::engine {

namespace {

struct Smtp {
  using Session = smtp::ServerSession;
  using Handler = SessionHandler;
  using Config = smtp::Config;
  using Output = smtp::Output;
  static constexpr const char* name = "smtp";

  static Config config(const Server& s, const std::string& peer, const ListenerOptions& l) {
    const ServerOptions& o = s.options();
    Config c = o.smtp;
    c.starttls = l.tls == net::TlsMode::StartTls;
    c.auth = c.auth || o.users || o.password_check || c.auth_required || s.has_submission_listener();
    c.auth_cram_md5 = c.auth_cram_md5 || s.has_secrets();
    c.plaintext_auth = s.plaintext_auth_allowed(peer);
    if (l.auth_required) c.auth = c.auth_required = true;
    return c;
  }
  static std::unique_ptr<Session> session(const Server&, const Config& c, Handler& h,
                                          const std::string& peer) {
    return std::make_unique<Session>(c, h, peer);
  }
  // RFC 5321 §3.8: a server that cannot serve answers 421 and closes.
  static std::string refusal(const Config& c) {
    return "421 " + c.hostname + " Too many connections, try again later\r\n";
  }
};

}  // namespace

bool Server::has_submission_listener() const {
  return std::any_of(options_.listeners.begin(), options_.listeners.end(),
                     [](const ListenerOptions& l) { return l.auth_required; });
}

net::SessionFactory smtp_service(Server& server, const ListenerOptions& listener) {
  return protocol_service<Smtp>(server, listener);
}

}  // namespace mailroom::engine
