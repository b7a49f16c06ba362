// What the IMAP session asks the rest of the server: is this login good (and
// which account it opens), and telling it which folder the session watches.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/imap/notify.hpp"

namespace mailroom::imap {

// The answer to a login.
//  Ok: the AUTHENTICATED state on `account` (a normalized address).
//  BadCredentials: NO [AUTHENTICATIONFAILED] after Config::auth_failure_delay_ms.
//  TempFail: NO [UNAVAILABLE] (RFC 5530), e.g. a password check that failed.
//  Pending: answered later through ServerSession::resume_login(); the
//           session is paused() meanwhile.
struct LoginResult {
  enum Kind { Ok, BadCredentials, TempFail, Pending } kind = BadCredentials;
  std::string account;

  static LoginResult ok(std::string account) { return {Ok, std::move(account)}; }
  static LoginResult bad_credentials() { return {}; }
  static LoginResult temp_fail() { return {TempFail, {}}; }
  static LoginResult pending() { return {Pending, {}}; }
};

// A reply chosen instead of a command's own (a tester's reply rule), so a
// client's error paths can be tried: NO, BAD or BYE with `text`, the command
// not run; or only a delay before the command's own responses; or the
// connection dropped without a word.
struct CommandReply {
  std::string status;  // "NO", "BAD", "BYE", or "" (only the delay)
  std::string text;
  std::uint32_t delay_ms = 0;
  bool disconnect = false;
};

// Hooks called synchronously from ServerSession::feed(). A login hook that
// throws is answered NO [UNAVAILABLE].
class Handler {
 public:
  virtual ~Handler() = default;
  // LOGIN and AUTHENTICATE PLAIN/LOGIN. `authzid` is PLAIN's authorization
  // identity ("" when none, RFC 4616).
  virtual LoginResult login(std::string_view authzid, std::string_view user,
                            std::string_view password) = 0;
  // CRAM-MD5 (Config::auth_cram_md5): a fresh challenge ("<random.time@host>"),
  // and the check of a response's digest against the user's shared secret.
  virtual std::string cram_md5_challenge() { return {}; }
  virtual LoginResult login_cram_md5(std::string_view /*user*/, std::string_view /*challenge*/,
                                     std::string_view /*digest*/) {
    return LoginResult::bad_credentials();
  }
  // Before each command ("FETCH", "UID FETCH", "LOGIN", ...): a reply of its
  // own, or nullopt to run the command.
  virtual std::optional<CommandReply> on_command(std::string_view /*name*/) { return std::nullopt; }
  // Store work that may wait for the disk (a Maildir's fsyncs: APPEND, COPY,
  // MOVE, STORE, EXPUNGE). Either the handler keeps `work`, runs it off the
  // session's thread, then calls ServerSession::resume_store() on that
  // thread, and returns nullopt; or it hands `work` back untouched (the
  // default) and the session runs it in place.
  virtual std::optional<std::function<void()>> run_store_work(std::function<void()> work) {
    return work;
  }
  // The folder the session has selected now ("" after CLOSE, UNSELECT or a
  // failed SELECT), so that changes to it reach store_changed().
  virtual void watch(std::string_view /*account*/, std::string_view /*folder*/) {}
  // The UIDs of the watched folder's messages that were appended, changed
  // flags or were expunged since watch() or the last call, in MODSEQ order,
  // each noted after the store made the change: the session then looks up
  // only those. nullopt (the default) when the handler keeps no such note
  // or lost some of it: the session compares its whole view with the store.
  virtual std::optional<std::vector<std::uint32_t>> take_folder_changes() { return std::nullopt; }
  // \Recent (RFC 3501 §2.3.2): a message is recent in the one session that
  // first learns of it. The folder's UIDs up to `last_uid` are claimed for
  // the asking session; returns the highest UID claimed before (the messages
  // after it, up to last_uid, are recent in that session). last_uid 0 only
  // asks. The default keeps the claims for this handler only; a server keeps
  // them per folder for all its sessions.
  virtual std::uint32_t claim_recent(std::string_view account, std::string_view folder,
                                     std::uint32_t uidvalidity, std::uint32_t last_uid) {
    std::uint32_t& claimed = recent_[std::string(account) + '\n' + std::string(folder) + '\n' +
                                     std::to_string(uidvalidity)];
    const std::uint32_t before = claimed;
    if (last_uid > claimed) claimed = last_uid;
    return before;
  }
  // SUBSCRIBE / UNSUBSCRIBE / LSUB (RFC 9051 §6.3.7): the account's list of
  // subscribed names (UTF-8, as the store spells them). The default keeps
  // them for this handler only; a server keeps them per account.
  virtual std::set<std::string> subscriptions(std::string_view /*account*/) { return subscribed_; }
  virtual void subscribe(std::string_view /*account*/, std::string_view folder, bool on) {
    if (on)
      subscribed_.emplace(folder);
    else
      subscribed_.erase(std::string(folder));
  }
  // NOTIFY (RFC 5465): changes in any mailbox of `account` are queued for
  // this session (at most `limit`; 0 stops it), and the session is woken
  // (store_changed) when the first one comes. The default keeps the queue
  // for this handler only (a test fills notifications()); a server fills it
  // from its event bus.
  virtual void watch_account(std::string_view /*account*/, std::size_t limit) {
    notifications_.set_limit(limit);
  }
  // What was queued since the last call, oldest first; `overflowed` when
  // some were lost.
  virtual std::vector<MailboxChange> take_notifications(bool& overflowed) {
    return notifications_.take(overflowed);
  }
  PendingNotifications& notifications() { return notifications_; }

 private:
  PendingNotifications notifications_;
  std::set<std::string> subscribed_;
  std::map<std::string, std::uint32_t> recent_;
};

}  // namespace mailroom::imap
