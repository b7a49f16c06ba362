// POP3 on a listener: the session's settings for this connection and a
// net::Session over pop3::ServerSession.
#include <unistd.h>

#include <atomic>
#include <chrono>

#include "pop3_handler.hpp"
#include "services.hpp"
#include "mailroom/pop3/server_session.hpp"

namespace mailroom::engine {

namespace {

pop3::Config pop3_config(const Server& s, const std::string& peer, const ListenerOptions& l) {
  pop3::Config c = s.options().pop3;
  c.stls = l.tls == net::TlsMode::StartTls;
  c.plaintext_auth = c.plaintext_auth && s.plaintext_auth_allowed(peer);
  return c;
}

// RFC 1939 §7: the APOP timestamp is unique to this greeting.
std::string apop_timestamp(const Server& s) {
  static std::atomic<std::uint64_t> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch().count();
  std::string stamp = "<";
  stamp.append(std::to_string(::getpid())).append(".").append(std::to_string(now));
  stamp.append(".").append(std::to_string(++counter)).append("@");
  stamp.append(s.options().pop3.hostname).append(">");
  return stamp;
}

class Pop3Service final : public net::Session {
 public:
  Pop3Service(Server& server, const ListenerOptions& listener, const net::Peer& peer)
      : server_(server),
        peer_(peer.address),
        config_(pop3_config(server, peer_, listener)),
        handler_(server, peer_),
        session_(config_, handler_, peer_, apop_timestamp(server)),
        id_(server.session_started(peer_, "pop3")) {}

  void greet(net::Outputs& out) override {
    std::vector<pop3::Output> o{session_.greeting()};
    to_net(o, out);
  }
  void refuse(net::Outputs& out) override {
    net::Output o;
    o.bytes = "-ERR [SYS/TEMP] Too many connections, try again later\r\n";
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
  bool closed() const override { return session_.closed(); }
  void ended() override {
    server_.session_ended(id_, session_.transcript(), session_.transcript_truncated(),
                          handler_.messages());
  }

 private:
  Server& server_;
  std::string peer_;
  pop3::Config config_;  // the session refers to it
  Pop3Handler handler_;
  pop3::ServerSession session_;
  std::uint64_t id_;
  std::vector<pop3::Output> replies_;
};

}  // namespace

net::SessionFactory pop3_service(Server& server, const ListenerOptions& listener) {
  return [&server, listener](const net::Peer& peer) -> std::unique_ptr<net::Session> {
    return std::make_unique<Pop3Service>(server, listener, peer);
  };
}

}  // namespace mailroom::engine
