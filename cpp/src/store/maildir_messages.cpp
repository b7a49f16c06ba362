// A Maildir folder's messages: new files (written to tmp/ without a lock;
// then, a group at a time under the UID list lock, moved into new/ or cur/
// with their UID list records), flag changes as renames inside cur/
// (":2,<info>"), expunges as unlinks, each logged in the modseq log; reading
// a file.
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
  // The two steps at once (msg has its UID already).
  write_new(account, folder, msg, data);
  try {
    Message* const one = &msg;
    record_new(account, folder, {one});
  } catch (...) {
    discard_new(msg);  // not acknowledged: not kept
    throw;
  }
}

void MaildirBackend::write_new(const std::string& account, const std::string& folder,
                               Message& msg, const std::string& data) {
  const fs::path dir = folder_dir(account, folder);
  const std::string base = unique_name();
  // Removed by write_synced itself when it fails.
  write_synced(dir / "tmp" / base, data, msg.internal_date);
  msg.file = "tmp/" + base;
}

void MaildirBackend::record_new(const std::string& account, const std::string& folder,
                                const std::vector<Message*>& msgs) {
  if (msgs.empty()) return;
  const fs::path dir = folder_dir(account, folder);
  std::vector<std::string> infos;
  infos.reserve(msgs.size());
  for (const Message* m : msgs) infos.push_back(info_for(dir, m->flags, m->keywords()));
  // The files enter new/ or cur/ with the UID list locked: another program
  // scanning the folder under the lock must not find them without their
  // records (and number them itself).
  UidlistLock uidlist_lock(dir, hostname_);
  try {
    bool into_new = false, into_cur = false;
    for (std::size_t i = 0; i < msgs.size(); ++i) {
      Message& m = *msgs[i];
      const std::string base(m.base_name());
      // A message nobody has looked at goes to new/; one with flags to cur/.
      const std::string file = infos[i].empty() ? "new/" + base : "cur/" + base + ":2," + infos[i];
      rename_durably(dir / m.file.view(), dir / file, false);
      m.file = file;  // discard_new finds it here from now on
      (infos[i].empty() ? into_new : into_cur) = true;
    }
    // One flush per directory for the whole group.
    if (into_new) fsync_dir(dir / "new");
    if (into_cur) fsync_dir(dir / "cur");
    std::vector<UidlistRecord> records;
    records.reserve(msgs.size());
    for (const Message* m : msgs) records.push_back({m->uid, m->base_name()});
    UidlistStamp known = uidlist_stamp(dir);
    add_uidlist_records(dir / kUidlist, records, known);
    set_uidlist_stamp(dir, known);
    std::string log;
    for (std::size_t i = 0; i < msgs.size(); ++i) {
      msgs[i]->uid = records[i].uid;  // raised when another program took it
      log.append(std::to_string(records[i].uid))
          .append(1, ' ')
          .append(std::to_string(msgs[i]->modseq))
          .append(1, ' ')
          .append(infos[i])
          .append(1, '\n');
    }
    append_now(dir / kModseqLog, log);
  } catch (...) {
    // Not acknowledged: not kept, and gone before the lock is, so that no
    // other program numbers a file we never recorded.
    for (const Message* m : msgs) discard_new(*m);
    throw;
  }
}

void MaildirBackend::discard_new(const Message& msg) {
  const std::string path = msg.path();
  if (!path.empty()) ::unlink(path.c_str());
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
