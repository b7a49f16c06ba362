#include "imap_sessions.hpp"

#include <algorithm>
#include <utility>

namespace mailroom::engine {

void ImapSessions::listen(EventBus& bus) {
  subscription_ = bus.subscribe(
      [this](const Event& e) {
        if (const auto* c = std::get_if<store::StoreChange>(&e)) on_store_change(*c);
      },
      EventFilter::of({"appended", "flags", "expunged", "created", "deleted", "renamed"}));
}

void ImapSessions::queue(const std::string& account, const void* skip,
                         const imap::MailboxChange& change) {
  std::vector<net::ConnectionRef> wake;
  {
    std::lock_guard lock(mutex_);
    for (auto& w : account_watchers_)
      if (w.key != skip && w.account == account && w.pending.push(change))
        wake.push_back(w.connection);
  }
  for (const auto& connection : wake) connection.notify();
}

void ImapSessions::on_store_change(const store::StoreChange& c) {
  std::vector<net::ConnectionRef> wake;
  {
    std::lock_guard lock(mutex_);
    // NOTIFY's view of the change, made once and only when a session of
    // the account asked for them.
    std::optional<imap::MailboxChange> change;
    for (auto& w : account_watchers_) {
      if (w.account != c.account) continue;
      if (!change) change = imap::mailbox_change(c);
      if (w.pending.push(*change)) wake.push_back(w.connection);
    }
    for (auto& w : watchers_) {
      if (w.account != c.account || !imap::FolderChangeNotes::concerns(c, w.folder)) continue;
      w.notes.note(c);
      wake.push_back(w.connection);
    }
  }
  for (const auto& connection : wake) connection.notify();
}

void ImapSessions::watch(const void* key, const net::ConnectionRef& connection,
                         const std::string& account, const std::string& folder) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(watchers_.begin(), watchers_.end(),
                         [key](const Watcher& w) { return w.key == key; });
  if (folder.empty()) {
    if (it != watchers_.end()) watchers_.erase(it);
    return;
  }
  if (it == watchers_.end()) {
    watchers_.push_back({key, connection, account, folder, {}});
  } else {
    it->account = account, it->folder = folder;
    it->notes.reset();
  }
}

std::optional<std::vector<std::uint32_t>> ImapSessions::take_folder_changes(const void* key) {
  std::lock_guard lock(mutex_);
  for (auto& w : watchers_)
    if (w.key == key) return w.notes.take();
  return std::nullopt;
}

void ImapSessions::forget(const void* key) {
  std::lock_guard lock(mutex_);
  std::erase_if(watchers_, [key](const Watcher& w) { return w.key == key; });
  std::erase_if(account_watchers_, [key](const AccountWatcher& w) { return w.key == key; });
}

void ImapSessions::watch_account(const void* key, const net::ConnectionRef& connection,
                                 const std::string& account, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(account_watchers_.begin(), account_watchers_.end(),
                         [key](const AccountWatcher& w) { return w.key == key; });
  if (limit == 0) {
    if (it != account_watchers_.end()) account_watchers_.erase(it);
    return;
  }
  if (it == account_watchers_.end()) {
    account_watchers_.push_back({key, connection, account, {}});
    it = std::prev(account_watchers_.end());
  }
  it->account = account;
  it->pending.set_limit(limit);
}

std::vector<imap::MailboxChange> ImapSessions::take_notifications(const void* key,
                                                                  bool& overflowed) {
  std::lock_guard lock(mutex_);
  overflowed = false;
  for (auto& w : account_watchers_)
    if (w.key == key) return w.pending.take(overflowed);
  return {};
}

void ImapSessions::subscription_changed(const void* by, const std::string& account,
                                        const std::string& folder, bool on) {
  imap::MailboxChange c;
  c.kind = on ? imap::MailboxChange::Kind::Subscribed : imap::MailboxChange::Kind::Unsubscribed;
  c.folder = folder;
  queue(account, by, c);
}

std::size_t ImapSessions::watchers() const {
  std::lock_guard lock(mutex_);
  return watchers_.size();
}

std::uint32_t ImapSessions::claim_recent(const std::string& folder_key, std::uint32_t last_uid) {
  std::lock_guard lock(mutex_);
  std::uint32_t& claimed = recent_claims_[folder_key];
  const std::uint32_t before = claimed;
  if (last_uid > claimed) claimed = last_uid;
  return before;
}

}  // namespace mailroom::engine
