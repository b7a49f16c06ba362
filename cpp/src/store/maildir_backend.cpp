#include "mailroom/store/maildir_backend.hpp"

#include "mailroom/mutf7.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <system_error>

#include "mailroom/store/durable_file.hpp"
#include "mailroom/store/flags.hpp"
#include "mailroom/store/folder_name.hpp"
#include "mailroom/store/subscriptions_file.hpp"
#include "mailroom/text.hpp"

namespace mailroom::store {

namespace fs = std::filesystem;

namespace {

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

[[noreturn]] void throw_errno(int e, const std::string& what, const fs::path& p) {
  throw std::system_error(e, std::generic_category(), what + " " + p.string());
}

// An address as a directory name: bytes that are unsafe in a path component
// ('/', NUL, control bytes, '%', a leading '.') are %XX-escaped.
std::string escape_component(std::string_view name) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    bool unsafe = c == '/' || c == '%' || c < 0x20 || c == 0x7f || (i == 0 && c == '.');
    if (unsafe) {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out.empty() ? std::string("%00") : out;
}

std::string unescape_component(std::string_view name) {
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '%' && i + 2 < name.size() && val(name[i + 1]) >= 0 && val(name[i + 2]) >= 0) {
      out += static_cast<char>(val(name[i + 1]) * 16 + val(name[i + 2]));
      i += 2;
    } else {
      out += name[i];
    }
  }
  return out;
}

void ensure_maildir(const fs::path& dir) {
  std::error_code ec;
  for (const char* sub : {"tmp", "new", "cur"}) {
    fs::create_directories(dir / sub, ec);
    if (ec) throw std::system_error(ec, "cannot create Maildir " + (dir / sub).string());
  }
}

std::string uidlist_header(std::uint32_t uidvalidity, std::uint32_t uidnext) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[96];
  // The N field has ten digits so that appends can update it in place.
  std::snprintf(buf, sizeof buf, "3 V%u N%010u G%016llx%016llx\n", uidvalidity, uidnext,
                static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(rng()));
  return buf;
}

// Replaces a small file whole: tmp next to it, fsync, rename.
void replace_file(const fs::path& final, std::string_view data) {
  const fs::path tmp = final.string() + ".mailroom-tmp";
  ::unlink(tmp.c_str());
  write_durably(tmp, final, data);
}

std::vector<std::string> split_lines(const std::string& text) {
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

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

struct Uidlist {
  bool present = false;
  bool fixed_width = false;  // the header as we write it
  std::uint32_t uidvalidity = 0;
  std::uint32_t next = 1;
  std::map<std::string, std::uint32_t> uid_of;  // base name -> UID
  std::uint32_t max_uid = 0;
};

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

std::vector<std::string> read_keywords(const fs::path& path) {
  return parse_keyword_file(read_file(path));
}

// Puts the new N into the header in place and appends the records (UIDs
// ascending); one fsync.
void add_uidlist_records(const fs::path& path,
                         const std::vector<std::pair<std::uint32_t, std::string_view>>& records) {
  if (records.empty()) return;
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
    std::snprintf(num, sizeof num, "%010u", records.back().first + 1);
    if (::pwrite(fd, num, 10, static_cast<off_t>(at + 2)) != 10) {
      int e = errno;
      ::close(fd);
      throw_errno(e, "cannot write", path);
    }
  }
  std::string lines;
  for (const auto& [uid, name] : records)
    lines.append(std::to_string(uid)).append(" :").append(name).append("\n");
  if (::lseek(fd, 0, SEEK_END) < 0 ||
      ::write(fd, lines.data(), lines.size()) != static_cast<ssize_t>(lines.size()) ||
      ::fdatasync(fd) != 0) {
    int e = errno;
    ::close(fd);
    throw_errno(e, "cannot append to", path);
  }
  ::close(fd);
}

struct Found {
  std::string base, info;
  std::string file;  // "new/<name>" or "cur/<name>"
  fs::path path;
  std::int64_t mtime = 0;
  std::uint64_t size = 0;
};

}  // namespace

MaildirBackend::MaildirBackend(fs::path root) : root_(std::move(root)) {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == 0) std::strcpy(host, "localhost");
  // Maildir names must not contain '/' or ':' in the host part.
  for (char& c : hostname_ = host)
    if (c == '/' || c == ':') c = '_';
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) throw std::system_error(ec, "cannot create maildir root " + root_.string());
  if (!fs::is_directory(root_)) throw std::runtime_error("maildir root is not a directory: " + root_.string());
}

std::shared_ptr<const std::string> MaildirBackend::shared_dir(const std::string& account,
                                                              const std::string& folder) {
  std::string key = account;
  key.append(1, '\0').append(folder);
  std::lock_guard lock(dirs_mutex_);
  auto it = dirs_.find(key);
  if (it == dirs_.end())
    it = dirs_.emplace(std::move(key),
                       std::make_shared<const std::string>(folder_dir(account, folder).string()))
             .first;
  return it->second;
}

void MaildirBackend::forget_dir(const std::string& account, const std::string& folder) {
  std::string key = account;
  key.append(1, '\0').append(folder);
  std::lock_guard lock(dirs_mutex_);
  dirs_.erase(key);
}

fs::path MaildirBackend::folder_dir(const std::string& account, const std::string& folder) const {
  fs::path dir = root_ / escape_component(account);
  if (folder == "INBOX") return dir;
  // Maildir++ ('.' between levels), non-ASCII in modified UTF-7 as Dovecot
  // spells it (RFC 3501 §5.1.3): "Entwürfe/2026" is ".Entw&APw-rfe.2026".
  std::string name = "." + to_modified_utf7(folder);
  std::replace(name.begin(), name.end(), kFolderSeparator, '.');
  return dir / name;
}

std::string MaildirBackend::unique_name() {
  // time.MusecPpidQcounterRrandom.host (the Maildir convention, cr.yp.to/proto/maildir.html)
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto usec = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t n = ++counter_;
  char buf[160];
  std::snprintf(buf, sizeof buf, "%lld.M%lldP%dQ%lluR%08llx.", static_cast<long long>(usec / 1000000),
                static_cast<long long>(usec % 1000000), static_cast<int>(::getpid()),
                static_cast<unsigned long long>(n), static_cast<unsigned long long>(rng() & 0xffffffffu));
  return std::string(buf) + hostname_;
}

std::vector<LoadedAccount> MaildirBackend::load() {
  std::vector<LoadedAccount> out;
  std::error_code ec;
  std::vector<fs::path> boxes;
  for (const auto& box : fs::directory_iterator(root_, ec))
    if (box.is_directory() && box.path().filename().string()[0] != '.') boxes.push_back(box.path());
  std::sort(boxes.begin(), boxes.end());
  for (const auto& box : boxes) {
    LoadedAccount la;
    la.account = unescape_component(box.filename().string());
    la.folders.push_back(load_folder(box, la.account, "INBOX"));
    std::vector<std::pair<std::string, fs::path>> subs;
    for (const auto& e : fs::directory_iterator(box, ec)) {
      const std::string n = e.path().filename().string();
      if (!e.is_directory() || n.size() < 2 || n[0] != '.' || n == "..") continue;
      std::string name = n.substr(1);
      std::replace(name.begin(), name.end(), '.', kFolderSeparator);
      try {
        name = checked_folder_name(from_modified_utf7(name));
      } catch (const std::exception& bad) {
        // Not a folder this store can name: left alone, and said.
        if (open_notes_.size() < 100)
          open_notes_.push_back("ignored the directory " + e.path().string() + ": " + bad.what());
        continue;
      }
      subs.emplace_back(name, e.path());
    }
    std::sort(subs.begin(), subs.end());
    for (const auto& [name, dir] : subs) la.folders.push_back(load_folder(dir, la.account, name));
    out.push_back(std::move(la));
  }
  return out;
}

FolderData MaildirBackend::load_folder(const fs::path& dir, const std::string& account,
                                       const std::string& name) {
  FolderData d;
  d.info = {name, special_use_of(name)};
  ensure_maildir(dir);
  // What a crash left in tmp/: files older than 36 hours are removed (the
  // qmail rule: a delivery never takes that long, so nobody is writing them).
  const auto stale_before = fs::file_time_type::clock::now() - std::chrono::hours(36);
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir / "tmp", ec)) {
    std::error_code fec;
    if (!f.is_regular_file(fec) || f.last_write_time(fec) >= stale_before || fec) continue;
    if (fs::remove(f.path(), fec)) ++stale_tmp_removed_;
  }
  Uidlist uidlist = read_uidlist(dir / kUidlist);
  std::vector<std::string> keywords = read_keywords(dir / kKeywords);

  // Our log: the last (modseq, info) per UID and the expunges.
  std::map<std::uint32_t, std::pair<std::uint64_t, std::string>> logged;
  std::set<std::uint32_t> expunged;
  std::uint64_t highest = 1;
  std::uint32_t max_uid = uidlist.max_uid;
  std::size_t log_records = 0;
  const std::string log_text = read_file(dir / kModseqLog);
  // A crash can leave a torn last record; the next append must not extend it.
  const bool torn_log = !log_text.empty() && log_text.back() != '\n';
  for (const auto& line : split_lines(log_text)) {
    ++log_records;
    std::istringstream in(line);
    std::string a, b, c;
    in >> a >> b >> c;
    std::uint64_t uid = 0, modseq = 0;
    if (a == "H") {  // a compacted log starts with the HIGHESTMODSEQ it had
      if (parse_u64(b, modseq)) highest = std::max(highest, modseq);
      continue;
    }
    if (a == "X") {
      if (!parse_u64(b, uid) || !parse_u64(c, modseq) || uid == 0 || uid >= 0xffffffffu) continue;
      expunged.insert(static_cast<std::uint32_t>(uid));
      logged.erase(static_cast<std::uint32_t>(uid));
      d.expunged.push_back({static_cast<std::uint32_t>(uid), modseq});
    } else {
      if (!parse_u64(a, uid) || !parse_u64(b, modseq) || uid == 0 || uid >= 0xffffffffu) continue;
      logged[static_cast<std::uint32_t>(uid)] = {modseq, c};
    }
    highest = std::max(highest, modseq);
    max_uid = std::max(max_uid, static_cast<std::uint32_t>(uid));
  }

  std::vector<Found> found;
  std::set<std::string> bases;
  for (const char* sub : {"new", "cur"}) {
    for (const auto& e : fs::directory_iterator(dir / sub, ec)) {
      std::error_code fec;
      if (!e.is_regular_file(fec)) continue;
      const std::string file = e.path().filename().string();
      if (file.empty() || file[0] == '.') continue;
      Found f;
      const std::size_t colon = file.find(':');
      f.base = file.substr(0, colon);
      if (colon != std::string::npos && file.compare(colon, 3, ":2,") == 0) f.info = file.substr(colon + 3);
      if (!bases.insert(f.base).second) continue;
      f.path = e.path();
      f.file = std::string(sub) + "/" + file;
      struct stat st {};
      if (::stat(f.path.c_str(), &st) != 0) continue;
      f.mtime = st.st_mtime;
      f.size = static_cast<std::uint64_t>(st.st_size);
      found.push_back(std::move(f));
    }
  }
  d.uidvalidity = uidlist.present ? uidlist.uidvalidity : fresh_uidvalidity();
  std::uint32_t next = std::max<std::uint32_t>(uidlist.present ? uidlist.next : 1, max_uid + 1);
  std::vector<std::pair<std::uint32_t, Found>> numbered;
  std::vector<Found> fresh;
  for (auto& f : found) {
    auto it = uidlist.uid_of.find(f.base);
    if (it == uidlist.uid_of.end()) {
      fresh.push_back(std::move(f));
    } else if (expunged.count(it->second)) {
      ::unlink(f.path.c_str());  // expunged, but the unlink did not last
    } else {
      numbered.emplace_back(it->second, std::move(f));
    }
  }
  // RFC 9051 §2.3.1.1: new messages get higher UIDs, in order of arrival.
  std::sort(fresh.begin(), fresh.end(), [](const Found& a, const Found& b) {
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.base < b.base;
  });
  for (auto& f : fresh) numbered.emplace_back(next++, std::move(f));
  std::sort(numbered.begin(), numbered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });

  std::string log_lines;
  std::string compacted;  // one line per message: what the log says in short
  std::set<std::uint32_t> present;
  const auto shared_dir = std::make_shared<const std::string>(dir.string());
  for (auto& [uid, f] : numbered) {
    auto m = std::make_shared<Message>();
    m->uid = uid;
    m->account = account;
    m->file = std::move(f.file);
    m->folder_dir = shared_dir;
    m->size = f.size;
    m->internal_date = f.mtime;
    m->flags = flags_from_letters(f.info);
    m->keywords = keywords_from_letters(f.info, keywords);
    auto it = logged.find(uid);
    if (it != logged.end() && it->second.second == f.info) {
      m->modseq = it->second.first;
    } else {  // new to us, or its flags changed while we were away (RFC 7162 §3.1)
      m->modseq = ++highest;
      log_lines += std::to_string(uid) + " " + std::to_string(m->modseq) + " " + f.info + "\n";
    }
    compacted += std::to_string(uid) + " " + std::to_string(m->modseq) + " " + f.info + "\n";
    present.insert(uid);
    d.messages.push_back(std::move(m));
  }
  for (const auto& [uid, _] : logged)
    if (!present.count(uid)) {  // the file went away while we were closed
      ++highest;
      d.expunged.push_back({uid, highest});
      log_lines += "X " + std::to_string(uid) + " " + std::to_string(highest) + "\n";
    }
  std::sort(d.expunged.begin(), d.expunged.end(),
            [](const Expunged& a, const Expunged& b) { return a.modseq < b.modseq; });
  const std::size_t needed = d.messages.size() + d.expunged.size();
  if (torn_log || log_records > 2 * needed + 64) {
    // Mostly flag changes that later ones replaced: rewrite it short. The
    // expunges stay (VANISHED needs them) and so does HIGHESTMODSEQ, which
    // never goes back (RFC 7162 §3.1.1).
    std::string text = "H " + std::to_string(highest) + "\n" + compacted;
    for (const auto& x : d.expunged)
      text += "X " + std::to_string(x.uid) + " " + std::to_string(x.modseq) + "\n";
    replace_file(dir / kModseqLog, text);
  } else if (!log_lines.empty()) {
    append_durably(dir / kModseqLog, log_lines);
  }
  d.uidnext = next;
  d.highestmodseq = highest;
  for (const auto& k : keywords)
    if (!k.empty()) d.keywords.push_back(k);
  {
    std::lock_guard lock(keywords_mutex_);
    keywords_[dir.string()] = keywords;
  }
  // The UID list again, in our shape, when it is missing, stale or not ours.
  bool rewrite = !uidlist.present || !uidlist.fixed_width || !fresh.empty() ||
                 uidlist.uid_of.size() != numbered.size() - fresh.size() || uidlist.next != next;
  if (rewrite) {
    std::string text = uidlist_header(d.uidvalidity, next);
    for (const auto& m : d.messages) text += std::to_string(m->uid) + " :" + std::string(m->base_name()) + "\n";
    replace_file(dir / kUidlist, text);
  }
  return d;
}

void MaildirBackend::create_folder(const std::string& account, const FolderData& folder) {
  const fs::path dir = folder_dir(account, folder.info.name);
  ensure_maildir(dir);
  if (folder.info.name != "INBOX") {  // Maildir++: a folder says so
    std::ofstream(dir / "maildirfolder").flush();
  }
  replace_file(dir / kUidlist, uidlist_header(folder.uidvalidity, folder.uidnext));
  fsync_dir(dir.parent_path());
}

void MaildirBackend::delete_folder(const std::string& account, const std::string& name) {
  forget_dir(account, name);
  const fs::path dir = folder_dir(account, name);
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) throw std::system_error(ec, "cannot remove " + dir.string());
  fsync_dir(dir.parent_path());
  std::lock_guard lock(keywords_mutex_);
  keywords_.erase(dir.string());
}

void MaildirBackend::rename_folder(const std::string& account, const std::string& from,
                                   const std::string& to) {
  forget_dir(account, from);
  const fs::path a = folder_dir(account, from), b = folder_dir(account, to);
  if (::rename(a.c_str(), b.c_str()) != 0) throw_errno(errno, "cannot rename to", b);
  fsync_dir(b.parent_path());
  std::lock_guard lock(keywords_mutex_);
  auto node = keywords_.extract(a.string());
  if (!node.empty()) {
    node.key() = b.string();
    keywords_.insert(std::move(node));
  }
}

void MaildirBackend::moved(const std::string& account, const std::string& to, Message& msg) {
  msg.folder_dir = shared_dir(account, to);
}

std::string MaildirBackend::info_for(const fs::path& dir, std::uint8_t flags,
                                     const std::vector<std::string>& keywords) {
  std::string info = maildir_letters(flags);
  if (keywords.empty()) return info;
  std::lock_guard lock(keywords_mutex_);
  auto& known = keywords_[dir.string()];
  bool added = false;
  for (const auto& k : keywords) {
    auto it = std::find_if(known.begin(), known.end(),
                           [&](const std::string& x) { return iequals(x, k); });
    std::size_t i;
    if (it != known.end()) {
      i = static_cast<std::size_t>(it - known.begin());
    } else {
      auto hole = std::find(known.begin(), known.end(), std::string());
      i = static_cast<std::size_t>(hole - known.begin());
      if (i >= 26) throw std::runtime_error("a Maildir folder has at most 26 keywords");
      if (hole == known.end())
        known.push_back(k);
      else
        *hole = k;
      added = true;
    }
    info.push_back(static_cast<char>('a' + i));
  }
  if (added) {  // the names before any file uses their letters
    std::string text;
    for (std::size_t i = 0; i < known.size(); ++i)
      if (!known[i].empty()) text += std::to_string(i) + " " + known[i] + "\n";
    replace_file(dir / kKeywords, text);
  }
  std::sort(info.begin(), info.end());  // the spec: info letters in ASCII order
  return info;
}

void MaildirBackend::append(const std::string& account, const std::string& folder, Message& msg,
                            const std::string& data) {
  // The two steps at once (msg has its UID already).
  write_new(account, folder, msg, data);
  try {
    record_new(account, folder, {&msg});
  } catch (...) {
    discard_new(msg);  // not acknowledged: not kept
    throw;
  }
}

DirectorySync& MaildirBackend::new_files_sync(const fs::path& dir) {
  std::lock_guard lock(syncs_mutex_);
  auto& sync = syncs_[dir.string()];
  if (!sync) sync = std::make_unique<DirectorySync>(dir);
  return *sync;
}

void MaildirBackend::write_new(const std::string& account, const std::string& folder,
                               Message& msg, const std::string& data) {
  const fs::path dir = folder_dir(account, folder);
  const std::string info = info_for(dir, msg.flags, msg.keywords);
  const std::string base = unique_name();
  // A message nobody has looked at goes to new/; one with flags to cur/.
  const std::string file = info.empty() ? "new/" + base : "cur/" + base + ":2," + info;
  const fs::path path = dir / file;
  write_durably(dir / "tmp" / base, path, data, false, msg.internal_date);
  try {
    // Appends at the same time share the fsync of new/ (or cur/).
    new_files_sync(path.parent_path()).sync();
  } catch (...) {
    ::unlink(path.c_str());
    throw;
  }
  msg.file = file;
  msg.folder_dir = shared_dir(account, folder);
}

void MaildirBackend::record_new(const std::string& account, const std::string& folder,
                                const std::vector<const Message*>& msgs) {
  const fs::path dir = folder_dir(account, folder);
  std::vector<std::pair<std::uint32_t, std::string_view>> records;
  std::string log;
  for (const Message* m : msgs) {
    records.emplace_back(m->uid, m->base_name());
    const std::string_view file = m->file;
    const std::size_t info = file.find(":2,");
    log.append(std::to_string(m->uid)).append(" ").append(std::to_string(m->modseq)).append(" ");
    if (info != std::string_view::npos) log.append(file.substr(info + 3));
    log.append("\n");
  }
  add_uidlist_records(dir / kUidlist, records);
  append_now(dir / kModseqLog, log);
}

void MaildirBackend::discard_new(const Message& msg) {
  const std::string path = msg.path();
  if (!path.empty()) ::unlink(path.c_str());
}

void MaildirBackend::set_flags(const std::string& account, const std::string& folder,
                               const Message& old, Message& updated) {
  const fs::path dir = folder_dir(account, folder);
  const std::string info = info_for(dir, updated.flags, updated.keywords);
  const std::string file = "cur/" + std::string(old.base_name()) + ":2," + info;
  const fs::path target = dir / file;
  if (file != old.file) {
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

std::vector<std::string> MaildirBackend::load_subscriptions(const std::string& account) {
  const fs::path path = folder_dir(account, "INBOX") / "subscriptions";
  std::error_code ec;
  if (!fs::exists(path, ec)) return {};
  return parse_subscriptions(read_file(path));
}

void MaildirBackend::save_subscriptions(const std::string& account,
                                        const std::vector<std::string>& names) {
  replace_file(folder_dir(account, "INBOX") / "subscriptions", format_subscriptions(names));
}

}  // namespace mailroom::store
