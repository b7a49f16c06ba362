// A Maildir folder's UID list, in Dovecot's dovecot-uidlist format 3:
// "3 V<uidvalidity> N<uidnext> G<guid>", then "<uid> [fields] :<base name>"
// per message (and the older format 1 read). The N field is written with ten
// digits, so an append updates the header in place.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/store/maildir_backend.hpp"

namespace mailroom::store::maildir {

struct Uidlist {
  bool present = false;
  bool fixed_width = false;  // the header as we write it
  std::uint32_t uidvalidity = 0;
  std::uint32_t next = 1;
  std::map<std::string, std::uint32_t> uid_of;  // base name -> UID
  std::uint32_t max_uid = 0;
};

Uidlist read_uidlist(const std::filesystem::path& path);
// The first line for a new or rewritten list (a fresh random GUID).
std::string uidlist_header(std::uint32_t uidvalidity, std::uint32_t uidnext);

// Dovecot's lock on a folder's UID list, taken as its maildir-uidlist.c and
// file-dotlock.c take it: "dovecot-uidlist.lock" beside the list, made
// atomically (a file holding "<pid>:<host>" linked to that name, which fails
// when it exists, as Dovecot's O_EXCL create does). A lock is stale, and
// removed, when its holder is a process of this host that no longer exists,
// when it is empty (a holder that died between Dovecot's create and write)
// for 5 s, or when its mtime is older than two minutes (Dovecot's stale
// timeout for this lock; a holder busy for longer refreshes the mtime, so an
// old one names nobody). Every change of the list (an append with the file
// it names, a rewrite) happens under it, so that Dovecot, other mailroom
// processes and this one writing the same Maildir never give out one UID
// twice. It is held for a few milliseconds, never long enough to need
// refreshing. A holder killed between the link and removing its own name
// leaves that ".temp.<host>.<pid>.<n>.uidlist-lock" behind (no reader of the
// Maildir looks at dot files there).
class UidlistLock {
 public:
  // Waits up to `timeout_seconds` for a live holder; then throws
  // std::runtime_error naming the lock file and what it holds.
  UidlistLock(const std::filesystem::path& folder_dir, const std::string& host,
              int timeout_seconds = 30);
  ~UidlistLock();
  UidlistLock(const UidlistLock&) = delete;
  UidlistLock& operator=(const UidlistLock&) = delete;

 private:
  std::filesystem::path path_;
};

UidlistStamp stamp_of(const std::filesystem::path& path);

// A record to add to a UID list: the UID asked for (raised in place when
// taken) and the message's base name.
struct UidlistRecord {
  std::uint32_t uid = 0;
  std::string_view name;
};

// With the UidlistLock held: the records "<uid> :<name>" (UIDs ascending)
// appended, and the last UID + 1 as the header's N, in place (a header of
// another shape is rewritten in ours, keeping its other fields); one
// fdatasync for all. When the list is not as `known` says (another program
// appended or rewrote it), it is read again and the UIDs raised above every
// UID it holds, keeping their order. `known` is the list now.
void add_uidlist_records(const std::filesystem::path& path, std::vector<UidlistRecord>& records,
                         UidlistStamp& known);

}  // namespace mailroom::store::maildir
