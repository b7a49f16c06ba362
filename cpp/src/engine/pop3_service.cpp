// POP3 on a listener: the session's settings for this connection and its
// session, with an APOP timestamp of its own.
#include <unistd.h>

#include <atomic>
#include <chrono>

#include "mailroom/pop3/server_session.hpp"
#include "pop3_handler.hpp"
#include "protocol_service.hpp"

namespace mailroom::engine {

namespace {

struct Pop3 {
  using Session = pop3::ServerSession;
  using Handler = Pop3Handler;
  using Config = pop3::Config;
  using Output = pop3::Output;
  static constexpr const char* name = "pop3";

  static Config config(const Server& s, const std::string& peer, const ListenerOptions& l) {
    Config c = s.options().pop3;
    c.stls = l.tls == net::TlsMode::StartTls;
    c.plaintext_auth = c.plaintext_auth && s.plaintext_auth_allowed(peer);
    return c;
  }
  static std::unique_ptr<Session> session(const Server& s, const Config& c, Handler& h,
                                          const std::string& peer) {
    return std::make_unique<Session>(c, h, peer, apop_timestamp(s));
  }
  static std::string refusal(const Config&) {
    return "-ERR [SYS/TEMP] Too many connections, try again later\r\n";
  }
  // RFC 1939 §7: the APOP timestamp is unique to this greeting.
  static std::string apop_timestamp(const Server& s) {
    static std::atomic<std::uint64_t> counter{0};
    auto now = std::chrono::system_clock::now().time_since_epoch().count();
    std::string stamp = "<";
    stamp.append(std::to_string(::getpid())).append(".").append(std::to_string(now));
    stamp.append(".").append(std::to_string(++counter)).append("@");
    stamp.append(s.options().pop3.hostname).append(">");
    return stamp;
  }
};

}  // namespace

net::SessionFactory pop3_service(Server& server, const ListenerOptions& listener) {
  return protocol_service<Pop3>(server, listener);
}

}  // namespace mailroom::engine
