// The insides of the Maildir backend shared by its source files (not
// installed): the names of its per-folder files, and small file helpers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <unistd.h>

#include "mailroom/store/durable_file.hpp"

namespace mailroom::store::maildir {

namespace fs = std::filesystem;

// What is fsynced, and why (Dovecot's default, fsync_mode=optimized):
// - A new message (APPEND, delivery, COPY/MOVE in) is durable before the OK:
//   its file (data and time), its directory entry, and its UID list record,
//   which fixes the UID the client was told (APPENDUID, RFC 4315).
// - A flag change (a rename inside cur/) and an expunge (an unlink) are not
//   fsynced: a crash can bring back the old flags or the removed message, but
//   it loses no mail, and every STORE/EXPUNGE paying a disk flush would make
//   them ~100x slower than the rename or unlink itself.
// - The modseq log gets appends without fsync. A record a crash lost is found
//   again at the next load: a file whose flags differ from the log, or which
//   the log does not know, gets a new modseq; a file gone gets an expunge.
// - Whole-file rewrites (UID list, keywords, compacted log, subscriptions)
//   go through tmp + rename, so a reader sees the old file or the new one.
constexpr const char* kUidlist = "dovecot-uidlist";
constexpr const char* kKeywords = "dovecot-keywords";
constexpr const char* kModseqLog = "mailroom-modseq";

[[noreturn]] inline void throw_errno(int e, const std::string& what, const fs::path& p) {
  throw std::system_error(e, std::generic_category(), what + " " + p.string());
}

inline void ensure_maildir(const fs::path& dir) {
  std::error_code ec;
  for (const char* sub : {"tmp", "new", "cur"}) {
    fs::create_directories(dir / sub, ec);
    if (ec) throw std::system_error(ec, "cannot create Maildir " + (dir / sub).string());
  }
}

// Replaces a small file whole: tmp next to it, fsync, rename.
inline void replace_file(const fs::path& final, std::string_view data) {
  const fs::path tmp = final.string() + ".mailroom-tmp";
  ::unlink(tmp.c_str());
  write_durably(tmp, final, data);
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // a torn last line (a crash) is ignored
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

inline bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

}  // namespace mailroom::store::maildir
