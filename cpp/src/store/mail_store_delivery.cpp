// MailStore: what the mail server uses (delivery to INBOXes, the arrival
// index and its pages, counts, POP3's hold, waiting for arrivals).
#include <algorithm>

#include "mail_store_parts.hpp"

namespace mailroom::store {

using namespace store_detail;

// ---- what the mail server uses -------------------------------------------------

std::vector<MessagePtr> MailStore::deliver(const std::vector<std::string>& accounts,
                                           std::shared_ptr<const std::string> data,
                                           std::shared_ptr<const Envelope> envelope) {
  {
    std::lock_guard lock(mutex_);
    check_room(accounts.size(), std::uint64_t{data->size()} * accounts.size());
  }
  std::vector<std::pair<std::shared_ptr<Folder>, MessagePtr>> done;
  const std::int64_t now =
      envelope ? static_cast<std::int64_t>(envelope->received_at) : now_seconds();
  try {
    for (const auto& raw : accounts) {
      const std::string acc = normalize_mailbox(raw);
      auto f = find_inbox(acc);
      if (!f) {  // created on first delivery
        ensure_account(acc);
        f = find_inbox(acc);
        if (!f) throw NoSuchAccount("no such account: " + acc);
      }
      std::lock_guard w(f->write);
      done.emplace_back(f, append_locked_folder(*f, acc, data, 0, {}, now, envelope));
    }
  } catch (...) {
    for (auto& [f, m] : done) {  // all or nothing
      std::lock_guard w(f->write);
      std::uint64_t modseq;
      {
        std::lock_guard lock(mutex_);
        modseq = ++f->d.highestmodseq;
      }
      try {
        if (backend_) backend_->expunge(m->account(), "INBOX", *m, modseq);
      } catch (...) {
      }
      {
        std::lock_guard lock(mutex_);
        std::size_t i = find_uid(f->d.messages, m->uid);
        if (i != std::string::npos) remove_at(*f, i, modseq);
      }
      emit({StoreChange::Kind::Expunged, m->account(), "INBOX", "", m->uid, modseq});
    }
    throw;
  }
  arrived_.notify_all();
  std::vector<MessagePtr> out;
  for (auto& [_, m] : done) out.push_back(m);
  return out;
}

std::vector<MessagePtr> MailStore::all() const { return since(0); }

std::vector<MessagePtr> MailStore::inbox(std::string_view address) const {
  const std::string key = normalize_mailbox(address);
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(key);
  if (it == accounts_.end()) return {};
  return it->second->inbox->d.messages;
}

std::vector<MessagePtr> MailStore::since(std::uint64_t arrival) const {
  std::lock_guard lock(mutex_);
  return arrivals_.since(arrival);
}

std::vector<MessagePtr> MailStore::newest(std::size_t start, std::size_t limit) const {
  std::lock_guard lock(mutex_);
  return arrivals_.newest(start, limit);
}

MessageCounts MailStore::inbox_counts() const {
  std::lock_guard lock(mutex_);
  return {arrivals_.size(), inbox_unseen_, inbox_bytes_};
}

std::uint64_t MailStore::last_seq() const {
  std::lock_guard lock(mutex_);
  return next_arrival_ - 1;
}

std::size_t MailStore::count() const {
  std::lock_guard lock(mutex_);
  return count_;
}

bool MailStore::has_room(std::size_t messages, std::uint64_t bytes) const {
  std::lock_guard lock(mutex_);
  return count_ + messages <= limits_.max_messages && bytes_ + bytes <= limits_.max_bytes;
}

std::uint32_t MailStore::inbox_uidvalidity(const std::string& account) const {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(account);
  return it == accounts_.end() ? 0 : it->second->inbox->d.uidvalidity;
}

std::uint64_t MailStore::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

void MailStore::clear() {
  std::vector<std::pair<std::string, std::string>> folders;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [a, acc] : accounts_)
      for (const auto& [n, _] : acc->folders) folders.emplace_back(a, n);
  }
  for (const auto& [a, n] : folders) {
    std::shared_ptr<Folder> f;
    try {
      f = find_folder(a, n);
    } catch (const StoreError&) {
      continue;
    }
    std::vector<std::uint32_t> uids;
    {
      std::lock_guard lock(mutex_);
      for (const auto& m : f->d.messages) uids.push_back(m->uid);
    }
    store(a, n, uids, FlagChange::Add, {"\\Deleted"});
    expunge(a, n, uids);
  }
}

bool MailStore::try_lock_mailbox(std::string_view address) {
  const std::string key = normalize_mailbox(address);
  std::lock_guard lock(mutex_);
  if (std::find(locked_.begin(), locked_.end(), key) != locked_.end()) return false;
  locked_.push_back(key);
  return true;
}

void MailStore::unlock_mailbox(std::string_view address) {
  const std::string key = normalize_mailbox(address);
  std::lock_guard lock(mutex_);
  std::erase(locked_, key);
}

std::uint64_t MailStore::wait_after(std::uint64_t after, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const auto generation = wake_generation_;
  arrived_.wait_for(lock, timeout, [&] {
    return next_arrival_ - 1 > after || wake_generation_ != generation;
  });
  return next_arrival_ - 1;
}

void MailStore::wake_all() {
  {
    std::lock_guard lock(mutex_);
    ++wake_generation_;
  }
  arrived_.notify_all();
}

}  // namespace mailroom::store
