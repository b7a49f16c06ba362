// What the IMAP sessions of one server share: the cache of parsed messages
// and who watches which folder, so that a change in the store (an event on
// the server's EventBus) wakes the sessions that have it selected (through
// ConnectionRef::notify(); the session then syncs its view on its strand)
// and is noted for them, so that the session looks up only the messages
// that changed (imap::Handler::take_folder_changes). Subscriptions are the
// store's (MailStore::subscriptions).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mailroom/engine/event_bus.hpp"
#include "mailroom/engine/imap_reply_rules.hpp"
#include "mailroom/imap/folder_change_notes.hpp"
#include "mailroom/imap/message_cache.hpp"
#include "mailroom/net/session.hpp"
#include "mailroom/store/store_change.hpp"

namespace mailroom::engine {

class ImapSessions {
 public:
  imap::MessageCache& cache() { return cache_; }

  // Takes the store changes of `bus` (through on_store_change) while this
  // object lives.
  void listen(EventBus& bus);

  // A store change: notes it for the sessions watching its folder, queues
  // it for the account's NOTIFY sessions (made into an imap::MailboxChange
  // only when there is one), and wakes them. Called on the thread that made
  // the change (after the change, so a session that looks then finds it);
  // takes only this object's lock.
  void on_store_change(const store::StoreChange& change);

  // The folder a session (`key`: its handler) watches; "" for none. The
  // changes noted for it start afresh.
  void watch(const void* key, const net::ConnectionRef& connection, const std::string& account,
             const std::string& folder);
  // The UIDs of the messages appended, flagged or expunged in the watched
  // folder since watch() or the last call, in MODSEQ order; nullopt when
  // some were not kept (more than FolderChangeNotes::kMaxChanges, or the
  // folder was renamed or deleted) or the session watches nothing.
  std::optional<std::vector<std::uint32_t>> take_folder_changes(const void* key);
  void forget(const void* key);
  std::size_t watchers() const;

  // NOTIFY (RFC 5465): every change in the account's folders is queued for
  // the session (at most `limit`; 0: no more) and wakes it.
  void watch_account(const void* key, const net::ConnectionRef& connection,
                     const std::string& account, std::size_t limit);
  std::vector<imap::MailboxChange> take_notifications(const void* key, bool& overflowed);
  // A session (`by`) subscribed or unsubscribed: news for the others.
  void subscription_changed(const void* by, const std::string& account, const std::string& folder,
                            bool on);

  ImapReplyRules& rules() { return rules_; }

  // \Recent claims, per folder (imap::Handler::claim_recent).
  std::uint32_t claim_recent(const std::string& folder_key, std::uint32_t last_uid);

 private:
  struct Watcher {
    const void* key;
    net::ConnectionRef connection;
    std::string account, folder;
    imap::FolderChangeNotes notes;
  };
  imap::MessageCache cache_;
  mutable std::mutex mutex_;
  std::vector<Watcher> watchers_;
  struct AccountWatcher {
    const void* key;
    net::ConnectionRef connection;
    std::string account;
    imap::PendingNotifications pending;
  };
  std::vector<AccountWatcher> account_watchers_;
  void queue(const std::string& account, const void* skip, const imap::MailboxChange& change);
  ImapReplyRules rules_;
  std::map<std::string, std::uint32_t> recent_claims_;
  EventBus::Subscription subscription_;  // last: reset first, before the rest goes
};

}  // namespace mailroom::engine
