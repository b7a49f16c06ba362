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
#include <system_error>

#include "mailroom/store/durable_file.hpp"
#include "mailroom/store/flags.hpp"
#include "mailroom/store/folder_name.hpp"
#include "mailroom/store/subscriptions_file.hpp"
#include "mailroom/text.hpp"
#include "maildir_parts.hpp"
#include "maildir_uidlist.hpp"

namespace mailroom::store {

namespace fs = std::filesystem;
using namespace maildir;

namespace {
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

maildir::UidlistStamp MaildirBackend::uidlist_stamp(const fs::path& dir) {
  std::lock_guard lock(stamps_mutex_);
  auto it = stamps_.find(dir.string());
  return it == stamps_.end() ? UidlistStamp{} : it->second;
}

void MaildirBackend::set_uidlist_stamp(const fs::path& dir, const UidlistStamp& stamp) {
  std::lock_guard lock(stamps_mutex_);
  stamps_[dir.string()] = stamp;
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

void MaildirBackend::create_folder(const std::string& account, const FolderData& folder) {
  const fs::path dir = folder_dir(account, folder.info.name);
  ensure_maildir(dir);
  if (folder.info.name != "INBOX") {  // Maildir++: a folder says so
    std::ofstream(dir / "maildirfolder").flush();
  }
  {
    UidlistLock uidlist_lock(dir, hostname_);
    replace_file(dir / kUidlist, uidlist_header(folder.uidvalidity, folder.uidnext));
    set_uidlist_stamp(dir, stamp_of(dir / kUidlist));
  }
  fsync_dir(dir.parent_path());
}

void MaildirBackend::delete_folder(const std::string& account, const std::string& name) {
  const fs::path dir = folder_dir(account, name);
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) throw std::system_error(ec, "cannot remove " + dir.string());
  fsync_dir(dir.parent_path());
  {
    std::lock_guard lock(stamps_mutex_);
    stamps_.erase(dir.string());
  }
  std::lock_guard lock(keywords_mutex_);
  keywords_.erase(dir.string());
}

void MaildirBackend::rename_folder(const std::string& account, const std::string& from,
                                   const std::string& to) {
  const fs::path a = folder_dir(account, from), b = folder_dir(account, to);
  if (::rename(a.c_str(), b.c_str()) != 0) throw_errno(errno, "cannot rename to", b);
  fsync_dir(b.parent_path());
  {
    std::lock_guard lock(stamps_mutex_);
    auto stamp = stamps_.extract(a.string());
    if (!stamp.empty()) {
      stamp.key() = b.string();
      stamps_.insert(std::move(stamp));
    }
  }
  std::lock_guard lock(keywords_mutex_);
  auto node = keywords_.extract(a.string());
  if (!node.empty()) {
    node.key() = b.string();
    keywords_.insert(std::move(node));
  }
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
