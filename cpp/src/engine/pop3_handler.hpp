// The pop3::Handler of one POP3 session: accounts, the mailbox lock, and a
// Maildrop over the server's store. A login through a password_check
// callable runs with Server::run_blocking(); its answer comes back on the
// connection's strand as ServerSession::resume_login().
#pragma once

#include <memory>
#include <string>

#include "mailroom/engine/server.hpp"
#include "mailroom/net/session.hpp"
#include "mailroom/pop3/handler.hpp"
#include "mailroom/pop3/server_session.hpp"

namespace mailroom::engine {

class Pop3Handler final : public pop3::Handler {
 public:
  Pop3Handler(Server& server, std::string peer) : server_(server), peer_(std::move(peer)) {}

  pop3::AuthResult login(std::string_view user, std::string_view password) override;
  std::size_t messages() const { return retrieved_ ? *retrieved_ : 0; }

  // Logins may be answered later, for `session` on `connection`.
  void answer_later(net::ConnectionRef connection, pop3::ServerSession* session) {
    connection_ = std::move(connection);
    session_ = session;
  }

 private:
  Server& server_;
  std::string peer_;
  std::shared_ptr<std::size_t> retrieved_;  // counted by the maildrop
  net::ConnectionRef connection_;
  pop3::ServerSession* session_ = nullptr;
};

}  // namespace mailroom::engine
