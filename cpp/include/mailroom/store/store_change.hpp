// What changed in a store: one event per change, after it is made (and, for
// Maildir, on disk). IMAP IDLE, HTTP live events and Python hooks listen.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace mailroom::store {

struct StoreChange {
  enum class Kind { Appended, FlagsChanged, Expunged, FolderCreated, FolderDeleted, FolderRenamed };
  Kind kind = Kind::Appended;
  std::string account;
  std::string folder;    // FolderRenamed: the new name
  std::string old_name;  // FolderRenamed: the old name
  std::uint32_t uid = 0;      // the message's, for message changes
  std::uint64_t modseq = 0;   // of the change (RFC 7162), for message changes
};

// Called on the thread that made the change, with no store lock held but the
// folder's write lock (so events of one folder come in MODSEQ order): it may
// read the store, not change it. An exception from it is ignored.
using ChangeHook = std::function<void(const StoreChange&)>;

}  // namespace mailroom::store
