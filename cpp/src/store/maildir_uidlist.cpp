#include "maildir_uidlist.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "maildir_parts.hpp"

namespace mailroom::store::maildir {

std::string uidlist_header(std::uint32_t uidvalidity, std::uint32_t uidnext) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[96];
  // The N field has ten digits so that appends can update it in place.
  std::snprintf(buf, sizeof buf, "3 V%u N%010u G%016llx%016llx\n", uidvalidity, uidnext,
                static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(rng()));
  return buf;
}

// Dovecot's format 3 ("3 V.. N.. G..", records "<uid> [fields] :<name>") and
// the older format 1 ("1 <uidvalidity> <next>", records "<uid> <name>").
Uidlist read_uidlist(const fs::path& path) {
  Uidlist u;
  std::ifstream in(path, std::ios::binary);
  if (!in) return u;
  std::stringstream ss;
  ss << in.rdbuf();
  auto lines = split_lines(ss.str());
  if (lines.empty()) return u;
  std::istringstream head(lines[0]);
  std::string version;
  head >> version;
  std::uint64_t v = 0;
  if (version == "3") {
    for (std::string tok; head >> tok;) {
      if (tok.size() < 2) continue;
      if (tok[0] == 'V' && parse_u64(tok.substr(1), v)) u.uidvalidity = static_cast<std::uint32_t>(v);
      if (tok[0] == 'N' && parse_u64(tok.substr(1), v)) {
        u.next = static_cast<std::uint32_t>(v);
        u.fixed_width = tok.size() == 11;
      }
    }
  } else if (version == "1") {
    std::string a, b;
    head >> a >> b;
    if (parse_u64(a, v)) u.uidvalidity = static_cast<std::uint32_t>(v);
    if (parse_u64(b, v)) u.next = static_cast<std::uint32_t>(v);
  } else {
    return u;  // unknown: treated as missing (new UIDs, new UIDVALIDITY)
  }
  if (u.uidvalidity == 0) return Uidlist{};
  u.present = true;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    std::size_t sp = line.find(' ');
    if (sp == std::string::npos || !parse_u64(line.substr(0, sp), v) || v == 0 || v >= 0xffffffffu)
      continue;
    std::string name;
    if (version == "3") {
      std::size_t colon = line.find(" :", sp);
      if (colon == std::string::npos) continue;
      name = line.substr(colon + 2);
    } else {
      name = line.substr(sp + 1);
    }
    name = name.substr(0, name.find(':'));
    if (name.empty()) continue;
    u.uid_of[name] = static_cast<std::uint32_t>(v);
    u.max_uid = std::max(u.max_uid, static_cast<std::uint32_t>(v));
  }
  return u;
}

namespace {

constexpr const char* kLockName = "dovecot-uidlist.lock";
constexpr int kStaleSeconds = 120;  // Dovecot's MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT
constexpr int kUnwrittenSeconds = 5;

// Whether the lock at `path` (as `st` found it) is stale: its "<pid>:<host>"
// names a process of `host` that is gone, it is empty and seconds old, or
// nobody touched it for two minutes.
bool lock_is_stale(const fs::path& path, const struct stat& st, const std::string& host) {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  if (now - st.st_mtime > kStaleSeconds) return true;
  const std::string text = read_file(path);
  const std::size_t colon = text.find(':');
  std::uint64_t pid = 0;
  if (colon == std::string::npos || !parse_u64(text.substr(0, colon), pid) || pid == 0 ||
      pid > 0x7fffffff)
    // Created and never written: its holder died between the two steps,
    // which take microseconds (Dovecot waits 2 s before judging a pid too).
    return text.empty() && now - st.st_mtime > kUnwrittenSeconds;
  std::string_view holder = std::string_view(text).substr(colon + 1);
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\r')) holder.remove_suffix(1);
  return holder == host && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// The first line of a UID list in our shape (fixed-width N), keeping the
// other fields of `line` ("3 V.. N.. G.." in any order, with any others).
std::string header_with_next(std::string_view line, std::uint32_t next) {
  char num[16];
  std::snprintf(num, sizeof num, "N%010u", next);
  std::string out = "3";
  std::size_t pos = line.find(' ');  // after the version
  while (pos != std::string_view::npos) {
    const std::size_t start = line.find_first_not_of(' ', pos);
    if (start == std::string_view::npos) break;
    pos = line.find(' ', start);
    const std::string_view tok = line.substr(start, pos == std::string_view::npos ? pos : pos - start);
    if (tok[0] != 'N') out.append(1, ' ').append(tok);
  }
  out.append(1, ' ').append(num).append(1, '\n');
  return out;
}

}  // namespace

UidlistLock::UidlistLock(const fs::path& folder_dir, const std::string& host, int timeout_seconds)
    : path_(folder_dir / kLockName) {
  const std::string content = std::to_string(::getpid()) + ":" + host + "\n";
  // Written whole under a name of its own, then linked to the lock's name
  // (file-dotlock.c's way without dotlock_use_excl): the lock never exists
  // empty, so a holder killed at any moment leaves one that names it.
  static std::atomic<std::uint64_t> serial{0};
  const fs::path temp = folder_dir / (".temp." + host + "." + std::to_string(::getpid()) + "." +
                                      std::to_string(++serial) + ".uidlist-lock");
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  auto pause = std::chrono::microseconds(200);
  for (;;) {
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw_errno(errno, "cannot create", temp);
    const bool written =
        ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
    int e = errno;
    ::close(fd);
    if (!written) {
      ::unlink(temp.c_str());
      throw_errno(e, "cannot write", temp);
    }
    const bool linked = ::link(temp.c_str(), path_.c_str()) == 0;
    e = errno;
    ::unlink(temp.c_str());
    if (linked) return;
    errno = e;
    if (errno != EEXIST) throw_errno(errno, "cannot create", path_);
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) continue;  // just released
    if (lock_is_stale(path_, st, host)) {
      // Removed only if it is still the lock judged (Dovecot's check too):
      // not one that another process took after removing the stale one.
      struct stat again {};
      if (::stat(path_.c_str(), &again) == 0 && again.st_ino == st.st_ino &&
          again.st_mtime == st.st_mtime)
        ::unlink(path_.c_str());
      continue;
    }
    if (std::chrono::steady_clock::now() >= give_up)
      throw std::runtime_error("the UID list is locked: " + path_.string() + " holds '" +
                               read_file(path_).substr(0, 64) + "' after " +
                               std::to_string(timeout_seconds) + " s");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20000));
  }
}

UidlistLock::~UidlistLock() { ::unlink(path_.c_str()); }

UidlistStamp stamp_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_dev, st.st_ino, st.st_size};
}

void add_uidlist_records(const fs::path& path, std::vector<UidlistRecord>& records,
                         UidlistStamp& known) {
  if (records.empty()) return;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno(errno, "cannot open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw_errno(e, "cannot stat", path);
  }
  if (st.st_dev != known.dev || st.st_ino != known.ino || st.st_size != known.size) {
    // Written by another program since our last write: its UIDs are taken.
    const Uidlist now = read_uidlist(path);
    if (now.present) {
      std::uint64_t free = std::max<std::uint64_t>(now.next, std::uint64_t{now.max_uid} + 1);
      for (auto& r : records) {
        if (free >= 0xffffffffu) {
          ::close(fd);
          throw std::runtime_error("the UID list has used every UID: " + path.string());
        }
        r.uid = static_cast<std::uint32_t>(std::max<std::uint64_t>(r.uid, free));
        free = std::uint64_t{r.uid} + 1;
      }
    }
  }
  const std::uint32_t next = records.back().uid + 1;
  std::string lines;
  for (const auto& r : records)
    lines.append(std::to_string(r.uid)).append(" :").append(r.name).append(1, '\n');
  char head[128] = {0};
  ssize_t n = ::pread(fd, head, sizeof head - 1, 0);
  std::string_view h(head, n > 0 ? static_cast<std::size_t>(n) : 0);
  const bool whole_line = h.find('\n') != std::string_view::npos;
  h = h.substr(0, h.find('\n'));
  std::size_t at = h.find(" N");
  if (at != std::string_view::npos && at + 12 <= h.size() &&
      std::all_of(h.begin() + static_cast<std::ptrdiff_t>(at + 2),
                  h.begin() + static_cast<std::ptrdiff_t>(at + 12),
                  [](char c) { return c >= '0' && c <= '9'; }) &&
      (at + 12 == h.size() || h[at + 12] == ' ')) {
    char num[16];
    std::snprintf(num, sizeof num, "%010u", next);
    if (::pwrite(fd, num, 10, static_cast<off_t>(at + 2)) != 10) {
      int e = errno;
      ::close(fd);
      throw_errno(e, "cannot write", path);
    }
  } else if (whole_line && h.substr(0, 2) == "3 ") {
    // Dovecot's own header (a variable-width N): rewritten in our shape with
    // the records, through tmp + rename, so the N fits in place from now on.
    ::close(fd);
    std::string text = read_file(path);
    const std::size_t nl = text.find('\n');
    std::string out = header_with_next(std::string_view(text).substr(0, nl), next);
    // The records, but not a torn last one (no LF).
    const std::size_t last = text.rfind('\n');
    if (last > nl) out.append(text, nl + 1, last - nl);
    out += lines;
    replace_file(path, out);
    known = stamp_of(path);
    return;
  }
  if (::lseek(fd, 0, SEEK_END) < 0 ||
      ::write(fd, lines.data(), lines.size()) != static_cast<ssize_t>(lines.size()) ||
      ::fdatasync(fd) != 0) {
    int e = errno;
    ::close(fd);
    throw_errno(e, "cannot append to", path);
  }
  known = {st.st_dev, st.st_ino, st.st_size + static_cast<off_t>(lines.size())};
  ::close(fd);
}

}  // namespace mailroom::store::maildir
