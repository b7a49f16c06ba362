// The mail store: accounts (normalized addresses) -> folders -> messages
// with UIDs, flags, keywords, internal dates, sizes and MODSEQs. Kept in
// memory, or in a Maildir++ tree (maildir_backend.hpp) that Dovecot, mutt and
// Python's mailbox read. Thread-safe: reads take a short index lock; changes
// to one folder are serialized by that folder's write lock, which is held
// while the backend writes (so the index lock is never held during I/O).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/store/arrival_index.hpp"
#include "mailroom/store/backend.hpp"
#include "mailroom/store/errors.hpp"
#include "mailroom/store/flags.hpp"
#include "mailroom/store/folder_name.hpp"
#include "mailroom/store/folder_state.hpp"
#include "mailroom/store/message.hpp"
#include "mailroom/store/store_change.hpp"

namespace mailroom::store {

struct StoreLimits {
  std::size_t max_messages = 1'000'000;  // over the whole store
  std::uint64_t max_bytes = std::uint64_t{4} << 30;
  std::size_t max_folders = 1000;        // per account
  std::size_t max_keywords = 26;         // per folder (Maildir: the letters a..z)
  std::size_t max_message_size = std::size_t{64} << 20;
};

enum class FlagChange { Add, Remove, Replace };  // RFC 9051 §6.4.6 +FLAGS, -FLAGS, FLAGS

struct StoreResult {
  std::vector<MessagePtr> changed;     // records after the change (modseq bumped)
  std::vector<std::uint32_t> modified; // RFC 7162 §3.1.3: failed UNCHANGEDSINCE
};

struct CopyResult {  // RFC 4315 COPYUID
  std::uint32_t uidvalidity = 0;
  std::vector<std::uint32_t> source_uids;
  std::vector<std::uint32_t> dest_uids;
};

// How many messages, how many without \Seen, how many octets: kept as
// messages come, change flags and go, so asking costs no walk.
struct MessageCounts {
  std::size_t messages = 0;
  std::size_t unseen = 0;
  std::uint64_t size = 0;
};

struct AppendOptions {
  std::vector<std::string> flags;        // "\Seen", "$Label", ...
  std::optional<std::int64_t> internal_date;  // default: now
  std::shared_ptr<const Envelope> envelope;
};

class MailStore {
 public:
  // In memory.
  explicit MailStore(StoreLimits limits = {});
  // Maildir++ under `root` (created when missing): root/<address>/ is an
  // account's INBOX, root/<address>/.Name/ its folders. Existing mail is found.
  explicit MailStore(const std::filesystem::path& root, StoreLimits limits = {});
  ~MailStore();
  MailStore(const MailStore&) = delete;
  MailStore& operator=(const MailStore&) = delete;

  const std::filesystem::path& root() const { return root_; }  // empty in memory
  bool in_memory() const { return root_.empty(); }
  StoreLimits& limits() { return limits_; }  // before use, not concurrently
  std::size_t stale_tmp_removed() const;
  // What opening a Maildir found and left alone, one line each (at most 100).
  std::vector<std::string> open_notes() const;
  // Every change as an event (store_change.hpp); null: none.
  void set_change_hook(ChangeHook hook);

  // ---- accounts and folders
  // Makes the account (INBOX and the RFC 6154 folders Sent, Drafts, Trash,
  // Junk, Archive) unless it exists; returns the normalized address.
  std::string ensure_account(std::string_view address);
  std::vector<std::string> accounts() const;
  std::vector<FolderInfo> list_folders(std::string_view account) const;
  void create_folder(std::string_view account, std::string_view name);
  void delete_folder(std::string_view account, std::string_view name);
  // RFC 9051 §6.3.6: renaming INBOX moves its messages to a new folder.
  void rename_folder(std::string_view account, std::string_view from, std::string_view to);
  // O(1): the counts are kept per folder.
  FolderStatus status(std::string_view account, std::string_view folder) const;
  // Every folder of one account, summed (O(folders)).
  MessageCounts account_counts(std::string_view account) const;

  // ---- messages (uids are UIDs; positions are 1-based sequence numbers)
  MessagePtr append(std::string_view account, std::string_view folder, std::string data,
                    const AppendOptions& options = {});
  std::vector<MessagePtr> messages(std::string_view account, std::string_view folder) const;
  MessagePtr by_uid(std::string_view account, std::string_view folder, std::uint32_t uid) const;
  MessagePtr at(std::string_view account, std::string_view folder, std::size_t position) const;
  // 1-based position of a UID, 0 when absent.
  std::size_t position_of(std::string_view account, std::string_view folder, std::uint32_t uid) const;
  // A page of a folder newest (highest UID) first: `limit` messages from
  // position `start`, 0 being the newest; O(limit).
  std::vector<MessagePtr> newest(std::string_view account, std::string_view folder,
                                 std::size_t start, std::size_t limit) const;
  // The bytes (read from disk for Maildir); NoSuchMessage when gone.
  std::shared_ptr<const std::string> read(const Message& m) const;
  std::shared_ptr<const std::string> read(std::string_view account, std::string_view folder,
                                          std::uint32_t uid) const;
  StoreResult store(std::string_view account, std::string_view folder,
                    const std::vector<std::uint32_t>& uids, FlagChange change,
                    const std::vector<std::string>& flags,
                    std::optional<std::uint64_t> unchanged_since = std::nullopt);
  CopyResult copy(std::string_view account, std::string_view from,
                  const std::vector<std::uint32_t>& uids, std::string_view to);
  CopyResult move(std::string_view account, std::string_view from,
                  const std::vector<std::uint32_t>& uids, std::string_view to);
  // Removes the messages flagged \Deleted (of `uids` only, when given: UID
  // EXPUNGE, RFC 9051 §6.4.9); returns the UIDs removed.
  std::vector<std::uint32_t> expunge(std::string_view account, std::string_view folder,
                                     std::optional<std::vector<std::uint32_t>> uids = std::nullopt);
  // IMAP subscriptions (RFC 9051 §6.3.7): names as the store spells them
  // (UTF-8), kept by the backend (a Maildir's `subscriptions` file, which
  // Dovecot reads too). At most kMaxSubscriptions per account.
  static constexpr std::size_t kMaxSubscriptions = 10'000;
  std::set<std::string> subscriptions(std::string_view account) const;
  void set_subscribed(std::string_view account, std::string_view folder, bool on);
  // UIDs expunged after `modseq` (RFC 7162 §3.2.5.1, VANISHED (EARLIER)).
  std::vector<std::uint32_t> expunged_since(std::string_view account, std::string_view folder,
                                            std::uint64_t modseq) const;

  // ---- what the mail server uses
  // One copy in each account's INBOX (made when missing); all or nothing.
  std::vector<MessagePtr> deliver(const std::vector<std::string>& accounts,
                                  std::shared_ptr<const std::string> data,
                                  std::shared_ptr<const Envelope> envelope);
  std::vector<MessagePtr> all() const;                         // INBOXes, arrival order
  // A page of every account's INBOX, newest arrival first: `limit` messages
  // from position `start` (0 = the newest), O(limit log n); and their counts, O(1).
  std::vector<MessagePtr> newest(std::size_t start, std::size_t limit) const;
  MessageCounts inbox_counts() const;
  std::vector<MessagePtr> inbox(std::string_view address) const;
  std::vector<MessagePtr> since(std::uint64_t arrival) const;  // arrival > given
  std::uint64_t last_seq() const;
  std::size_t count() const;    // messages in every folder
  // Whether `messages` more of `bytes` octets in all fit the limits (one look).
  bool has_room(std::size_t messages, std::uint64_t bytes) const;
  // The UIDVALIDITY of an account's INBOX (the address as the store spells
  // it: no normalizing), 0 when there is no such account.
  std::uint32_t inbox_uidvalidity(const std::string& account) const;
  std::uint64_t bytes() const;  // octets in every folder
  // Removes every message of every folder (the folders stay).
  void clear();
  // Exclusive access to one INBOX (one POP3 session at a time).
  bool try_lock_mailbox(std::string_view address);
  void unlock_mailbox(std::string_view address);
  // Blocks until an arrival after `after`, the timeout or wake_all(); returns last_seq().
  std::uint64_t wait_after(std::uint64_t after, std::chrono::milliseconds timeout);
  void wake_all();

 private:
  struct Folder;
  struct Account;
  std::shared_ptr<Folder> find_folder(std::string_view account, std::string_view name) const;
  std::shared_ptr<Account> find_account(std::string_view account) const;
  void check_room(std::size_t messages, std::uint64_t bytes) const;
  // The account's INBOX, the address normalized once; null when no account.
  std::shared_ptr<Folder> find_inbox(const std::string& normalized) const;
  // A new message into the folder's index (index lock held): the folder's
  // UIDNEXT above its UID (which a Maildir another program writes may have
  // raised), an arrival number in INBOX, the counts.
  void index_message(Folder& f, const MessageDraft& m);
  // LimitExceeded past Limits::max_message_size.
  void check_message_size(std::size_t size) const;
  // A new message's UID and MODSEQ, after the limits are checked, and its
  // keywords as bits of the folder's table (index lock held).
  void reserve_uid(Folder& f, Message& m, const std::vector<std::string>& keywords);
  // Keywords new to the folder join its table (and a new FolderHome).
  void learn_keywords(Folder& f, const std::vector<std::string>& keywords);
  // The FolderHome of a folder made or renamed (no keywords yet when made).
  FolderHomePtr home_of(const std::string& account, const std::string& folder,
                        std::vector<std::string> keywords) const;
  void replace_message(Folder& f, std::size_t pos, const MessagePtr& m);
  void remove_at(Folder& f, std::size_t pos, std::uint64_t modseq);
  void emit(StoreChange change) const;
  // An append through Backend::write_new (f.write not held): the file is
  // written at once, and whoever holds f.write next gives every message
  // queued so far its UID with one flush (group commit).
  MessagePtr append_grouped(Folder& f, const std::string& account,
                            std::shared_ptr<const std::string> data, std::uint8_t flags,
                            std::vector<std::string> keywords, std::int64_t date,
                            std::shared_ptr<const Envelope> envelope);
  // Appends with f.write held: UID, MODSEQ, backend, index.
  MessagePtr append_locked_folder(Folder& f, const std::string& account,
                                  std::shared_ptr<const std::string> data,
                                  std::uint8_t flags, std::vector<std::string> keywords,
                                  std::int64_t date, std::shared_ptr<const Envelope> envelope);

  std::filesystem::path root_;
  StoreLimits limits_;
  std::unique_ptr<Backend> backend_;
  mutable std::mutex mutex_;  // the index: accounts, folders' contents, arrivals
  std::condition_variable arrived_;
  std::map<std::string, std::shared_ptr<Account>> accounts_;
  ArrivalIndex arrivals_;  // INBOX messages by arrival
  std::size_t inbox_unseen_ = 0;
  std::uint64_t inbox_bytes_ = 0;
  std::uint64_t next_arrival_ = 1;
  std::size_t count_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t wake_generation_ = 0;
  std::vector<std::string> locked_;
  mutable std::mutex subscriptions_mutex_;  // held while the backend writes them
  mutable std::map<std::string, std::set<std::string>> subscriptions_;  // loaded on first use
  mutable std::mutex hook_mutex_;
  std::shared_ptr<ChangeHook> hook_;
};

}  // namespace mailroom::store
