#include "maildir_uidlist.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

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

void add_uidlist_record(const fs::path& path, std::uint32_t uid, const std::string& name) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno(errno, "cannot open", path);
  char head[128] = {0};
  ssize_t n = ::pread(fd, head, sizeof head - 1, 0);
  std::string_view h(head, n > 0 ? static_cast<std::size_t>(n) : 0);
  h = h.substr(0, h.find('\n'));
  std::size_t at = h.find(" N");
  if (at != std::string_view::npos && at + 12 <= h.size() &&
      std::all_of(h.begin() + static_cast<std::ptrdiff_t>(at + 2),
                  h.begin() + static_cast<std::ptrdiff_t>(at + 12),
                  [](char c) { return c >= '0' && c <= '9'; }) &&
      (at + 12 == h.size() || h[at + 12] == ' ')) {
    char num[16];
    std::snprintf(num, sizeof num, "%010u", uid + 1);
    if (::pwrite(fd, num, 10, static_cast<off_t>(at + 2)) != 10) {
      int e = errno;
      ::close(fd);
      throw_errno(e, "cannot write", path);
    }
  }
  const std::string line = std::to_string(uid) + " :" + name + "\n";
  if (::lseek(fd, 0, SEEK_END) < 0 ||
      ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
      ::fdatasync(fd) != 0) {
    int e = errno;
    ::close(fd);
    throw_errno(e, "cannot append to", path);
  }
  ::close(fd);
}

}  // namespace mailroom::store::maildir
