#pragma once
// The changes a session's selected folder has had since the session last
// synced: the UIDs of messages appended, flagged or expunged, kept so that
// the end-of-command sync looks up only those (Handler::take_folder_changes)
// instead of comparing its whole view with the folder. When some were not
// kept (too many, or the folder was renamed or deleted) the session is told
// to compare the whole folder once.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "mailroom/store/store_change.hpp"

namespace mailroom::imap {

class FolderChangeNotes {
 public:
  static constexpr std::size_t kMaxChanges = 1024;

  // Whether `c` concerns a session that has `folder` selected: a change in
  // it, or its rename or deletion. A folder just made has no session yet.
  static bool concerns(const store::StoreChange& c, std::string_view folder) {
    using Kind = store::StoreChange::Kind;
    if (folder.empty() || c.kind == Kind::FolderCreated) return false;
    return (c.kind == Kind::FolderRenamed ? c.old_name : c.folder) == folder;
  }

  // Notes a change that concerns() the watched folder.
  void note(const store::StoreChange& c) {
    using Kind = store::StoreChange::Kind;
    const bool message_change =
        c.kind == Kind::Appended || c.kind == Kind::FlagsChanged || c.kind == Kind::Expunged;
    if (!message_change || changed_.size() >= kMaxChanges) {
      complete_ = false;
      changed_ = {};
    } else if (complete_) {
      changed_.push_back(c.uid);
    }
  }

  // Starts afresh: a folder was just selected.
  void reset() {
    changed_.clear();
    complete_ = true;
  }

  // The UIDs noted since reset() or the last call, in MODSEQ order; nullopt
  // when some were not kept, and the whole folder must be compared.
  std::optional<std::vector<std::uint32_t>> take() {
    if (!std::exchange(complete_, true)) return std::nullopt;
    return std::exchange(changed_, {});
  }

 private:
  std::vector<std::uint32_t> changed_;
  bool complete_ = true;
};

}  // namespace mailroom::imap
