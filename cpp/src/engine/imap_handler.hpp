// The imap::Handler of one IMAP session: logins (with the same accounts and
// policy as SMTP AUTH and POP3), the folder it watches for changes, and the
// account's subscriptions. A login through a password_check callable, and
// a Maildir's store work, run with Server::run_blocking(); the answer comes
// back on the connection's strand as ServerSession::resume_login() or
// resume_store().
#pragma once

#include <string>

#include "imap_sessions.hpp"
#include "mailroom/engine/server.hpp"
#include "mailroom/imap/handler.hpp"
#include "mailroom/imap/server_session.hpp"
#include "mailroom/net/session.hpp"

namespace mailroom::engine {

class ImapHandler final : public imap::Handler {
 public:
  ImapHandler(Server& server, std::string peer) : server_(server), peer_(std::move(peer)) {}
  ~ImapHandler() override;

  imap::LoginResult login(std::string_view authzid, std::string_view user,
                          std::string_view password) override;
  std::string cram_md5_challenge() override { return server_.new_challenge(); }
  imap::LoginResult login_cram_md5(std::string_view user, std::string_view challenge,
                                   std::string_view digest) override;
  std::optional<imap::CommandReply> on_command(std::string_view name) override {
    return server_.imap_rules().match(name);
  }
  // On a Maildir, what may wait for an fsync (or for the folder's writer
  // that does) runs on the blocking pool; in memory it is handed back to
  // run in place.
  std::optional<std::function<void()>> run_store_work(std::function<void()> work) override;
  void watch(std::string_view account, std::string_view folder) override;
  std::optional<std::vector<std::uint32_t>> take_folder_changes() override {
    return server_.imap_sessions().take_folder_changes(this);
  }
  std::uint32_t claim_recent(std::string_view account, std::string_view folder,
                             std::uint32_t uidvalidity, std::uint32_t last_uid) override {
    std::string key(account);
    key.push_back('\n');
    key += folder;
    key.push_back('\n');
    key += std::to_string(uidvalidity);
    return server_.imap_sessions().claim_recent(key, last_uid);
  }
  std::set<std::string> subscriptions(std::string_view account) override;
  void subscribe(std::string_view account, std::string_view folder, bool on) override;
  // NOTIFY: the account's changes, queued by ImapSessions.
  void watch_account(std::string_view account, std::size_t limit) override;
  std::vector<imap::MailboxChange> take_notifications(bool& overflowed) override;

  // Messages the session stored (APPEND), for the session record.
  std::size_t messages() const { return session_ ? session_->messages_appended() : 0; }

  void answer_later(net::ConnectionRef connection, imap::ServerSession* session) {
    connection_ = std::move(connection);
    session_ = session;
  }

 private:
  Server& server_;
  std::string peer_;
  net::ConnectionRef connection_;
  imap::ServerSession* session_ = nullptr;
};

}  // namespace mailroom::engine
