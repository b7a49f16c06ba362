#include "mailroom/queue/spool.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <system_error>

#include "mailroom/smtp/dsn_parameters.hpp"
#include "mailroom/store/durable_file.hpp"

namespace fs = std::filesystem;

namespace mailroom::queue {

namespace {

constexpr std::string_view kMagic = "mailroom-queue 1\n";

// Addresses and reply texts never hold CR or LF (the SMTP parsers refuse
// them); tabs separate fields, so they are replaced too.
std::string one_line(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c == '\r' || c == '\n' || c == '\t' || c == '\0') c = ' ';
  return out;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

bool take_line(std::string_view& in, std::string_view& line) {
  auto nl = in.find('\n');
  if (nl == std::string_view::npos) return false;
  line = in.substr(0, nl);
  in.remove_prefix(nl + 1);
  return true;
}

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool has_control(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

bool is_id(std::string_view s) {  // new_id(): hex digits; also a file name
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  return true;
}

template <class T>
bool parse_num(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_double(std::string_view s, double& out) {
  std::string copy(s);
  char* end = nullptr;
  out = std::strtod(copy.c_str(), &end);
  return !copy.empty() && end == copy.c_str() + copy.size();
}

std::vector<std::string_view> split_tabs(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    auto t = s.find('\t');
    out.push_back(s.substr(0, t));
    if (t == std::string_view::npos) return out;
    s.remove_prefix(t + 1);
  }
}

}  // namespace

Spool::Spool(fs::path dir)
    : dir_(std::move(dir)), queue_dir_sync_(std::make_unique<store::DirectorySync>(dir_ / "queue")) {
  std::error_code ec;
  for (const char* sub : {"tmp", "queue", "corrupt"}) {
    fs::create_directories(dir_ / sub, ec);
    if (ec) throw std::runtime_error("cannot create the spool directory " + (dir_ / sub).string() +
                                     ": " + ec.message());
  }
}

std::string Spool::encode_entry(const QueueEntry& e) {
  std::string out(kMagic);
  out.append("id ").append(one_line(e.id)).append("\n");
  out.append("from ").append(one_line(e.mail_from)).append("\n");
  out.append("arrived ").append(number(e.arrived_at)).append("\n");
  if (!e.dsn.ret.empty()) out.append("ret ").append(e.dsn.ret).append("\n");
  if (e.dsn.has_envid) out.append("envid ").append(smtp::xtext_encode(e.dsn.envid)).append("\n");
  for (const auto& r : e.rcpts) {
    out.append("rcpt ").append(one_line(r.address)).append("\n");
    if (r.dsn.notify != 0) out.append("notify ").append(smtp::notify_text(r.dsn.notify)).append("\n");
    if (!r.dsn.orcpt_type.empty())
      out.append("orcpt ").append(r.dsn.orcpt_type).append(";").append(smtp::xtext_encode(r.dsn.orcpt)).append("\n");
  }
  out.append("data ").append(std::to_string(e.data ? e.data->size() : 0)).append("\n");
  if (e.data) out.append(*e.data);
  return out;
}

bool Spool::decode_entry(std::string_view in, QueueEntry& e) {
  if (!starts(in, kMagic)) return false;
  in.remove_prefix(kMagic.size());
  std::string_view line;
  while (take_line(in, line)) {
    if (starts(line, "id ")) {
      if (!is_id(line.substr(3))) return false;
      e.id = line.substr(3);
    } else if (starts(line, "from ")) {
      if (has_control(line.substr(5))) return false;
      e.mail_from = line.substr(5);
    } else if (starts(line, "arrived ")) {
      if (!parse_double(line.substr(8), e.arrived_at)) return false;
    } else if (starts(line, "ret ")) {
      if (!smtp::parse_ret(line.substr(4), e.dsn.ret)) return false;
    } else if (starts(line, "envid ")) {
      if (!smtp::parse_envid(line.substr(6), e.dsn.envid)) return false;
      e.dsn.has_envid = true;
    } else if (starts(line, "notify ")) {
      if (e.rcpts.empty() || !smtp::parse_notify(line.substr(7), e.rcpts.back().dsn.notify)) return false;
    } else if (starts(line, "orcpt ")) {
      if (e.rcpts.empty() || !smtp::parse_orcpt(line.substr(6), e.rcpts.back().dsn)) return false;
    } else if (starts(line, "rcpt ")) {
      if (line.size() == 5 || has_control(line.substr(5))) return false;
      QueueRecipient r;
      r.address = line.substr(5);
      e.rcpts.push_back(std::move(r));
    } else if (starts(line, "data ")) {
      std::size_t n = 0;
      if (!parse_num(line.substr(5), n) || n != in.size()) return false;
      e.data = std::make_shared<const std::string>(in);
      e.next_attempt = e.arrived_at;
      return !e.id.empty() && !e.rcpts.empty();
    } else {
      return false;
    }
  }
  return false;
}

std::string Spool::encode_state(const QueueEntry& e) {
  // One snapshot: "attempt", one "rcpt" line per recipient, "end".
  std::string out = "attempt " + std::to_string(e.attempts);
  bool delay_reported = false;
  for (const auto& r : e.rcpts) delay_reported = delay_reported || r.delay_reported;
  out.append(" ").append(number(e.next_attempt)).append(delay_reported ? " 1\n" : " 0\n");
  for (std::size_t i = 0; i < e.rcpts.size(); ++i) {
    const auto& r = e.rcpts[i];
    out.append("rcpt\t").append(std::to_string(i)).append("\t");
    // D delivered, F failed, B failed and in a bounce already, P pending.
    out.append(r.status == RecipientStatus::Delivered ? "D"
               : r.status == RecipientStatus::Failed  ? (r.reported ? "B" : "F")
                                                      : "P");
    out.append("\t").append(std::to_string(r.attempts)).append("\t").append(std::to_string(r.last_code));
    out.append("\t").append(number(r.last_attempt)).append("\t").append(one_line(r.remote_host));
    // Report flags: W delayed report out, L relayed without DSN, S its report out.
    std::string flags = "-";
    if (r.delay_reported) flags += "W";
    if (r.relayed) flags += "L";
    if (r.success_reported) flags += "S";
    out.append("\t").append(flags);
    out.append("\t").append(one_line(r.last_reply)).append("\n");
  }
  out.append("end\n");
  return out;
}

void Spool::apply_state(std::string_view in, QueueEntry& e) {
  // Parse snapshots in order; apply only complete ones (a crash may tear the last).
  QueueEntry work = e;
  std::string_view line;
  bool open = false;
  bool delay_warned = false;  // the entry's flag, for state written without per-recipient flags
  while (take_line(in, line)) {
    if (starts(line, "attempt ")) {
      work = e;
      open = true;
      auto f = line.substr(8);
      auto sp1 = f.find(' ');
      auto sp2 = f.find(' ', sp1 == std::string_view::npos ? sp1 : sp1 + 1);
      if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
          !parse_num(f.substr(0, sp1), work.attempts) ||
          !parse_double(f.substr(sp1 + 1, sp2 - sp1 - 1), work.next_attempt)) {
        open = false;
        continue;
      }
      delay_warned = f.substr(sp2 + 1) == "1";
    } else if (open && starts(line, "rcpt\t")) {
      auto f = split_tabs(line);
      std::size_t i = 0;
      // 8 fields: written before the report flags; 9: with them.
      if ((f.size() != 8 && f.size() != 9) || !parse_num(f[1], i) || i >= work.rcpts.size()) {
        open = false;
        continue;
      }
      auto& r = work.rcpts[i];
      r.status = f[2] == "D"                  ? RecipientStatus::Delivered
                 : f[2] == "F" || f[2] == "B" ? RecipientStatus::Failed
                                              : RecipientStatus::Pending;
      r.reported = f[2] == "B";
      if (!parse_num(f[3], r.attempts) || !parse_num(f[4], r.last_code) ||
          !parse_double(f[5], r.last_attempt)) {
        open = false;
        continue;
      }
      r.remote_host = f[6];
      if (f.size() == 9) {
        const std::string_view flags = f[7];
        r.delay_reported = flags.find('W') != std::string_view::npos;
        r.relayed = flags.find('L') != std::string_view::npos;
        r.success_reported = flags.find('S') != std::string_view::npos;
      } else {
        r.delay_reported = delay_warned;
        // Old state: no DSN parameters, so no success report was due.
        r.success_reported = r.status == RecipientStatus::Delivered;
      }
      r.last_reply = f.back();
      if (!r.last_reply.empty()) work.last_reply = r.last_reply;
    } else if (open && line == "end") {
      e = work;
      open = false;
    } else {
      open = false;
    }
  }
}

void Spool::write_new(const QueueEntry& e) {
  store::write_durably(dir_ / "tmp" / e.id, dir_ / "queue" / e.id, encode_entry(e), false);
  queue_dir_sync_->sync();  // shared with the messages renamed at the same time
}

void Spool::write_state(const QueueEntry& e) {
  store::append_durably(dir_ / "queue" / (e.id + ".state"), encode_state(e));
}

void Spool::write_state_now(const QueueEntry& e) {
  store::append_now(dir_ / "queue" / (e.id + ".state"), encode_state(e));
}

void Spool::remove(const std::string& id) {
  std::error_code ec;
  // The message first: a state file without its message is ignored on load.
  fs::remove(dir_ / "queue" / id, ec);
  fs::remove(dir_ / "queue" / (id + ".state"), ec);
}

std::vector<QueueEntry> Spool::load(std::size_t& corrupt) {
  corrupt = 0;
  std::vector<QueueEntry> out;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir_ / "queue", ec)) {
    const std::string name = f.path().filename().string();
    if (name.ends_with(".state")) {
      if (!fs::exists(dir_ / "queue" / name.substr(0, name.size() - 6))) fs::remove(f.path(), ec);
      continue;
    }
    QueueEntry e;
    if (!decode_entry(store::read_file(f.path()), e) || e.id != name) {
      ++corrupt;
      fs::rename(f.path(), dir_ / "corrupt" / name, ec);
      continue;
    }
    const fs::path state = dir_ / "queue" / (name + ".state");
    if (fs::exists(state)) apply_state(store::read_file(state), e);
    out.push_back(std::move(e));
  }
  // Unfinished writes from before a crash were never acknowledged.
  for (const auto& f : fs::directory_iterator(dir_ / "tmp", ec)) fs::remove(f.path(), ec);
  std::sort(out.begin(), out.end(),
            [](const QueueEntry& a, const QueueEntry& b) { return a.arrived_at < b.arrived_at; });
  return out;
}

}  // namespace mailroom::queue
