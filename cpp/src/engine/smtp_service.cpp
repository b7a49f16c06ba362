// SMTP on a listener: the session's settings for this connection and a
// net::Session over smtp::ServerSession.
#include <algorithm>

#include "services.hpp"
#include "session_handler.hpp"
#include "mailroom/smtp/server_session.hpp"

namespace mailroom::engine {

namespace {

// This connection's settings: the server's, with what its listener, the TLS
// setup and the peer's address decide.
smtp::Config smtp_config(const Server& s, const std::string& peer, const ListenerOptions& l) {
  const ServerOptions& o = s.options();
  smtp::Config c = o.smtp;
  c.starttls = l.tls == net::TlsMode::StartTls;
  c.auth = c.auth || o.users || o.password_check || c.auth_required || s.has_submission_listener();
  c.auth_cram_md5 = c.auth_cram_md5 || s.has_secrets();
  c.plaintext_auth = s.plaintext_auth_allowed(peer);
  if (l.auth_required) c.auth = c.auth_required = true;
  return c;
}

class SmtpService final : public net::Session {
 public:
  SmtpService(Server& server, const ListenerOptions& listener, const net::Peer& peer)
      : server_(server),
        peer_(peer.address),
        config_(smtp_config(server, peer_, listener)),
        handler_(server, peer_),
        session_(config_, handler_, peer_),
        id_(server.session_started(peer_, "smtp")) {
    handler_.answer_later(peer.connection, &session_);
  }

  void greet(net::Outputs& out) override {
    std::vector<smtp::Output> o{session_.greeting()};
    to_net(o, out);
  }
  // RFC 5321 §3.8: a server that cannot serve answers 421 and closes.
  void refuse(net::Outputs& out) override {
    net::Output o;
    o.bytes = "421 " + config_.hostname + " Too many connections, try again later\r\n";
    o.close_after = true;
    out.push_back(std::move(o));
  }
  void feed(std::string_view data, net::Outputs& out) override {
    session_.feed(data, replies_);
    to_net(replies_, out);
  }
  void tls_established() override { session_.tls_established(); }
  void on_timeout(net::Outputs& out) override {
    session_.on_timeout(replies_);
    to_net(replies_, out);
  }
  bool paused() const override { return session_.paused(); }
  bool closed() const override { return session_.closed(); }
  void ended() override {
    server_.session_ended(id_, session_.transcript(), session_.transcript_truncated(),
                          handler_.messages());
  }

 private:
  Server& server_;
  std::string peer_;
  smtp::Config config_;  // the session refers to it
  SessionHandler handler_;
  smtp::ServerSession session_;
  std::uint64_t id_;
  std::vector<smtp::Output> replies_;
};

}  // namespace

bool Server::has_submission_listener() const {
  return std::any_of(options_.listeners.begin(), options_.listeners.end(),
                     [](const ListenerOptions& l) { return l.auth_required; });
}

net::SessionFactory smtp_service(Server& server, const ListenerOptions& listener) {
  return [&server, listener](const net::Peer& peer) -> std::unique_ptr<net::Session> {
    return std::make_unique<SmtpService>(server, listener, peer);
  };
}

}  // namespace mailroom::engine
