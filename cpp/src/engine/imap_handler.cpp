#include "imap_handler.hpp"

#include <algorithm>

#include "services.hpp"

namespace mailroom::engine {

namespace {

// The account a login opens, or why not. Test mode (no users): any password
// opens the mailbox named (loopback only, checked when the server starts).
imap::LoginResult check_login(Server& server, std::string_view authzid, std::string_view user,
                              std::string_view password) {
  if (!server.check_password(user, password)) return imap::LoginResult::bad_credentials();
  // RFC 4616 §2: acting for another identity needs an authorization policy,
  // and there is none: only the user itself.
  if (!authzid.empty() && store::normalize_mailbox(authzid) != store::normalize_mailbox(user))
    return imap::LoginResult::bad_credentials();
  try {
    return imap::LoginResult::ok(server.store().ensure_account(user));
  } catch (const store::StoreError&) {
    return imap::LoginResult::bad_credentials();  // not an address the store can keep
  }
}

}  // namespace

ImapHandler::~ImapHandler() { server_.imap_sessions().forget(this); }

imap::LoginResult ImapHandler::login(std::string_view authzid, std::string_view user,
                                     std::string_view password) {
  if (!session_ || !server_.password_check_may_block())
    return check_login(server_, authzid, user, password);
  server_.run_blocking([&server = server_, connection = connection_, session = session_,
                        authzid = std::string(authzid), user = std::string(user),
                        password = std::string(password)]() mutable {
    imap::LoginResult r;
    try {
      r = check_login(server, authzid, user, password);
    } catch (...) {
      r = imap::LoginResult::temp_fail();
    }
    std::fill(password.begin(), password.end(), '\0');
    resume_on<imap::Output>(connection, [session, r = std::move(r)](auto& out) mutable {
      session->resume_login(std::move(r), out);
    });
  });
  return imap::LoginResult::pending();
}

imap::LoginResult ImapHandler::login_cram_md5(std::string_view user, std::string_view challenge,
                                              std::string_view digest) {
  // Only with a users map (Config::auth_cram_md5): a lookup, never a callable.
  if (!server_.check_cram_md5(user, challenge, digest)) return imap::LoginResult::bad_credentials();
  try {
    return imap::LoginResult::ok(server_.store().ensure_account(user));
  } catch (const store::StoreError&) {
    return imap::LoginResult::bad_credentials();
  }
}

std::optional<std::function<void()>> ImapHandler::run_store_work(std::function<void()> work) {
  if (!session_ || server_.options().maildir.empty()) return work;
  server_.run_blocking([work = std::move(work), connection = connection_, session = session_] {
    work();  // catches what it throws
    resume_on<imap::Output>(connection, [session](auto& out) { session->resume_store(out); });
  });
  return std::nullopt;
}

void ImapHandler::watch(std::string_view account, std::string_view folder) {
  server_.imap_sessions().watch(this, connection_, std::string(account), std::string(folder));
}

std::set<std::string> ImapHandler::subscriptions(std::string_view account) {
  return server_.store().subscriptions(account);
}

void ImapHandler::subscribe(std::string_view account, std::string_view folder, bool on) {
  server_.store().set_subscribed(account, folder, on);
  server_.imap_sessions().subscription_changed(this, std::string(account), std::string(folder), on);
}

void ImapHandler::watch_account(std::string_view account, std::size_t limit) {
  server_.imap_sessions().watch_account(this, connection_, std::string(account), limit);
}

std::vector<imap::MailboxChange> ImapHandler::take_notifications(bool& overflowed) {
  return server_.imap_sessions().take_notifications(this, overflowed);
}

}  // namespace mailroom::engine
