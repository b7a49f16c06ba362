// A net::Session over one protocol's sans-IO session and its engine
// handler. `Protocol` says what differs (smtp_service.cpp, pop3_service.cpp):
//   using Session, Handler, Config;  static constexpr const char* name;
//   static Config config(const Server&, const std::string& peer, const ListenerOptions&);
//   static std::unique_ptr<Session> session(const Server&, const Config&, Handler&,
//                                           const std::string& peer);
//   static std::string refusal(const Config&);  // over the connection cap
// A Session with store_changed(out) (IMAP) gets the connection's notify()s.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "services.hpp"

namespace mailroom::engine {

template <class Protocol>
class ProtocolService final : public net::Session {
 public:
  ProtocolService(Server& server, const ListenerOptions& listener, const net::Peer& peer)
      : server_(server),
        peer_(peer.address),
        config_(Protocol::config(server, peer_, listener)),
        handler_(server, peer_),
        session_(Protocol::session(server, config_, handler_, peer_)),
        id_(server.session_started(peer_, Protocol::name)) {
    handler_.answer_later(peer.connection, session_.get());
    if constexpr (requires { handler_.session_started(id_); }) handler_.session_started(id_);
  }

  void greet(net::Outputs& out) override {
    replies_.push_back(session_->greeting());
    to_net(replies_, out);
  }
  void refuse(net::Outputs& out) override {
    net::Output o;
    o.bytes = Protocol::refusal(config_);
    o.close_after = true;
    out.push_back(std::move(o));
  }
  void feed(std::string_view data, net::Outputs& out) override {
    session_->feed(data, replies_);
    to_net(replies_, out);
  }
  void tls_established() override { session_->tls_established(); }
  void on_timeout(net::Outputs& out) override {
    session_->on_timeout(replies_);
    to_net(replies_, out);
  }
  // Someone changed what the session shows (an IMAP folder): its updates.
  void on_notify(net::Outputs& out) override {
    if constexpr (requires { session_->store_changed(replies_); }) {
      session_->store_changed(replies_);
      to_net(replies_, out);
    }
  }
  bool receiving_data() const override {
    if constexpr (requires { session_->receiving_data(); })
      return session_->receiving_data();
    else
      return false;
  }
  bool paused() const override { return session_->paused(); }
  std::chrono::milliseconds idle_timeout() const override {
    if constexpr (requires { session_->idle_timeout(); })
      return session_->idle_timeout();
    else
      return std::chrono::milliseconds{0};
  }
  bool closed() const override { return session_->closed(); }
  void ended() override {
    server_.session_ended(id_, session_->transcript(), session_->transcript_truncated(),
                          handler_.messages());
  }

 private:
  Server& server_;
  std::string peer_;
  typename Protocol::Config config_;  // the session refers to it
  typename Protocol::Handler handler_;
  std::unique_ptr<typename Protocol::Session> session_;
  std::uint64_t id_;
  std::vector<typename Protocol::Output> replies_;
};

template <class Protocol>
net::SessionFactory protocol_service(Server& server, const ListenerOptions& listener) {
  return [&server, listener](const net::Peer& peer) -> std::unique_ptr<net::Session> {
    return std::make_unique<ProtocolService<Protocol>>(server, listener, peer);
  };
}

}  // namespace mailroom::engine
