// MailStore: accounts and folders (create, delete, rename, list, status).
#include <ctime>

#include "mail_store_parts.hpp"

namespace mailroom::store {

using namespace store_detail;

// ---- accounts and folders ----------------------------------------------------

std::shared_ptr<MailStore::Account> MailStore::find_account(std::string_view account) const {
  const std::string key = normalize_mailbox(account);
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(key);
  if (it == accounts_.end()) throw NoSuchAccount("no such account: " + key);
  return it->second;
}

std::shared_ptr<MailStore::Folder> MailStore::find_folder(std::string_view account,
                                                          std::string_view name) const {
  const std::string key = normalize_mailbox(account);
  const std::string folder = checked_folder_name(name);
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(key);
  if (it == accounts_.end()) throw NoSuchAccount("no such account: " + key);
  auto f = it->second->folders.find(folder);
  if (f == it->second->folders.end()) throw NoSuchFolder("no such folder: " + folder + " of " + key);
  return f->second;
}

std::string MailStore::ensure_account(std::string_view address) {
  std::string key = normalize_mailbox(address);
  if (key.empty() || key.size() > 320) throw StoreError("an account is an address of 1 to 320 octets");
  for (unsigned char c : key)
    if (c < 0x20 || c == 0x7f) throw StoreError("a control character in an account name");
  {
    std::lock_guard lock(mutex_);
    if (accounts_.count(key)) return key;
  }
  // Folders are made on disk before the account is visible; two threads
  // delivering to a new address meet at the map below.
  static std::mutex creating;
  std::lock_guard one(creating);
  {
    std::lock_guard lock(mutex_);
    if (accounts_.count(key)) return key;
  }
  auto acc = std::make_shared<Account>();
  acc->name = key;
  std::vector<std::string> names{"INBOX"};
  names.insert(names.end(), std::begin(kDefaultFolders), std::end(kDefaultFolders));
  for (const auto& n : names) {
    auto f = std::make_shared<Folder>();
    f->d.info = {n, special_use_of(n)};
    f->d.uidvalidity = fresh_uidvalidity();
    f->d.home = home_of(key, n, {});
    if (backend_) backend_->create_folder(key, f->d);
    if (n == "INBOX") acc->inbox = f;
    acc->folders[n] = std::move(f);
  }
  {
    std::lock_guard lock(mutex_);
    accounts_[key] = std::move(acc);
  }
  for (const auto& n : names) emit({StoreChange::Kind::FolderCreated, key, n, "", 0, 0});
  return key;
}

FolderHomePtr MailStore::home_of(const std::string& account, const std::string& folder,
                                std::vector<std::string> keywords) const {
  return std::make_shared<const FolderHome>(
      FolderHome{account, backend_ ? backend_->directory(account, folder) : std::string(),
                 std::move(keywords)});
}

std::vector<std::string> MailStore::accounts() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [k, _] : accounts_) out.push_back(k);
  return out;
}

std::vector<FolderInfo> MailStore::list_folders(std::string_view account) const {
  auto acc = find_account(account);
  std::lock_guard lock(mutex_);
  std::vector<FolderInfo> out;
  out.push_back(acc->inbox->d.info);
  for (const auto& [name, f] : acc->folders)
    if (name != "INBOX") out.push_back(f->d.info);
  return out;
}

void MailStore::create_folder(std::string_view account, std::string_view name) {
  const std::string folder = checked_folder_name(name);
  auto acc = find_account(account);
  std::lock_guard w(acc->folders_write);
  // RFC 9051 §6.3.4: superior levels are made too ("a/b" makes "a").
  std::vector<std::string> todo;
  for (std::size_t i = folder.find(kFolderSeparator); i != std::string::npos;
       i = folder.find(kFolderSeparator, i + 1))
    todo.push_back(folder.substr(0, i));
  todo.push_back(folder);
  {
    std::lock_guard lock(mutex_);
    if (acc->folders.count(folder)) throw FolderExists("folder exists: " + folder);
    std::erase_if(todo, [&](const std::string& n) { return acc->folders.count(n) > 0; });
    if (acc->folders.size() + todo.size() > limits_.max_folders)
      throw LimitExceeded("an account has at most " + std::to_string(limits_.max_folders) + " folders");
  }
  for (const auto& n : todo) {
    auto f = std::make_shared<Folder>();
    f->d.info = {n, ""};
    f->d.uidvalidity = fresh_uidvalidity();
    f->d.home = home_of(acc->name, n, {});
    if (backend_) backend_->create_folder(acc->name, f->d);
    {
      std::lock_guard lock(mutex_);
      acc->folders[n] = std::move(f);
    }
    emit({StoreChange::Kind::FolderCreated, acc->name, n, "", 0, 0});
  }
}

void MailStore::delete_folder(std::string_view account, std::string_view name) {
  const std::string folder = checked_folder_name(name);
  if (folder == "INBOX") throw FolderNotAllowed("INBOX cannot be deleted (RFC 9051 §6.3.5)");
  auto acc = find_account(account);
  std::lock_guard w(acc->folders_write);
  auto f = find_folder(account, folder);
  std::unique_lock layout(f->layout);  // no append is between its file and its UID
  std::lock_guard fw(f->write);
  if (backend_) backend_->delete_folder(acc->name, folder);
  {
    std::lock_guard lock(mutex_);
    f->deleted = true;
    count_ -= f->d.messages.size();
    bytes_ -= f->size;
    acc->folders.erase(folder);
  }
  emit({StoreChange::Kind::FolderDeleted, acc->name, folder, "", 0, 0});
}

void MailStore::rename_folder(std::string_view account, std::string_view from_name,
                              std::string_view to_name) {
  const std::string from = checked_folder_name(from_name), to = checked_folder_name(to_name);
  if (to == "INBOX") throw FolderExists("folder exists: INBOX");
  if (to == from || to.rfind(from + kFolderSeparator, 0) == 0)
    throw FolderNotAllowed("a folder cannot be renamed to itself or below itself");
  auto acc = find_account(account);
  if (from == "INBOX") {
    // RFC 9051 §6.3.6: renaming INBOX moves its messages to the new name and
    // leaves INBOX empty.
    create_folder(account, to);
    std::vector<std::uint32_t> uids;
    for (const auto& m : messages(account, "INBOX")) uids.push_back(m->uid);
    move(account, "INBOX", uids, to);
    return;
  }
  std::lock_guard w(acc->folders_write);
  std::vector<std::string> names;  // the folder and its inferiors (renamed too)
  {
    std::lock_guard lock(mutex_);
    if (!acc->folders.count(from)) throw NoSuchFolder("no such folder: " + from);
    for (const auto& [n, _] : acc->folders)
      if (n == from || n.rfind(from + kFolderSeparator, 0) == 0) names.push_back(n);
    for (const auto& n : names)
      if (acc->folders.count(to + n.substr(from.size())))
        throw FolderExists("folder exists: " + to + n.substr(from.size()));
  }
  for (const auto& n : names) {
    const std::string target = to + n.substr(from.size());
    auto f = find_folder(account, n);
    std::unique_lock layout(f->layout);
    std::lock_guard fw(f->write);
    if (backend_) backend_->rename_folder(acc->name, n, target);
    {
      std::lock_guard lock(mutex_);
      if (backend_) {  // the records name the folder's new directory
        f->d.home = home_of(acc->name, target, f->d.keywords);
        for (auto& m : f->d.messages) {
          auto copy = make_message(*m);
          copy->home = f->d.home;
          m = copy;
        }
      }
      f->d.info = {target, special_use_of(target)};
      acc->folders.erase(n);
      acc->folders[target] = f;
    }
    emit({StoreChange::Kind::FolderRenamed, acc->name, target, n, 0, 0});
  }
}

FolderStatus MailStore::status(std::string_view account, std::string_view folder) const {
  auto f = find_folder(account, folder);
  std::lock_guard lock(mutex_);
  FolderStatus s;
  s.messages = f->d.messages.size();
  s.uidnext = f->d.uidnext;
  s.uidvalidity = f->d.uidvalidity;
  s.highestmodseq = f->d.highestmodseq;
  s.unseen = f->unseen;
  s.deleted = f->deleted_count;
  s.size = f->size;
  return s;
}

MessageCounts MailStore::account_counts(std::string_view account) const {
  auto acc = find_account(account);
  std::lock_guard lock(mutex_);
  MessageCounts c;
  for (const auto& [_, f] : acc->folders) {
    c.messages += f->d.messages.size();
    c.unseen += f->unseen;
    c.size += f->size;
  }
  return c;
}

std::shared_ptr<MailStore::Folder> MailStore::find_inbox(const std::string& normalized) const {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(normalized);
  return it == accounts_.end() ? nullptr : it->second->inbox;
}

std::set<std::string> MailStore::subscriptions(std::string_view account) const {
  std::lock_guard lock(subscriptions_mutex_);
  auto it = subscriptions_.find(std::string(account));
  if (it == subscriptions_.end()) {
    std::set<std::string> loaded;
    if (backend_)
      for (auto& n : backend_->load_subscriptions(std::string(account))) {
        if (loaded.size() >= kMaxSubscriptions) break;
        loaded.insert(std::move(n));
      }
    it = subscriptions_.emplace(std::string(account), std::move(loaded)).first;
  }
  return it->second;
}

void MailStore::set_subscribed(std::string_view account, std::string_view folder, bool on) {
  subscriptions(account);  // loaded
  std::lock_guard lock(subscriptions_mutex_);
  auto& names = subscriptions_[std::string(account)];
  const std::string name(folder);
  if (on == (names.count(name) > 0)) return;
  if (on && names.size() >= kMaxSubscriptions)
    throw LimitExceeded("an account has at most " + std::to_string(kMaxSubscriptions) +
                        " subscriptions");
  std::set<std::string> next = names;
  if (on)
    next.insert(name);
  else
    next.erase(name);
  // On disk first: what the client is told was done is kept.
  if (backend_) backend_->save_subscriptions(std::string(account), {next.begin(), next.end()});
  names = std::move(next);
}

}  // namespace mailroom::store
