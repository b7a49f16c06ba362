// The pop3::Handler of one POP3 session: accounts, the mailbox lock, and a
// Maildrop over the server's store.
#pragma once

#include <memory>
#include <string>

#include "mailroom/engine/server.hpp"
#include "mailroom/pop3/handler.hpp"

namespace mailroom::engine {

class Pop3Handler final : public pop3::Handler {
 public:
  Pop3Handler(Server& server, std::string peer) : server_(server), peer_(std::move(peer)) {}

  pop3::AuthResult login(std::string_view user, std::string_view password) override;
  std::size_t messages() const { return retrieved_ ? *retrieved_ : 0; }

 private:
  Server& server_;
  std::string peer_;
  std::shared_ptr<std::size_t> retrieved_;  // counted by the maildrop
};

}  // namespace mailroom::engine
