// The Maildir++ backend: root/<address>/ is an account's INBOX, and
// root/<address>/.Name.Sub/ its folder "Name/Sub" (with a `maildirfolder`
// file). Per folder, as Dovecot keeps them:
//   dovecot-uidlist   "3 V<uidvalidity> N<uidnext> G<guid>", then "<uid> :<name>"
//                     per message (the N field is fixed-width here, so the
//                     header is updated in place at each append)
//   dovecot-keywords  "<index> <keyword>": keyword i is the letter 'a'+i in
//                     the file names' info (":2,<DFRST><a..z>")
// and one file of our own, since Maildir has no place for them:
//   mailroom-modseq   "<uid> <modseq> <info>" per append or flag change,
//                     "X <uid> <modseq>" per expunge (RFC 7162 state),
//                     appended and fsync'd before the change is acknowledged.
// Files found without a UID get one at open; flags changed by another program
// while the store was closed get a new MODSEQ; files that vanished are
// expunged then.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "mailroom/store/backend.hpp"

namespace mailroom::store {

namespace maildir {
// What this process left of a UID list file after its last write: another
// program has written the list since when its inode or size differ.
struct UidlistStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = -1;
};
}  // namespace maildir

class MaildirBackend final : public Backend {
 public:
  explicit MaildirBackend(std::filesystem::path root);

  std::vector<LoadedAccount> load() override;
  void create_folder(const std::string& account, const FolderData& folder) override;
  void delete_folder(const std::string& account, const std::string& name) override;
  void rename_folder(const std::string& account, const std::string& from,
                     const std::string& to) override;
  void append(const std::string& account, const std::string& folder, Message& msg,
              const std::string& data) override;
  // Group commit (backend.hpp): write_new leaves the file synced in tmp/;
  // record_new, under the UID list lock, moves a group into new/ or cur/ and
  // writes their records with one flush per directory and one for the list.
  bool appends_in_two_steps() const override { return true; }
  void write_new(const std::string& account, const std::string& folder, Message& msg,
                 const std::string& data) override;
  void record_new(const std::string& account, const std::string& folder,
                  const std::vector<Message*>& msgs) override;
  void discard_new(const Message& msg) override;
  void set_flags(const std::string& account, const std::string& folder, const Message& old,
                 Message& updated) override;
  void expunge(const std::string& account, const std::string& folder, const Message& msg,
               std::uint64_t modseq) override;
  std::shared_ptr<const std::string> read(const Message& msg) override;
  std::string directory(const std::string& account, const std::string& folder) const override {
    return folder_dir(account, folder).string();
  }
  // root/<address>/subscriptions, Dovecot's format (subscriptions_file.hpp).
  std::vector<std::string> load_subscriptions(const std::string& account) override;
  void save_subscriptions(const std::string& account,
                          const std::vector<std::string>& names) override;
  std::size_t stale_tmp_removed() const override { return stale_tmp_removed_; }
  std::vector<std::string> open_notes() const override { return open_notes_; }

  // The directory of a folder of an account.
  std::filesystem::path folder_dir(const std::string& account, const std::string& folder) const;

 private:
  FolderData load_folder(const std::filesystem::path& dir, const std::string& account,
                         const std::string& name);
  // The info after ":2," for these flags, adding keywords to the folder's
  // dovecot-keywords file when new.
  std::string info_for(const std::filesystem::path& dir, std::uint8_t flags,
                       const std::vector<std::string>& keywords);
  std::string unique_name();
  // What this process last left of a folder's UID list (maildir_uidlist.hpp).
  maildir::UidlistStamp uidlist_stamp(const std::filesystem::path& dir);
  void set_uidlist_stamp(const std::filesystem::path& dir, const maildir::UidlistStamp& stamp);

  std::filesystem::path root_;
  std::string hostname_;
  std::atomic<std::uint64_t> counter_{0};
  std::size_t stale_tmp_removed_ = 0;
  std::vector<std::string> open_notes_;
  std::mutex keywords_mutex_;
  std::map<std::string, std::vector<std::string>> keywords_;  // folder dir -> keywords
  std::mutex stamps_mutex_;
  std::map<std::string, maildir::UidlistStamp> stamps_;  // folder dir -> its UID list
};

}  // namespace mailroom::store
