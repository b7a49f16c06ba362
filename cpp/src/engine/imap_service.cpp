// IMAP on a listener: the session's settings for this connection (what the
// listener, the TLS setup and the peer's address allow) and its session.
#include "imap_handler.hpp"
#include "imap_sessions.hpp"
#include "mailroom/imap/server_session.hpp"
#include "protocol_service.hpp"

namespace mailroom::engine {

namespace {

struct Imap {
  using Session = imap::ServerSession;
  using Handler = ImapHandler;
  using Config = imap::Config;
  using Output = imap::Output;
  static constexpr const char* name = "imap";

  static Config config(const Server& s, const std::string& peer, const ListenerOptions& l) {
    Config c = s.options().imap;
    c.starttls = l.tls == net::TlsMode::StartTls;
    c.compress = true;  // the connection deflates (services.hpp, to_net)
    // The same policy as SMTP AUTH and POP3: passwords in clear only where
    // plaintext_auth_allowed() says so; LOGINDISABLED elsewhere until TLS.
    c.plaintext_auth = s.plaintext_auth_allowed(peer);
    c.auth_cram_md5 = c.auth_cram_md5 || s.has_secrets();
    return c;
  }
  static std::unique_ptr<Session> session(Server& s, const Config& c, Handler& h,
                                          const std::string& peer) {
    return std::make_unique<Session>(c, h, s.store(), s.imap_sessions().cache(), peer);
  }
  // RFC 9051 §7.1.5: BYE when the server will not serve the client.
  static std::string refusal(const Config&) {
    return "* BYE Too many connections, try again later\r\n";
  }
};

}  // namespace

net::SessionFactory imap_service(Server& server, const ListenerOptions& listener) {
  return protocol_service<Imap>(server, listener);
}

}  // namespace mailroom::engine
