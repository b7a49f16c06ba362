// The insides of MailStore shared by its two source files (not installed).
#pragma once

#include <algorithm>
#include <ctime>
#include <exception>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "mailroom/store/mail_store.hpp"

namespace mailroom::store {

struct MailStore::Folder {
  FolderData d;
  std::mutex write;  // one change at a time; held while the backend writes
  bool deleted = false;
  // Held shared by an append in two steps (Backend::write_new), from its
  // file to its UID; RENAME and DELETE take it alone, before `write`.
  std::shared_mutex layout;
  // Appends whose files are written, waiting for a holder of `write` to give
  // them UIDs (append_grouped); guarded by `queue_mutex`.
  struct QueuedAppend {
    MessageDraft message;
    std::vector<std::string> keywords;  // given to reserve_uid
    bool done = false;
    std::exception_ptr error;
  };
  std::mutex queue_mutex;
  std::vector<QueuedAppend*> queued;
  // Kept with d.messages (under the index lock): STATUS without a walk.
  std::size_t unseen = 0;
  std::size_t deleted_count = 0;
  std::uint64_t size = 0;

  void count(const Message& m, bool in) {
    const std::size_t one = in ? 1 : static_cast<std::size_t>(-1);
    if (!(m.flags & kSeen)) unseen += one;
    if (m.flags & kDeleted) deleted_count += one;
    size = in ? size + m.size : size - m.size;
  }
  void count_all() {
    unseen = deleted_count = 0;
    size = 0;
    for (const auto& m : d.messages) count(*m, true);
  }
};

struct MailStore::Account {
  std::string name;
  std::mutex folders_write;  // create, delete, rename
  std::map<std::string, std::shared_ptr<Folder>> folders;
  std::shared_ptr<Folder> inbox;  // folders["INBOX"], which is never deleted
};

namespace store_detail {

inline const char* const kDefaultFolders[] = {"Sent", "Drafts", "Trash", "Junk", "Archive"};

inline std::size_t lower_uid(const std::vector<MessagePtr>& v, std::uint32_t uid) {
  return static_cast<std::size_t>(
      std::lower_bound(v.begin(), v.end(), uid,
                       [](const MessagePtr& m, std::uint32_t u) { return m->uid < u; }) -
      v.begin());
}

// Position of a UID in an ascending list, or npos.
inline std::size_t find_uid(const std::vector<MessagePtr>& v, std::uint32_t uid) {
  std::size_t i = lower_uid(v, uid);
  return i < v.size() && v[i]->uid == uid ? i : std::string::npos;
}

inline std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }


}  // namespace store_detail
}  // namespace mailroom::store
