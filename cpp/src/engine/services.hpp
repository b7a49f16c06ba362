// The protocols a listener serves: for each, a net::Session over the
// protocol's sans-IO state machine and its engine handler, with the policy
// that decides the session's settings (what TLS, AUTH and the peer allow).
#pragma once

#include <memory>
#include <vector>

#include "mailroom/engine/server.hpp"
#include "mailroom/net/deflate_codec.hpp"
#include "mailroom/net/session.hpp"

namespace mailroom::http {
class Logins;
}

namespace mailroom::engine {

net::SessionFactory smtp_service(Server& server, const ListenerOptions& listener);
net::SessionFactory pop3_service(Server& server, const ListenerOptions& listener);
// http_service.cpp. Every HTTP listener of a server is given the same
// logins (made by http_logins() once per start), so a session opened on one
// is known to all.
std::shared_ptr<http::Logins> http_logins(const Server& server);
net::SessionFactory http_service(Server& server, const ListenerOptions& listener,
                                 std::shared_ptr<http::Logins> logins);
net::SessionFactory imap_service(Server& server, const ListenerOptions& listener);

// A protocol's Output records as the network layer's.
template <class ProtocolOutput>
void to_net(std::vector<ProtocolOutput>& in, net::Outputs& out) {
  for (auto& o : in) {
    net::Output n;
    n.bytes = std::move(o.bytes);
    if constexpr (requires { o.body; }) {
      n.body = std::move(o.body);
      n.tail = o.tail;
    }
    n.delay_ms = o.delay_ms;
    n.close_after = o.close_after;
    n.start_tls = o.start_tls;
    if constexpr (requires { o.start_compression; })
      if (o.start_compression) n.codec = net::deflate_codec();  // RFC 4978
    out.push_back(std::move(n));
  }
  in.clear();
}

// Runs `step`, which appends a protocol's replies (a session's answer given
// later), on the connection's strand while the connection lives.
template <class ProtocolOutput, class Step>
void resume_on(const net::ConnectionRef& connection, Step step) {
  connection.post([step = std::move(step)](net::Outputs& out) mutable {
    std::vector<ProtocolOutput> replies;
    step(replies);
    to_net(replies, out);
  });
}

}  // namespace mailroom::engine
