// Opening a Maildir folder: the directory listings of new/ and cur/, the UID
// list, the keywords and the modseq log, reconciled. Files without a UID get
// one (in order of arrival), flags changed while the store was closed get a
// new MODSEQ, vanished files an expunge; the UID list and log are rewritten
// when stale. No message file is read.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <sstream>

#include "mailroom/store/flags.hpp"
#include "mailroom/store/folder_name.hpp"
#include "mailroom/store/maildir_backend.hpp"
#include "maildir_parts.hpp"
#include "maildir_uidlist.hpp"

namespace mailroom::store {

using namespace maildir;

namespace {

struct Found {
  std::string base, info;
  std::string file;  // "new/<name>" or "cur/<name>"
  fs::path path;
  std::int64_t mtime = 0;
  std::uint64_t size = 0;
};

}  // namespace

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
  // Held from reading the UID list to writing it again: what another program
  // adds meanwhile waits, and is found at the next open.
  UidlistLock uidlist_lock(dir, hostname_);
  Uidlist uidlist = read_uidlist(dir / kUidlist);
  std::vector<std::string> keywords = parse_keyword_file(read_file(dir / kKeywords));

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
  // The folder's table: the file's keywords in order; letter i is bit bit_of[i].
  std::uint32_t bit_of[26] = {};
  for (std::size_t i = 0; i < keywords.size() && i < 26; ++i)
    if (!keywords[i].empty()) {
      bit_of[i] = 1u << d.keywords.size();
      d.keywords.push_back(keywords[i]);
    }
  d.home = std::make_shared<const FolderHome>(FolderHome{account, dir.string(), d.keywords});
  for (auto& [uid, f] : numbered) {
    auto m = make_message();
    m->uid = uid;
    m->home = d.home;
    m->file = f.file;
    m->size = f.size;
    m->internal_date = f.mtime;
    m->flags = flags_from_letters(f.info);
    for (char c : f.info)
      if (c >= 'a' && c <= 'z') m->keyword_bits |= bit_of[c - 'a'];
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
  set_uidlist_stamp(dir, stamp_of(dir / kUidlist));
  return d;
}

}  // namespace mailroom::store
