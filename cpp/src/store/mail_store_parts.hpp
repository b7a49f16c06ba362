// The insides of MailStore shared by its two source files (not installed).
#pragma once

#include <algorithm>
#include <ctime>
#include <mutex>
#include <string>
#include <vector>

#include "mailroom/store/mail_store.hpp"

namespace mailroom::store {

struct MailStore::Folder {
  FolderData d;
  std::mutex write;  // one change at a time; held while the backend writes
  bool deleted = false;
};

struct MailStore::Account {
  std::string name;
  std::mutex folders_write;  // create, delete, rename
  std::map<std::string, std::shared_ptr<Folder>> folders;
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
