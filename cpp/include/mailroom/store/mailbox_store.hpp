// Mailbox stores: where local delivery puts one copy of a message per
// recipient. In memory (the tester's default) or Maildir (one Maildir per
// address, written the qmail way: tmp/, fsync, rename into new/).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/smtp/dsn_parameters.hpp"

namespace mailroom::store {

struct Envelope {
  std::string mail_from;              // "" for the null sender <>
  std::vector<std::string> rcpt_to;   // all recipients of the transaction
  std::string peer;                   // "ip:port" of the client
  double received_at = 0;             // seconds since the epoch
  smtp::MessageDsn dsn;               // RET and ENVID (RFC 3461)
  std::vector<smtp::RecipientDsn> rcpt_dsn;  // NOTIFY and ORCPT, one per rcpt_to (or none)
};

// One stored copy of a message in one mailbox.
struct StoredMessage {
  std::uint64_t seq = 0;        // arrival order over the whole store, from 1
  std::string mailbox;          // normalized address (domain lower-cased)
  std::string uid;              // stable unique id (the Maildir base name)
  std::shared_ptr<const std::string> data;  // bytes as stored (with trace headers)
  std::shared_ptr<const Envelope> envelope;
  std::filesystem::path path;   // Maildir file, empty in memory
  bool seen = false;            // Maildir: in cur/ with the S flag
};

using MessagePtr = std::shared_ptr<const StoredMessage>;

// Lower-cases the domain; keeps the local part as written (RFC 5321 §2.4:
// local parts may be case-sensitive). "<>" and bare names map to themselves.
std::string normalize_mailbox(std::string_view address);

class MailboxStore {
 public:
  virtual ~MailboxStore() = default;

  // Puts `data` in each mailbox of `mailboxes`; returns once it is stored
  // (for Maildir: on stable storage). Throws std::runtime_error on failure, in
  // which case nothing was delivered to the mailboxes that failed.
  std::vector<MessagePtr> deliver(const std::vector<std::string>& mailboxes,
                                  std::shared_ptr<const std::string> data,
                                  std::shared_ptr<const Envelope> envelope);

  std::vector<MessagePtr> all() const;                       // arrival order
  std::vector<MessagePtr> mailbox(std::string_view address) const;
  std::vector<MessagePtr> since(std::uint64_t seq) const;     // seq > given
  std::uint64_t last_seq() const;
  std::size_t count() const;
  std::uint64_t bytes() const;  // octets held, counted per copy
  void clear();  // forget everything (Maildir: removes the message files)

  // Removes copies from a mailbox by uid (POP3 DELE committed at QUIT);
  // returns how many were removed. Maildir: the files are unlinked.
  std::size_t remove(std::string_view mailbox, const std::vector<std::string>& uids);
  // Marks copies as seen (Maildir: moved from new/ to cur/ with ":2,S").
  void mark_seen(std::string_view mailbox, const std::vector<std::string>& uids);

  // Exclusive access to one mailbox (one POP3 session at a time).
  bool try_lock_mailbox(std::string_view mailbox);
  void unlock_mailbox(std::string_view mailbox);

  // Blocks until a message with seq > `after` arrives, the timeout passes or
  // wake_all() is called; returns last_seq().
  std::uint64_t wait_after(std::uint64_t after, std::chrono::milliseconds timeout);
  void wake_all();

 protected:
  // Writes one copy; returns its uid and path. Called without the lock held.
  virtual void write_copy(const std::string& mailbox, const std::string& data,
                          std::string& uid, std::filesystem::path& path) = 0;
  virtual void remove_copy(const StoredMessage&) {}
  // Moves a copy to "seen"; returns its new path (Maildir) or the old one.
  virtual std::filesystem::path seen_copy(const StoredMessage& m) { return m.path; }
  void add_loaded(StoredMessage msg);  // for stores that find mail at start

 private:
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<MessagePtr> messages_;
  std::uint64_t next_seq_ = 1;
  std::uint64_t bytes_ = 0;
  std::uint64_t wake_generation_ = 0;
  std::vector<std::string> locked_;  // mailboxes held by a session
};

class MemoryStore final : public MailboxStore {
 protected:
  void write_copy(const std::string& mailbox, const std::string& data, std::string& uid,
                  std::filesystem::path& path) override;

 private:
  std::uint64_t counter_ = 0;
  std::mutex counter_mutex_;
};

// root/<address>/{tmp,new,cur}. Existing mail is found at construction.
class MaildirStore final : public MailboxStore {
 public:
  explicit MaildirStore(std::filesystem::path root);
  const std::filesystem::path& root() const { return root_; }

  // The Maildir of an address (created on first delivery).
  std::filesystem::path maildir_for(std::string_view mailbox) const;
  // Files older than 36 hours found in tmp/ at open (left by a crash) and removed.
  std::size_t stale_tmp_removed() const { return stale_tmp_removed_; }

 protected:
  void write_copy(const std::string& mailbox, const std::string& data, std::string& uid,
                  std::filesystem::path& path) override;
  void remove_copy(const StoredMessage&) override;
  std::filesystem::path seen_copy(const StoredMessage& m) override;

 private:
  void load_existing();
  std::string unique_name();

  std::filesystem::path root_;
  std::string hostname_;
  std::mutex name_mutex_;
  std::uint64_t counter_ = 0;
  std::size_t stale_tmp_removed_ = 0;
};

}  // namespace mailroom::store
