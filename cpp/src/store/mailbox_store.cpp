#include "mailroom/store/mailbox_store.hpp"

#include "mailroom/store/durable_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>
#include <system_error>

namespace mailroom::store {

namespace fs = std::filesystem;

std::string normalize_mailbox(std::string_view address) {
  std::string out(address);
  auto at = out.rfind('@');
  if (at == std::string::npos) return out;
  for (std::size_t i = at + 1; i < out.size(); ++i) {
    char c = out[i];
    if (c >= 'A' && c <= 'Z') out[i] = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// ---- MailboxStore ------------------------------------------------------------

std::vector<MessagePtr> MailboxStore::deliver(const std::vector<std::string>& mailboxes,
                                              std::shared_ptr<const std::string> data,
                                              std::shared_ptr<const Envelope> envelope) {
  std::vector<StoredMessage> written;
  written.reserve(mailboxes.size());
  for (const auto& raw_box : mailboxes) {
    StoredMessage m;
    m.mailbox = normalize_mailbox(raw_box);
    m.data = data;
    m.envelope = envelope;
    try {
      write_copy(m.mailbox, *data, m.uid, m.path);
    } catch (...) {
      for (auto& w : written) remove_copy(w);  // all or nothing
      throw;
    }
    written.push_back(std::move(m));
  }
  std::vector<MessagePtr> out;
  {
    std::lock_guard lock(mutex_);
    for (auto& m : written) {
      m.seq = next_seq_++;
      auto p = std::make_shared<const StoredMessage>(std::move(m));
      bytes_ += p->data->size();
      messages_.push_back(p);
      out.push_back(std::move(p));
    }
  }
  arrived_.notify_all();
  return out;
}

void MailboxStore::add_loaded(StoredMessage msg) {
  std::lock_guard lock(mutex_);
  msg.seq = next_seq_++;
  bytes_ += msg.data->size();
  messages_.push_back(std::make_shared<const StoredMessage>(std::move(msg)));
}

std::vector<MessagePtr> MailboxStore::all() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

std::vector<MessagePtr> MailboxStore::mailbox(std::string_view address) const {
  const std::string key = normalize_mailbox(address);
  std::lock_guard lock(mutex_);
  std::vector<MessagePtr> out;
  for (const auto& m : messages_)
    if (m->mailbox == key) out.push_back(m);
  return out;
}

std::vector<MessagePtr> MailboxStore::since(std::uint64_t seq) const {
  std::lock_guard lock(mutex_);
  auto it = std::upper_bound(messages_.begin(), messages_.end(), seq,
                             [](std::uint64_t s, const MessagePtr& m) { return s < m->seq; });
  return std::vector<MessagePtr>(it, messages_.end());
}

std::uint64_t MailboxStore::last_seq() const {
  std::lock_guard lock(mutex_);
  return next_seq_ - 1;
}

std::size_t MailboxStore::count() const {
  std::lock_guard lock(mutex_);
  return messages_.size();
}

std::uint64_t MailboxStore::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

void MailboxStore::clear() {
  std::vector<MessagePtr> old;
  {
    std::lock_guard lock(mutex_);
    old.swap(messages_);
    bytes_ = 0;
  }
  for (const auto& m : old) remove_copy(*m);
}

std::size_t MailboxStore::remove(std::string_view address, const std::vector<std::string>& uids) {
  const std::string key = normalize_mailbox(address);
  std::vector<MessagePtr> gone;
  {
    std::lock_guard lock(mutex_);
    auto keep = std::remove_if(messages_.begin(), messages_.end(), [&](const MessagePtr& m) {
      bool drop = m->mailbox == key && std::find(uids.begin(), uids.end(), m->uid) != uids.end();
      if (drop) {
        gone.push_back(m);
        bytes_ -= m->data->size();
      }
      return drop;
    });
    messages_.erase(keep, messages_.end());
  }
  for (const auto& m : gone) remove_copy(*m);
  return gone.size();
}

void MailboxStore::mark_seen(std::string_view address, const std::vector<std::string>& uids) {
  const std::string key = normalize_mailbox(address);
  std::vector<MessagePtr> todo;
  {
    std::lock_guard lock(mutex_);
    for (const auto& m : messages_)
      if (m->mailbox == key && !m->seen && std::find(uids.begin(), uids.end(), m->uid) != uids.end())
        todo.push_back(m);
  }
  for (const auto& m : todo) {
    StoredMessage updated = *m;
    try {
      updated.path = seen_copy(*m);
    } catch (const std::exception&) {
      continue;  // stays in new/; it is still readable
    }
    updated.seen = true;
    auto fresh = std::make_shared<const StoredMessage>(std::move(updated));
    std::lock_guard lock(mutex_);
    // The vector may have changed meanwhile: find the entry again by identity.
    auto it = std::find(messages_.begin(), messages_.end(), m);
    if (it != messages_.end()) *it = std::move(fresh);
  }
}

bool MailboxStore::try_lock_mailbox(std::string_view address) {
  const std::string key = normalize_mailbox(address);
  std::lock_guard lock(mutex_);
  if (std::find(locked_.begin(), locked_.end(), key) != locked_.end()) return false;
  locked_.push_back(key);
  return true;
}

void MailboxStore::unlock_mailbox(std::string_view address) {
  const std::string key = normalize_mailbox(address);
  std::lock_guard lock(mutex_);
  locked_.erase(std::remove(locked_.begin(), locked_.end(), key), locked_.end());
}

std::uint64_t MailboxStore::wait_after(std::uint64_t after, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const auto generation = wake_generation_;
  arrived_.wait_for(lock, timeout, [&] {
    return next_seq_ - 1 > after || wake_generation_ != generation;
  });
  return next_seq_ - 1;
}

void MailboxStore::wake_all() {
  {
    std::lock_guard lock(mutex_);
    ++wake_generation_;
  }
  arrived_.notify_all();
}

// ---- MemoryStore -------------------------------------------------------------

void MemoryStore::write_copy(const std::string& /*mailbox*/, const std::string& /*data*/,
                             std::string& uid, fs::path& /*path*/) {
  std::lock_guard lock(counter_mutex_);
  uid = "m" + std::to_string(++counter_);
}

// ---- MaildirStore ------------------------------------------------------------

namespace {

// A mailbox name as a directory name: bytes that are unsafe in a path
// component ('/', NUL, control bytes, '%', a leading '.') are %XX-escaped.
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

}  // namespace

MaildirStore::MaildirStore(fs::path root) : root_(std::move(root)) {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == 0) std::strcpy(host, "localhost");
  // Maildir names must not contain '/' or ':' in the host part.
  for (char& c : hostname_ = host)
    if (c == '/' || c == ':') c = '_';
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) throw std::system_error(ec, "cannot create maildir root " + root_.string());
  if (!fs::is_directory(root_)) throw std::runtime_error("maildir root is not a directory: " + root_.string());
  load_existing();
}

fs::path MaildirStore::maildir_for(std::string_view mailbox) const {
  return root_ / escape_component(normalize_mailbox(mailbox));
}

std::string MaildirStore::unique_name() {
  // time.MusecPpidQcounterRrandom.host (the Maildir convention, cr.yp.to/proto/maildir.html)
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto usec = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t n;
  {
    std::lock_guard lock(name_mutex_);
    n = ++counter_;
  }
  char buf[160];
  std::snprintf(buf, sizeof buf, "%lld.M%lldP%dQ%lluR%08llx.", static_cast<long long>(usec / 1000000),
                static_cast<long long>(usec % 1000000), static_cast<int>(::getpid()),
                static_cast<unsigned long long>(n), static_cast<unsigned long long>(rng() & 0xffffffffu));
  return std::string(buf) + hostname_;
}

void MaildirStore::write_copy(const std::string& mailbox, const std::string& data, std::string& uid,
                              fs::path& path) {
  const fs::path dir = maildir_for(mailbox);
  ensure_maildir(dir);
  uid = unique_name();
  path = dir / "new" / uid;
  write_durably(dir / "tmp" / uid, path, data);
}

void MaildirStore::remove_copy(const StoredMessage& m) {
  if (!m.path.empty()) {
    std::error_code ec;
    fs::remove(m.path, ec);
  }
}

fs::path MaildirStore::seen_copy(const StoredMessage& m) {
  if (m.path.empty() || m.path.parent_path().filename() != "new") return m.path;
  // Maildir: a message that has been seen moves to cur/ with its info "2,S".
  const fs::path box = m.path.parent_path().parent_path();
  const fs::path target = box / "cur" / (m.path.filename().string() + ":2,S");
  if (::rename(m.path.c_str(), target.c_str()) != 0)
    throw std::system_error(errno, std::generic_category(), "cannot move to cur/ " + target.string());
  return target;
}

void MaildirStore::load_existing() {
  struct Found {
    fs::file_time_type mtime;
    std::string name;
    StoredMessage msg;
  };
  std::vector<Found> found;
  std::error_code ec;
  // What a crash left in tmp/: files older than 36 hours are removed (the
  // qmail rule: a delivery never takes that long, so nobody is writing them).
  const auto stale_before = fs::file_time_type::clock::now() - std::chrono::hours(36);
  for (const auto& box : fs::directory_iterator(root_, ec)) {
    if (!box.is_directory()) continue;
    const std::string mailbox = unescape_component(box.path().filename().string());
    std::error_code tmp_ec;
    for (const auto& f : fs::directory_iterator(box.path() / "tmp", tmp_ec)) {
      std::error_code fec;
      if (!f.is_regular_file(fec) || f.last_write_time(fec) >= stale_before || fec) continue;
      if (fs::remove(f.path(), fec)) ++stale_tmp_removed_;
    }
    for (const char* sub : {"new", "cur"}) {
      const fs::path dir = box.path() / sub;
      if (!fs::is_directory(dir)) continue;
      for (const auto& f : fs::directory_iterator(dir, ec)) {
        if (!f.is_regular_file()) continue;
        std::string name = f.path().filename().string();
        if (name.empty() || name[0] == '.') continue;
        StoredMessage m;
        m.mailbox = mailbox;
        m.uid = name.substr(0, name.find(':'));  // strip ":2,flags"
        m.path = f.path();
        m.seen = std::string_view(sub) == "cur";
        m.data = std::make_shared<const std::string>(read_file(f.path()));
        auto env = std::make_shared<Envelope>();
        env->rcpt_to.push_back(mailbox);
        // The envelope sender survives in the Return-Path we wrote (RFC 5321 §4.4).
        if (m.data->rfind("Return-Path:", 0) == 0) {
          auto lt = m.data->find('<'), gt = m.data->find('>');
          auto eol = m.data->find('\n');
          if (lt != std::string::npos && gt != std::string::npos && gt > lt && gt < eol)
            env->mail_from = m.data->substr(lt + 1, gt - lt - 1);
        }
        auto mtime = f.last_write_time(ec);
        env->received_at = std::chrono::duration<double>(
                               std::chrono::file_clock::to_sys(mtime).time_since_epoch())
                               .count();
        m.envelope = std::move(env);
        found.push_back({mtime, name, std::move(m)});
      }
    }
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.name < b.name;
  });
  for (auto& f : found) add_loaded(std::move(f.msg));
}

}  // namespace mailroom::store
