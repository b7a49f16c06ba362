// Where a MailStore keeps its folders: nowhere (memory) or a Maildir++ tree.
// The store calls a backend with the folder's write lock held (one writer per
// folder), never with the store's index lock held.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mailroom/store/folder_state.hpp"

namespace mailroom::store {

struct LoadedAccount {
  std::string account;
  std::vector<FolderData> folders;  // INBOX first
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Everything on disk (each folder's FolderData::home made); called once,
  // before any other call.
  virtual std::vector<LoadedAccount> load() = 0;
  virtual void create_folder(const std::string& account, const FolderData& folder) = 0;
  virtual void delete_folder(const std::string& account, const std::string& name) = 0;
  virtual void rename_folder(const std::string& account, const std::string& from,
                             const std::string& to) = 0;
  // Puts a new message in the folder and fills msg.file/path (not data): on
  // stable storage, with its UID and MODSEQ, before it returns. msg.uid may
  // come back higher than given when another program took that UID.
  virtual void append(const std::string& account, const std::string& folder, Message& msg,
                      const std::string& data) = 0;
  // An append in two steps, for a backend whose append waits for the disk,
  // so that appends to one folder share their flushes (group commit):
  // write_new() without the folder's write lock puts the message's bytes on
  // stable storage under a name of its own (fills msg.file; msg.home must be
  // set, not the UID); record_new() then, with the lock, makes several such
  // messages part of the folder (UIDs ascending, MODSEQs set, flags and
  // keywords known) with one flush for all; each may come back with a higher
  // UID, as from append(). discard_new() removes the file of one that is not
  // kept, wherever it is. false: append().
  virtual bool appends_in_two_steps() const { return false; }
  virtual void write_new(const std::string& /*account*/, const std::string& /*folder*/,
                         Message& /*msg*/, const std::string& /*data*/) {}
  virtual void record_new(const std::string& /*account*/, const std::string& /*folder*/,
                          const std::vector<Message*>& /*msgs*/) {}
  virtual void discard_new(const Message& /*msg*/) {}
  // The same message with other flags (updated.flags, keywords, modseq set).
  virtual void set_flags(const std::string& account, const std::string& folder,
                         const Message& old, Message& updated) = 0;
  virtual void expunge(const std::string& account, const std::string& folder,
                       const Message& msg, std::uint64_t modseq) = 0;
  // The bytes of a message; nullptr when the file is gone.
  virtual std::shared_ptr<const std::string> read(const Message& msg) = 0;
  // Where a folder's files are ("" in memory): its records' FolderHome::dir.
  virtual std::string directory(const std::string& /*account*/,
                                const std::string& /*folder*/) const {
    return {};
  }
  virtual std::size_t stale_tmp_removed() const { return 0; }
  // The account's subscribed folder names (IMAP SUBSCRIBE), kept where other
  // mail software reads them; nowhere in memory.
  virtual std::vector<std::string> load_subscriptions(const std::string& /*account*/) { return {}; }
  virtual void save_subscriptions(const std::string& /*account*/,
                                  const std::vector<std::string>& /*names*/) {}
  // What opening found and left alone (a directory that names no folder...).
  virtual std::vector<std::string> open_notes() const { return {}; }
};

}  // namespace mailroom::store
