// MailStore: opening, messages (append, store, copy, move, expunge). What the
// mail server uses is in mail_store_delivery.cpp, accounts and folders in
// mail_store_folders.cpp.
#include "mailroom/store/mail_store.hpp"

#include <algorithm>
#include <ctime>
#include <set>
#include <stdexcept>

#include "mailroom/free_memory.hpp"
#include "mailroom/store/maildir_backend.hpp"
#include "mail_store_parts.hpp"

namespace mailroom::store {

using namespace store_detail;

namespace {

// A record's keywords are bits of its folder's table (message.hpp).
StoreLimits checked(StoreLimits limits) {
  if (limits.max_keywords > kMaxKeywordBits)
    throw std::invalid_argument("max_keywords is at most " + std::to_string(kMaxKeywordBits) +
                                " per folder, not " + std::to_string(limits.max_keywords));
  return limits;
}

}  // namespace

MailStore::MailStore(StoreLimits limits) : limits_(checked(limits)) {}

MailStore::MailStore(const std::filesystem::path& root, StoreLimits limits)
    : root_(root), limits_(checked(limits)) {
  backend_ = std::make_unique<MaildirBackend>(root_);
  auto loaded = backend_->load();
  struct Arrival {
    std::int64_t date;
    std::string account;
    std::uint32_t uid;
    std::shared_ptr<Folder> folder;
    std::size_t pos;
  };
  std::vector<Arrival> inbox;
  for (auto& la : loaded) {
    auto acc = std::make_shared<Account>();
    acc->name = la.account;
    for (auto& fd : la.folders) {
      auto f = std::make_shared<Folder>();
      f->d = std::move(fd);
      f->count_all();
      count_ += f->d.messages.size();
      bytes_ += f->size;
      if (f->d.info.name == "INBOX") acc->inbox = f;
      if (f->d.info.name == "INBOX")
        for (std::size_t i = 0; i < f->d.messages.size(); ++i)
          inbox.push_back({f->d.messages[i]->internal_date, acc->name, f->d.messages[i]->uid, f, i});
      acc->folders[f->d.info.name] = std::move(f);
    }
    accounts_[acc->name] = std::move(acc);
  }
  // Arrival order of what was found: by internal date, then account and UID.
  std::sort(inbox.begin(), inbox.end(), [](const Arrival& a, const Arrival& b) {
    if (a.date != b.date) return a.date < b.date;
    if (a.account != b.account) return a.account < b.account;
    return a.uid < b.uid;
  });
  for (auto& a : inbox) {
    auto copy = make_message(*a.folder->d.messages[a.pos]);
    copy->arrival = next_arrival_++;
    a.folder->d.messages[a.pos] = copy;
    if (!(copy->flags & kSeen)) ++inbox_unseen_;
    inbox_bytes_ += copy->size;
    const std::uint64_t arrival = copy->arrival;
    arrivals_.push(arrival, std::move(copy));
  }
  // Reading a large tree leaves many freed blocks (file lists, the UID list
  // and log texts): give them back instead of keeping them resident.
  return_free_memory();
}

MailStore::~MailStore() = default;

std::vector<std::string> MailStore::open_notes() const {
  return backend_ ? backend_->open_notes() : std::vector<std::string>{};
}

std::size_t MailStore::stale_tmp_removed() const {
  return backend_ ? backend_->stale_tmp_removed() : 0;
}

// ---- messages ----------------------------------------------------------------

void MailStore::check_room(std::size_t messages, std::uint64_t bytes) const {
  if (count_ + messages > limits_.max_messages)
    throw LimitExceeded("the store holds at most " + std::to_string(limits_.max_messages) +
                        " messages");
  if (bytes_ + bytes > limits_.max_bytes)
    throw LimitExceeded("the store holds at most " + std::to_string(limits_.max_bytes) + " octets");
}

void MailStore::learn_keywords(Folder& f, const std::vector<std::string>& keywords) {
  std::vector<std::string> known = f.d.keywords;
  for (const auto& k : keywords)
    if (!has_keyword(known, k)) known.push_back(k);
  if (known.size() == f.d.keywords.size()) return;
  if (known.size() > limits_.max_keywords)
    throw LimitExceeded("a folder knows at most " + std::to_string(limits_.max_keywords) +
                        " keywords");
  f.d.keywords = known;
  f.d.home = std::make_shared<const FolderHome>(
      FolderHome{f.d.home->account, f.d.home->dir, std::move(known)});
}

void MailStore::reserve_uid(Folder& f, Message& m, const std::vector<std::string>& keywords) {
  check_room(1, m.size);
  learn_keywords(f, keywords);
  m.home = f.d.home;
  m.keyword_bits = keyword_bits_of(f.d.home->keywords, keywords);
  // RFC 9051 §2.3.1.1: UIDs are 32-bit and never reused.
  if (f.d.uidnext == 0xffffffffu) throw LimitExceeded("the folder has used every UID");
  m.uid = f.d.uidnext++;  // taken even if the write fails: never given twice
  m.modseq = ++f.d.highestmodseq;
}

MessagePtr MailStore::append_locked_folder(Folder& f, const std::string& account,
                                           std::shared_ptr<const std::string> data,
                                           std::uint8_t flags, std::vector<std::string> keywords,
                                           std::int64_t date,
                                           std::shared_ptr<const Envelope> envelope) {
  if (f.deleted) throw NoSuchFolder("the folder was deleted: " + f.d.info.name);
  check_message_size(data->size());
  auto m = make_message();
  m->flags = flags;
  m->internal_date = date;
  m->size = data->size();
  m->envelope = std::move(envelope);
  if (!backend_) {
    // In memory nothing is written: one turn of the index lock.
    m->data = std::move(data);
    std::lock_guard lock(mutex_);
    reserve_uid(f, *m, keywords);
    index_message(f, m);
  } else {
    {
      std::lock_guard lock(mutex_);
      reserve_uid(f, *m, keywords);
    }
    backend_->append(account, f.d.info.name, *m, *data);
    std::lock_guard lock(mutex_);
    index_message(f, m);
  }
  emit({StoreChange::Kind::Appended, account, f.d.info.name, "", m->uid, m->modseq});
  return m;
}

void MailStore::set_change_hook(ChangeHook hook) {
  std::lock_guard lock(hook_mutex_);
  hook_ = hook ? std::make_shared<ChangeHook>(std::move(hook)) : nullptr;
}

void MailStore::emit(StoreChange change) const {
  std::shared_ptr<ChangeHook> hook;
  {
    std::lock_guard lock(hook_mutex_);
    hook = hook_;
  }
  if (!hook) return;
  try {
    (*hook)(change);
  } catch (...) {
  }
}

void MailStore::check_message_size(std::size_t size) const {
  if (size > limits_.max_message_size)
    throw LimitExceeded("a message has at most " + std::to_string(limits_.max_message_size) +
                        " octets");
}

void MailStore::index_message(Folder& f, const MessageDraft& m) {
  // Another program writing the same Maildir may have taken the UID we
  // reserved: the backend gave a higher one.
  if (m->uid >= f.d.uidnext) f.d.uidnext = m->uid + 1;
  if (f.d.info.name == "INBOX") m->arrival = next_arrival_++;
  f.d.messages.push_back(m);  // UIDs ascend: the folder's writer is the only one
  f.count(*m, true);
  ++count_;
  bytes_ += m->size;
  if (m->arrival) {
    if (!(m->flags & kSeen)) ++inbox_unseen_;
    inbox_bytes_ += m->size;
    arrivals_.push(m->arrival, m);
  }
}

void MailStore::replace_message(Folder& f, std::size_t pos, const MessagePtr& m) {
  const MessagePtr old = std::move(f.d.messages[pos]);
  f.count(*old, false);
  f.count(*m, true);
  f.d.messages[pos] = m;
  if (old->arrival && arrivals_.replace(old->arrival, m)) {
    if (!(old->flags & kSeen)) --inbox_unseen_;
    if (!(m->flags & kSeen)) ++inbox_unseen_;
  }
}

void MailStore::remove_at(Folder& f, std::size_t pos, std::uint64_t modseq) {
  const MessagePtr m = f.d.messages[pos];
  f.d.messages.erase(f.d.messages.begin() + static_cast<std::ptrdiff_t>(pos));
  f.d.expunged.push_back({m->uid, modseq});
  f.count(*m, false);
  --count_;
  bytes_ -= m->size;
  if (m->arrival && arrivals_.erase(m->arrival)) {
    if (!(m->flags & kSeen)) --inbox_unseen_;
    inbox_bytes_ -= m->size;
  }
}

MessagePtr MailStore::append(std::string_view account, std::string_view folder, std::string data,
                             const AppendOptions& options) {
  FlagSet flags = parse_flags(options.flags);
  const std::string acc = normalize_mailbox(account);
  auto f = find_folder(acc, folder);
  auto bytes = std::make_shared<const std::string>(std::move(data));
  const std::int64_t date = options.internal_date.value_or(now_seconds());
  MessagePtr m;
  if (backend_ && backend_->appends_in_two_steps()) {
    m = append_grouped(*f, acc, std::move(bytes), flags.system, flags.keywords, date,
                       options.envelope);
  } else {
    std::lock_guard w(f->write);
    m = append_locked_folder(*f, acc, std::move(bytes), flags.system, flags.keywords, date,
                             options.envelope);
  }
  arrived_.notify_all();
  return m;
}

MessagePtr MailStore::append_grouped(Folder& f, const std::string& account,
                                     std::shared_ptr<const std::string> data, std::uint8_t flags,
                                     std::vector<std::string> keywords, std::int64_t date,
                                     std::shared_ptr<const Envelope> envelope) {
  check_message_size(data->size());
  Folder::QueuedAppend entry;
  entry.message = make_message();
  entry.keywords = std::move(keywords);
  Message& m = *entry.message;
  m.flags = flags;
  m.internal_date = date;
  m.size = data->size();
  m.envelope = std::move(envelope);
  std::shared_lock layout(f.layout);  // the folder keeps its name and directory
  std::string name;
  {
    std::lock_guard lock(mutex_);
    if (f.deleted) throw NoSuchFolder("the folder was deleted: " + f.d.info.name);
    check_room(1, m.size);
    name = f.d.info.name;
    m.home = f.d.home;  // where its file is until reserve_uid sets it again
  }
  backend_->write_new(account, name, m, *data);  // the slow part: no lock held
  {
    std::lock_guard q(f.queue_mutex);
    f.queued.push_back(&entry);
  }
  std::unique_lock w(f.write);
  if (!entry.done) {
    // The first to get here since the last batch commits every append queued
    // (its own among them), in UID order, with one flush.
    std::vector<Folder::QueuedAppend*> batch;
    {
      std::lock_guard q(f.queue_mutex);
      batch.swap(f.queued);
    }
    std::vector<Message*> reserved;
    for (auto* e : batch) {
      try {
        std::lock_guard lock(mutex_);
        if (f.deleted) throw NoSuchFolder("the folder was deleted: " + name);
        reserve_uid(f, *e->message, e->keywords);
        reserved.push_back(e->message.get());
      } catch (...) {
        e->error = std::current_exception();
        backend_->discard_new(*e->message);
      }
    }
    try {
      backend_->record_new(account, name, reserved);
    } catch (...) {
      const auto error = std::current_exception();
      for (auto* e : batch)
        if (!e->error) {
          e->error = error;
          backend_->discard_new(*e->message);
        }
    }
    {
      std::lock_guard lock(mutex_);
      for (auto* e : batch)
        if (!e->error) index_message(f, e->message);  // UIDs still ascending
    }
    for (auto* e : batch) {
      if (!e->error)
        emit({StoreChange::Kind::Appended, account, name, "", e->message->uid,
              e->message->modseq});
      e->done = true;
    }
  }
  w.unlock();
  if (entry.error) std::rethrow_exception(entry.error);
  return entry.message;
}

std::vector<MessagePtr> MailStore::messages(std::string_view account, std::string_view folder) const {
  auto f = find_folder(account, folder);
  std::lock_guard lock(mutex_);
  return f->d.messages;
}

MessagePtr MailStore::by_uid(std::string_view account, std::string_view folder,
                             std::uint32_t uid) const {
  auto f = find_folder(account, folder);
  std::lock_guard lock(mutex_);
  std::size_t i = find_uid(f->d.messages, uid);
  return i == std::string::npos ? nullptr : f->d.messages[i];
}

MessagePtr MailStore::at(std::string_view account, std::string_view folder,
                         std::size_t position) const {
  auto f = find_folder(account, folder);
  std::lock_guard lock(mutex_);
  if (position == 0 || position > f->d.messages.size()) return nullptr;
  return f->d.messages[position - 1];
}

std::vector<MessagePtr> MailStore::newest(std::string_view account, std::string_view folder,
                                          std::size_t start, std::size_t limit) const {
  auto f = find_folder(account, folder);
  std::lock_guard lock(mutex_);
  const auto& v = f->d.messages;
  std::vector<MessagePtr> out;
  for (std::size_t i = start; i < v.size() && out.size() < limit; ++i)
    out.push_back(v[v.size() - 1 - i]);
  return out;
}

std::size_t MailStore::position_of(std::string_view account, std::string_view folder,
                                   std::uint32_t uid) const {
  auto f = find_folder(account, folder);
  std::lock_guard lock(mutex_);
  std::size_t i = find_uid(f->d.messages, uid);
  return i == std::string::npos ? 0 : i + 1;
}

std::shared_ptr<const std::string> MailStore::read(const Message& m) const {
  if (m.data) return m.data;
  std::shared_ptr<const std::string> out = backend_ ? backend_->read(m) : nullptr;
  if (!out && backend_) {
    // The file may have been renamed by a flag change (or its folder renamed)
    // since `m` was taken: look up the current record, then read outside the lock.
    MessagePtr now;
    {
      std::lock_guard lock(mutex_);
      auto it = accounts_.find(m.account());
      if (it != accounts_.end())
        for (const auto& [_, f] : it->second->folders) {
          std::size_t i = find_uid(f->d.messages, m.uid);
          if (i != std::string::npos && f->d.messages[i]->base_name() == m.base_name()) {
            now = f->d.messages[i];
            break;
          }
        }
    }
    if (now && now->path() != m.path()) out = backend_->read(*now);
  }
  if (!out) throw NoSuchMessage("the message is gone (UID " + std::to_string(m.uid) + ")");
  return out;
}

std::shared_ptr<const std::string> MailStore::read(std::string_view account, std::string_view folder,
                                                   std::uint32_t uid) const {
  auto m = by_uid(account, folder, uid);
  if (!m) throw NoSuchMessage("no message with UID " + std::to_string(uid));
  return read(*m);
}

StoreResult MailStore::store(std::string_view account, std::string_view folder,
                             const std::vector<std::uint32_t>& uids, FlagChange change,
                             const std::vector<std::string>& flag_list,
                             std::optional<std::uint64_t> unchanged_since) {
  const FlagSet flags = parse_flags(flag_list);
  auto f = find_folder(account, folder);
  std::lock_guard w(f->write);
  StoreResult result;
  std::vector<std::pair<MessagePtr, MessageDraft>> todo;
  {
    std::lock_guard lock(mutex_);
    if (change != FlagChange::Remove) learn_keywords(*f, flags.keywords);
    const std::uint32_t bits = keyword_bits_of(f->d.home->keywords, flags.keywords);
    std::set<std::uint32_t> wanted(uids.begin(), uids.end());
    for (std::uint32_t uid : wanted) {
      std::size_t i = find_uid(f->d.messages, uid);
      if (i == std::string::npos) continue;  // RFC 9051 §6.4.9: absent UIDs are ignored
      const MessagePtr& m = f->d.messages[i];
      // RFC 7162 §3.1.3: a message changed after UNCHANGEDSINCE is left alone
      // and reported in the MODIFIED response code.
      if (unchanged_since && m->modseq > *unchanged_since) {
        result.modified.push_back(uid);
        continue;
      }
      // The folder's table only grows: the bits of an older record mean the
      // same in the folder's table now.
      std::uint8_t sys = m->flags;
      std::uint32_t kw = m->keyword_bits;
      if (change == FlagChange::Replace) {
        sys = flags.system;
        kw = bits;
      } else if (change == FlagChange::Add) {
        sys |= flags.system;
        kw |= bits;
      } else {
        sys &= static_cast<std::uint8_t>(~flags.system);
        kw &= ~bits;
      }
      // Nothing changes: no new MODSEQ (RFC 7162 §3.1.3 lets a no-op STORE keep it).
      if (sys == m->flags && kw == m->keyword_bits) continue;
      auto updated = make_message(*m);
      updated->flags = sys;
      updated->keyword_bits = kw;
      updated->home = f->d.home;
      updated->modseq = ++f->d.highestmodseq;
      todo.emplace_back(m, std::move(updated));
    }
  }
  for (auto& [old, updated] : todo) {
    if (backend_) backend_->set_flags(old->account(), f->d.info.name, *old, *updated);
    {
      std::lock_guard lock(mutex_);
      std::size_t i = find_uid(f->d.messages, old->uid);
      if (i != std::string::npos) replace_message(*f, i, updated);
    }
    result.changed.push_back(updated);
    emit({StoreChange::Kind::FlagsChanged, old->account(), f->d.info.name, "", updated->uid,
          updated->modseq});
  }
  return result;
}

CopyResult MailStore::copy(std::string_view account, std::string_view from,
                           const std::vector<std::uint32_t>& uids, std::string_view to) {
  const std::string acc = normalize_mailbox(account);
  auto src = find_folder(acc, from);
  auto dst = find_folder(acc, to);
  std::unique_lock<std::mutex> a(src->write, std::defer_lock), b(dst->write, std::defer_lock);
  if (src == dst)
    a.lock();
  else
    std::lock(a, b);
  std::vector<MessagePtr> picked;
  std::uint64_t bytes = 0;
  CopyResult result;
  {
    std::lock_guard lock(mutex_);
    std::set<std::uint32_t> wanted(uids.begin(), uids.end());
    for (std::uint32_t uid : wanted) {
      std::size_t i = find_uid(src->d.messages, uid);
      if (i == std::string::npos) continue;
      picked.push_back(src->d.messages[i]);
      bytes += src->d.messages[i]->size;
    }
    check_room(picked.size(), bytes);  // all or none (RFC 9051 §6.4.7)
    result.uidvalidity = dst->d.uidvalidity;
  }
  for (const auto& m : picked) {
    auto data = read(*m);
    auto copy = append_locked_folder(*dst, acc, data, m->flags, m->keywords(), m->internal_date,
                                     m->envelope);
    result.source_uids.push_back(m->uid);
    result.dest_uids.push_back(copy->uid);
  }
  if (!picked.empty()) arrived_.notify_all();
  return result;
}

CopyResult MailStore::move(std::string_view account, std::string_view from,
                           const std::vector<std::uint32_t>& uids, std::string_view to) {
  // RFC 6851 §3.3: like COPY, then the copied messages are expunged from the
  // source, with no \Deleted left behind anywhere.
  CopyResult r = copy(account, from, uids, to);
  auto f = find_folder(account, from);
  std::lock_guard w(f->write);
  for (std::uint32_t uid : r.source_uids) {
    MessagePtr m;
    std::uint64_t modseq;
    {
      std::lock_guard lock(mutex_);
      std::size_t i = find_uid(f->d.messages, uid);
      if (i == std::string::npos) continue;
      m = f->d.messages[i];
      modseq = ++f->d.highestmodseq;
    }
    if (backend_) backend_->expunge(m->account(), f->d.info.name, *m, modseq);
    {
      std::lock_guard lock(mutex_);
      std::size_t i = find_uid(f->d.messages, uid);
      if (i != std::string::npos) remove_at(*f, i, modseq);
    }
    emit({StoreChange::Kind::Expunged, m->account(), f->d.info.name, "", uid, modseq});
  }
  return r;
}

std::vector<std::uint32_t> MailStore::expunge(std::string_view account, std::string_view folder,
                                              std::optional<std::vector<std::uint32_t>> uids) {
  auto f = find_folder(account, folder);
  std::lock_guard w(f->write);
  std::vector<MessagePtr> gone;
  {
    std::lock_guard lock(mutex_);
    std::set<std::uint32_t> wanted;
    if (uids) wanted.insert(uids->begin(), uids->end());
    for (const auto& m : f->d.messages)
      if ((m->flags & kDeleted) && (!uids || wanted.count(m->uid))) gone.push_back(m);
  }
  std::vector<std::uint32_t> out;
  for (const auto& m : gone) {
    std::uint64_t modseq;
    {
      std::lock_guard lock(mutex_);
      modseq = ++f->d.highestmodseq;
    }
    if (backend_) backend_->expunge(m->account(), f->d.info.name, *m, modseq);
    {
      std::lock_guard lock(mutex_);
      std::size_t i = find_uid(f->d.messages, m->uid);
      if (i != std::string::npos) remove_at(*f, i, modseq);
    }
    emit({StoreChange::Kind::Expunged, m->account(), f->d.info.name, "", m->uid, modseq});
    out.push_back(m->uid);
  }
  return out;
}

std::vector<std::uint32_t> MailStore::expunged_since(std::string_view account,
                                                     std::string_view folder,
                                                     std::uint64_t modseq) const {
  auto f = find_folder(account, folder);
  std::lock_guard lock(mutex_);
  std::vector<std::uint32_t> out;
  for (auto it = f->d.expunged.rbegin(); it != f->d.expunged.rend() && it->modseq > modseq; ++it)
    out.push_back(it->uid);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace mailroom::store
