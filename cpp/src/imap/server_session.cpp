// ServerSession: byte handling (lines, literals, continuation requests,
// limits), dispatch by state, responses, the transcript. The view of the
// selected folder is in selected_view.cpp, the commands in commands_*.cpp.
#include "mailroom/imap/server_session.hpp"

#include <algorithm>
#include <cstring>

#include "mailroom/imap/arguments.hpp"
#include "mailroom/store/flags.hpp"

namespace mailroom::imap {

std::string Output::wire() const {
  std::string w = bytes;
  if (body) w += *body;
  w += tail;
  return w;
}

const char* to_string(State s) {
  switch (s) {
    case State::NotAuthenticated: return "NotAuthenticated";
    case State::Authenticated: return "Authenticated";
    case State::Selected: return "Selected";
    case State::Logout: return "Logout";
  }
  return "?";
}

ServerSession::ServerSession(const Config& config, Handler& handler, store::MailStore& store,
                             MessageCache& cache, std::string peer)
    : cfg_(config),
      handler_(handler),
      store_(store),
      cache_(cache),
      peer_(std::move(peer)),
      transcript_(config.max_transcript_bytes) {}

ServerSession::~ServerSession() = default;

std::string ServerSession::capabilities() const {
  std::string c = "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE "
                  "CHILDREN SPECIAL-USE CONDSTORE QRESYNC ESEARCH SEARCHRES LIST-EXTENDED LIST-STATUS STATUS=SIZE";
  c += " SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY MULTIAPPEND "
       "UTF8=ACCEPT NOTIFY CATENATE";
  c += " APPENDLIMIT=" + std::to_string(cfg_.max_literal);
  if (cfg_.compress && !compressing_ && state_ != State::NotAuthenticated)
    c += " COMPRESS=DEFLATE";
  if (state_ == State::NotAuthenticated) {
    if (cfg_.starttls && !tls_active_) c += " STARTTLS";
    if (logins_allowed())
      c += cfg_.auth_cram_md5 ? " AUTH=PLAIN AUTH=LOGIN AUTH=CRAM-MD5" : " AUTH=PLAIN AUTH=LOGIN";
    else
      c += " LOGINDISABLED";
  }
  return c;
}

Output ServerSession::greeting() {
  std::vector<Output> out;
  untagged("OK [CAPABILITY " + capabilities() + "] " + cfg_.hostname + " IMAP4rev1 server ready");
  flush(out);
  return std::move(out.front());
}

void ServerSession::tls_established() {
  tls_pending_ = false;
  tls_active_ = true;
}

void ServerSession::on_timeout(std::vector<Output>& out) {
  bye(out, "Autologout; idle for too long");
}

// ---------------------------------------------------------------- input ----

namespace {

// A literal announced at the end of a line: "{n}", "{n+}" or "~{n}".
struct Announced {
  bool found = false;
  bool sync = true;
  bool valid = true;
  std::uint64_t size = 0;
};

Announced literal_at_end(std::string_view line) {
  Announced a;
  if (line.empty() || line.back() != '}') return a;
  const std::size_t open = line.rfind('{');
  if (open == std::string_view::npos) return a;
  std::string_view n = line.substr(open + 1, line.size() - open - 2);
  a.found = true;
  if (!n.empty() && n.back() == '+') {
    a.sync = false;
    n.remove_suffix(1);
  }
  a.valid = !n.empty() && n.size() <= 19 && parse_number(n, a.size);
  return a;
}

// The tag a command starts with, "" when it has none that is valid. Of the
// start of a line (`partial`), only a tag the space after it ends.
std::string tag_of(std::string_view text, bool partial = false) {
  Arguments a(text);
  try {
    std::string tag = a.tag();
    if ((a.at_end() && !partial) || a.peek(' ')) return tag;
  } catch (const SyntaxError&) {
  }
  return {};
}

// The command name of a command's text ("a1 UID FETCH ..." -> "UID FETCH").
bool is_append(std::string_view text) {
  const std::size_t sp = text.find(' ');
  if (sp == std::string_view::npos) return false;
  return istarts_with(text.substr(sp + 1), "APPEND ");
}

}  // namespace

void ServerSession::feed(std::string_view data, std::vector<Output>& out) {
  std::size_t i = 0;
  switching_input_ = false;
  while (i < data.size() && !closed() && !tls_pending_ && !paused_ && !switching_input_) {
    const char* p = data.data() + i;
    const std::size_t avail = data.size() - i;
    if (literal_left_ > 0) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(literal_left_, avail));
      command_.append(p, n);
      literal_left_ -= n;
      i += n;
      continue;
    }
    const auto* lf = static_cast<const char*>(std::memchr(p, '\n', avail));
    const std::size_t seg = lf ? static_cast<std::size_t>(lf - p) : avail;
    if (discarding_) {
      discarded_ += lf ? seg + 1 : seg;
      i += lf ? seg + 1 : seg;
      if (lf) {
        discarding_ = false;
        overlong_line(out);
      }
      continue;
    }
    const std::size_t limit = std::max<std::size_t>(cfg_.max_command_line, 2);
    if (line_.size() + seg > limit - 1) {
      // Keep the tag (when it is all there) to answer BAD with it.
      // The tag, when the line's first `limit` octets hold it and its space.
      std::string head = command_.empty() ? line_ : command_.substr(0, limit);
      if (command_.empty()) head.append(p, std::min(seg, limit - std::min(limit, head.size())));
      discarded_tag_ = tag_of(head, true);
      discarding_ = true;
      discarded_ = line_.size() + command_.size();
      line_.clear();
      command_.clear();
      continue;
    }
    if (lf == nullptr) {
      line_.append(p, avail);
      return;
    }
    i += seg + 1;
    if (line_.empty()) {
      line_done(std::string_view(p, seg), out);
    } else {
      line_.append(p, seg);
      const std::string line = std::move(line_);
      line_.clear();
      line_done(line, out);
    }
  }
  if (paused_ && i < data.size()) held_.append(data.substr(i));
}


void ServerSession::line_done(std::string_view line, std::vector<Output>& out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (sasl_ != Sasl::None || idling_) return raw_line(line, out);
  const Announced lit = literal_at_end(line);
  if (lit.found) return literal_announced(line, lit.valid ? lit.size : UINT64_MAX, lit.sync, out);
  command_.append(line);
  if (command_.size() > cfg_.max_command_size && !is_append(command_)) {
    const std::string text = std::move(command_);
    command_.clear();
    const std::string tag = tag_of(text);
    log_client("<command of " + std::to_string(text.size()) + " octets>");
    if (tag.empty()) return bye(out, "Command too long");
    return tagged(out, tag, "BAD", "[TOOBIG] Command too long");
  }
  const std::string text = std::move(command_);
  command_.clear();
  command(text, out);
}

void ServerSession::literal_announced(std::string_view line, std::uint64_t n, bool sync,
                                      std::vector<Output>& out) {
  const bool append = is_append(command_.empty() ? line : std::string_view(command_));
  const std::size_t so_far = command_.size() + line.size() + 2;
  const std::uint64_t room = so_far >= cfg_.max_command_size ? 0 : cfg_.max_command_size - so_far;
  const std::uint64_t limit = append ? std::max<std::uint64_t>(cfg_.max_literal, room) : room;
  if (n > limit || so_far > cfg_.max_command_size + (append ? cfg_.max_literal : 0)) {
    const std::string tag = tag_of(command_.empty() ? line : std::string_view(command_));
    command_.clear();
    log_client(std::string(line.substr(0, std::min<std::size_t>(line.size(), 200))));
    // RFC 9051 §7.1: TOOBIG. A synchronizing literal is simply refused (the
    // client sends nothing more of it); a non-synchronizing one is already
    // on its way, so the connection cannot be read in step any more
    // (RFC 7888 §4): BYE.
    if (!sync || tag.empty()) {
      if (!tag.empty()) tagged(out, tag, "BAD", "[TOOBIG] Literal too big");
      return bye(out, "[TOOBIG] Literal too big, closing");
    }
    return tagged(out, tag, "NO", "[TOOBIG] Literal too big");
  }
  command_.append(line);
  command_.append("\r\n");
  literal_left_ = n;
  if (sync) {
    Output o;
    o.bytes = "+ Ready for literal data\r\n";
    transcript_.add("S: ", "+ Ready for literal data");
    out.push_back(std::move(o));
  }
}

void ServerSession::overlong_line(std::vector<Output>& out) {
  transcript_.add("C: ", "<line too long: " + std::to_string(discarded_) + " octets discarded>");
  discarded_ = 0;
  const std::string tag = std::move(discarded_tag_);
  discarded_tag_.clear();
  if (sasl_ != Sasl::None) {
    sasl_ = Sasl::None;
    return tagged(out, sasl_tag_, "BAD", "AUTHENTICATE response too long");
  }
  if (idling_) {
    idling_ = false;
    return tagged(out, idle_tag_, "BAD", "Expected DONE");
  }
  if (tag.empty()) return bye(out, "Line too long");
  tagged(out, tag, "BAD", "[TOOBIG] Line too long");
}

void ServerSession::command(std::string_view text, std::vector<Output>& out) {
  // IMAP4rev2 (RFC 9051 §4.3) and UTF8=ACCEPT (RFC 6855 §3) allow UTF-8 in
  // quoted strings.
  Arguments a(text, rev2_ || utf8_);
  std::string tag;
  try {
    tag = a.tag();
  } catch (const SyntaxError&) {
    log_client(text);
    untagged("BAD Invalid tag");
    ++errors_;
    flush(out);
    if (cfg_.max_errors > 0 && errors_ >= cfg_.max_errors) bye(out, "Too many errors");
    return;
  }
  std::string name;
  try {
    a.sp();
    name = a.atom();
  } catch (const SyntaxError&) {
    log_client(text);
    return tagged(out, tag, "BAD", "Missing command");
  }
  for (char& c : name) c = ascii_upper(c);
  // Credentials never reach the transcript.
  if (name == "LOGIN") {
    std::string shown = tag + " LOGIN";
    Arguments peek(text.substr(a.position()));
    try {
      peek.sp();
      shown.push_back(' ');
      shown += peek.astring();
      shown += " ****";
    } catch (const SyntaxError&) {
      shown += " ****";
    }
    log_client(shown);
  } else if (name == "AUTHENTICATE") {
    const std::size_t sp = text.find(' ', a.position() + 1);
    log_client(std::string(text.substr(0, sp)) + (sp == std::string_view::npos ? "" : " ****"));
  } else {
    log_client(text);
  }
  if (ruled(tag, text, name, a.position(), out)) return;
  uid_command_ = name == "UID";
  guarded(tag, [&] { dispatch(tag, name, a, out); }, out);
  // A reply rule's delay waits for the reply of store work still running,
  // and a UID command stays one until then (SELECTED-DELAYED, RFC 5465 §6.1).
  if (!store_done_) {
    reply_delay_ms_ = 0;
    uid_command_ = false;
  }
}

void ServerSession::guarded(const std::string& tag, const std::function<void()>& fn,
                            std::vector<Output>& out) {
  try {
    fn();
  } catch (const SyntaxError& e) {
    uid_command_ = false;
    pending_.clear();
    tagged(out, tag, "BAD", e.what());
  } catch (const store::LimitExceeded& e) {
    pending_.clear();
    tagged(out, tag, "NO", std::string("[LIMIT] ") + e.what());
  } catch (const store::NoSuchFolder&) {
    pending_.clear();
    tagged(out, tag, "NO", "[NONEXISTENT] No such mailbox");
  } catch (const store::StoreError& e) {
    pending_.clear();
    tagged(out, tag, "NO", std::string("[CANNOT] ") + e.what());
  } catch (const std::exception&) {
    pending_.clear();
    tagged(out, tag, "NO", "[SERVERBUG] Internal error, try again");
  }
}

bool ServerSession::ruled(const std::string& tag, std::string_view text, const std::string& name,
                          std::size_t args, std::vector<Output>& out) {
  std::string full = name;
  if (name == "UID") {  // "UID FETCH": the rule may name either
    Arguments peek(text.substr(args));
    try {
      peek.sp();
      std::string sub = peek.atom();
      for (char& c : sub) c = ascii_upper(c);
      full.push_back(' ');
      full += sub;
    } catch (const SyntaxError&) {
    }
  }
  std::optional<CommandReply> r;
  try {
    r = handler_.on_command(full);
  } catch (...) {
    return false;
  }
  if (!r) return false;
  if (r->disconnect) {
    Output o;  // nothing to write: the transport closes once the delay is over
    o.delay_ms = r->delay_ms;
    o.close_after = true;
    o.ok = false;
    transcript_.add("", "-- connection dropped without a reply");
    emit(out, std::move(o));
    return true;
  }
  if (r->status.empty()) {
    reply_delay_ms_ = r->delay_ms;  // the command runs; its first output waits
    return false;
  }
  reply_delay_ms_ = r->delay_ms;
  const std::string reply_text = r->text.empty() ? "Refused by a reply rule" : r->text;
  if (r->status == "BYE") {
    bye(out, reply_text);
  } else {
    pending_.clear();
    tagged(out, tag, r->status == "BAD" ? "BAD" : "NO", reply_text);
  }
  reply_delay_ms_ = 0;
  return true;
}

void ServerSession::dispatch(const std::string& tag, const std::string& name, Arguments& a,
                             std::vector<Output>& out) {
  const bool authed = state_ == State::Authenticated || state_ == State::Selected;
  const bool selected = state_ == State::Selected;
  auto wrong_state = [&](const char* why) { tagged(out, tag, "BAD", why); };
  // Any state.
  if (name == "CAPABILITY") return cmd_capability(tag, a, out);
  // RFC 9051 Appendix E: IMAP4rev2 removed CHECK (use NOOP) and deprecated
  // LSUB (use LIST (SUBSCRIBED)); its command grammar has neither, so a
  // session that enabled it gets BAD, as for any unknown command.
  if (rev2_ && (name == "CHECK" || name == "LSUB"))
    return tagged(out, tag, "BAD", "IMAP4rev2 has no " + name + " command (RFC 9051 Appendix E)");
  if (name == "NOOP" || (name == "CHECK" && selected)) {
    a.end();
    if (selected) sync(true);
    return tagged(out, tag, "OK", name + " completed");
  }
  if (name == "LOGOUT") {
    a.end();
    untagged("BYE " + cfg_.hostname + " IMAP4rev1 server logging out");
    pending_ += tag + " OK LOGOUT completed\r\n";
    Output o;
    o.bytes = std::move(pending_);
    pending_.clear();
    o.close_after = true;
    return emit(out, std::move(o));
  }
  if (name == "ID") return cmd_id(tag, a, out);
  // Not authenticated.
  if (name == "STARTTLS" || name == "LOGIN" || name == "AUTHENTICATE") {
    if (state_ != State::NotAuthenticated) return wrong_state("Already authenticated");
    if (name == "STARTTLS") return cmd_starttls(tag, a, out);
    if (name == "LOGIN") return cmd_login(tag, a, out);
    return cmd_authenticate(tag, a, out);
  }
  static const char* const kAuthenticated[] = {
      "ENABLE", "SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE",
      "LIST", "LSUB", "NAMESPACE", "STATUS", "APPEND", "IDLE", "COMPRESS", "NOTIFY"};
  const bool auth_command = std::any_of(std::begin(kAuthenticated), std::end(kAuthenticated),
                                        [&](const char* c) { return name == c; });
  if (auth_command && !authed) return wrong_state("Log in first");
  if (name == "ENABLE") return cmd_enable(tag, a, out);
  if (name == "SELECT") return cmd_select(tag, a, false, out);
  if (name == "EXAMINE") return cmd_select(tag, a, true, out);
  if (name == "CREATE") return cmd_create(tag, a, out);
  if (name == "DELETE") return cmd_delete(tag, a, out);
  if (name == "RENAME") return cmd_rename(tag, a, out);
  if (name == "SUBSCRIBE") return cmd_subscribe(tag, a, true, out);
  if (name == "UNSUBSCRIBE") return cmd_subscribe(tag, a, false, out);
  if (name == "LIST") return cmd_list(tag, a, false, out);
  if (name == "LSUB") return cmd_list(tag, a, true, out);
  if (name == "NAMESPACE") return cmd_namespace(tag, a, out);
  if (name == "STATUS") return cmd_status(tag, a, out);
  if (name == "APPEND") return cmd_append(tag, a, out);
  if (name == "IDLE") return cmd_idle(tag, a, out);
  if (name == "COMPRESS") return cmd_compress(tag, a, out);
  if (name == "NOTIFY") return cmd_notify(tag, a, out);
  // Selected.
  static const char* const kSelected[] = {"CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "SEARCH",
                                          "FETCH", "STORE", "COPY", "MOVE", "UID",
                                          "SORT", "THREAD"};
  const bool selected_command = std::any_of(std::begin(kSelected), std::end(kSelected),
                                            [&](const char* c) { return name == c; });
  if (!selected_command) return tagged(out, tag, "BAD", "Unknown command " + name);
  if (!selected) return wrong_state(authed ? "No mailbox selected" : "Log in first");
  // What others changed first (flags and arrivals; expunges wait for the end
  // of the command, when it allows them), so this command sees it.
  if (dirty_) sync(false);
  if (name == "CLOSE") return cmd_close(tag, a, true, out);
  if (name == "UNSELECT") return cmd_close(tag, a, false, out);
  if (name == "EXPUNGE") return cmd_expunge(tag, a, false, out);
  if (name == "SEARCH") return cmd_search(tag, a, false, out);
  if (name == "FETCH") return cmd_fetch(tag, a, false, out);
  if (name == "STORE") return cmd_store(tag, a, false, out);
  if (name == "COPY") return cmd_copy(tag, a, false, false, out);
  if (name == "MOVE") return cmd_copy(tag, a, false, true, out);
  if (name == "SORT") return cmd_sort(tag, a, false, out);
  if (name == "THREAD") return cmd_thread(tag, a, false, out);
  // UID (RFC 9051 §6.4.9).
  a.sp();
  std::string sub = a.atom();
  for (char& c : sub) c = ascii_upper(c);
  if (sub == "FETCH") return cmd_fetch(tag, a, true, out);
  if (sub == "STORE") return cmd_store(tag, a, true, out);
  if (sub == "SEARCH") return cmd_search(tag, a, true, out);
  if (sub == "COPY") return cmd_copy(tag, a, true, false, out);
  if (sub == "MOVE") return cmd_copy(tag, a, true, true, out);
  if (sub == "EXPUNGE") return cmd_expunge(tag, a, true, out);
  if (sub == "SORT") return cmd_sort(tag, a, true, out);
  if (sub == "THREAD") return cmd_thread(tag, a, true, out);
  tagged(out, tag, "BAD", "Unknown UID command " + sub);
}

// ------------------------------------------------------------ responses ----

void ServerSession::untagged(std::string_view text) {
  pending_ += "* ";
  pending_ += text;
  pending_ += "\r\n";
}

void ServerSession::tagged(std::vector<Output>& out, const std::string& tag,
                           std::string_view status, std::string_view text,
                           std::uint32_t delay_ms) {
  pending_ += tag;
  pending_.push_back(' ');
  pending_ += status;
  pending_.push_back(' ');
  append_reply_text(pending_, text);
  pending_ += "\r\n";
  Output o;
  o.bytes = std::move(pending_);
  pending_.clear();
  o.ok = status == "OK";
  o.delay_ms = delay_ms;
  emit(out, std::move(o));
  if (status == "BAD") {
    ++errors_;
    if (cfg_.max_errors > 0 && errors_ >= cfg_.max_errors) bye(out, "Too many errors");
  }
}

void ServerSession::bye(std::vector<Output>& out, std::string_view text) {
  if (closed()) return;
  pending_ += "* BYE ";
  append_reply_text(pending_, text);
  pending_ += "\r\n";
  Output o;
  o.bytes = std::move(pending_);
  pending_.clear();
  o.ok = false;
  o.close_after = true;
  emit(out, std::move(o));
}

void ServerSession::flush(std::vector<Output>& out) {
  if (pending_.empty()) return;
  Output o;
  o.bytes = std::move(pending_);
  pending_.clear();
  emit(out, std::move(o));
}

namespace {

// Lines of `text` for the transcript, a literal of more than 256 octets shown
// as its length.
template <class Add>
void literal_aware_lines(std::string_view text, Add add) {
  std::size_t s = 0;
  while (s < text.size()) {
    std::size_t e = text.find('\n', s);
    if (e == std::string_view::npos) e = text.size();
    std::string_view line = text.substr(s, e - s);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    add(line);
    s = e + 1;
    const Announced lit = literal_at_end(line);
    if (lit.found && lit.valid && lit.size > 256 && lit.size <= text.size() - std::min(s, text.size())) {
      add("<literal " + std::to_string(lit.size) + " octets>");
      s += static_cast<std::size_t>(lit.size);
    }
  }
}

}  // namespace

void ServerSession::emit(std::vector<Output>& out, Output o) {
  if (closed()) return;
  if (closing_) {
    o.close_after = true;
    o.ok = false;
  }
  if (reply_delay_ms_ > 0) {
    o.delay_ms += reply_delay_ms_;
    reply_delay_ms_ = 0;
  }
  if (transcript_.enabled()) {
    literal_aware_lines(o.bytes, [&](std::string_view l) { transcript_.add("S: ", l); });
    if (o.body) transcript_.add("S: ", "<literal " + std::to_string(o.body->size()) + " octets>");
  }
  const bool close = o.close_after;
  out.push_back(std::move(o));
  if (close) {
    state_ = State::Logout;
    deselect();
  }
}

void ServerSession::log_client(std::string_view text) {
  if (!transcript_.enabled()) return;
  literal_aware_lines(text, [&](std::string_view l) { transcript_.add("C: ", l); });
}

}  // namespace mailroom::imap
