// A Maildir folder's messages: a new file (tmp/ then new/ or cur/, with its
// UID list record), flag changes as renames inside cur/ (":2,<info>"),
// expunges as unlinks, each logged in the modseq log; reading a file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "mailroom/store/maildir_backend.hpp"
#include "maildir_parts.hpp"
#include "maildir_uidlist.hpp"

namespace mailroom::store {

using namespace maildir;

void MaildirBackend::append(const std::string& account, const std::string& folder, Message& msg,
                            const std::string& data) {
  const fs::path dir = folder_dir(account, folder);
  const std::string info = info_for(dir, msg.flags, msg.keywords());
  const std::string base = unique_name();
  // A message nobody has looked at goes to new/; one with flags to cur/.
  const std::string file = info.empty() ? "new/" + base : "cur/" + base + ":2," + info;
  const fs::path path = dir / file;
  const fs::path tmp = dir / "tmp" / base;
  write_synced(tmp, data, msg.internal_date);
  try {
    // The file enters new/ or cur/ with the UID list locked: another program
    // scanning the folder under the lock must not find it without its record
    // (and number it itself).
    UidlistLock uidlist_lock(dir, hostname_);
    rename_durably(tmp, path);
    try {
      UidlistStamp known = uidlist_stamp(dir);
      msg.uid = add_uidlist_record(dir / kUidlist, msg.uid, base, known);
      set_uidlist_stamp(dir, known);
      append_now(dir / kModseqLog,
                 std::to_string(msg.uid) + " " + std::to_string(msg.modseq) + " " + info + "\n");
    } catch (...) {
      ::unlink(path.c_str());  // not acknowledged: not kept
      throw;
    }
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  msg.file = file;
}

void MaildirBackend::set_flags(const std::string& account, const std::string& folder,
                               const Message& old, Message& updated) {
  const fs::path dir = folder_dir(account, folder);
  const std::string info = info_for(dir, updated.flags, updated.keywords());
  const std::string file = "cur/" + std::string(old.base_name()) + ":2," + info;
  const fs::path target = dir / file;
  if (file != old.file.view()) {
    const std::string from = old.path();
    // Not fsynced: see the rule at the top of this file.
    if (::rename(from.c_str(), target.c_str()) != 0) throw_errno(errno, "cannot rename to", target);
  }
  append_now(dir / kModseqLog,
             std::to_string(updated.uid) + " " + std::to_string(updated.modseq) + " " + info + "\n");
  updated.file = file;
}

void MaildirBackend::expunge(const std::string& account, const std::string& folder,
                             const Message& msg, std::uint64_t modseq) {
  const fs::path dir = folder_dir(account, folder);
  const std::string path = msg.path();
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno(errno, "cannot remove", path);
  append_now(dir / kModseqLog,
             "X " + std::to_string(msg.uid) + " " + std::to_string(modseq) + "\n");
}

std::shared_ptr<const std::string> MaildirBackend::read(const Message& msg) {
  const std::string path = msg.path();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return nullptr;
    throw_errno(errno, "cannot open", path);
  }
  auto out = std::make_shared<std::string>();
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out->reserve(static_cast<std::size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      throw_errno(e, "cannot read", path);
    }
    if (n == 0) break;
    out->append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace mailroom::store
