// ClientSession: the IMAP client state machine (see client_session.hpp).
#include "mailroom/imap/client_session.hpp"

#include <cstring>
#include <utility>

#include "mailroom/imap/arguments.hpp"
#include "mailroom/mime/codecs.hpp"
#include "mailroom/mutf7.hpp"

namespace mailroom::imap {

const char* to_string(Status s) {
  switch (s) {
    case Status::Ok: return "OK";
    case Status::No: return "NO";
    case Status::Bad: return "BAD";
    case Status::Bye: return "BYE";
    case Status::Preauth: return "PREAUTH";
  }
  return "?";
}

const char* to_string(ClientError e) {
  switch (e) {
    case ClientError::None: return "None";
    case ClientError::Protocol: return "Protocol";
    case ClientError::Refused: return "Refused";
    case ClientError::Timeout: return "Timeout";
    case ClientError::ConnectionLost: return "ConnectionLost";
  }
  return "?";
}

namespace {

constexpr std::size_t kLiteralMinusMax = 4096;  // RFC 7888 §4 LITERAL-

bool quotable(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return false;
  }
  return true;
}

bool atom_text(std::string_view s) {
  if (s.empty() || iequals(s, "NIL")) return false;
  for (char c : s)
    if (!is_atom_char(c)) return false;
  return true;
}

std::string quoted(std::string_view s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q.push_back('\\');
    q.push_back(c);
  }
  q.push_back('"');
  return q;
}

}  // namespace

ClientSession::ClientSession(ClientConfig config)
    : cfg_(std::move(config)),
      plaintext_auth_allowed_(cfg_.allow_plaintext_auth),
      transcript_(cfg_.max_transcript_bytes) {
  awaiting_.push_back({0, "greeting", {}, {}, true, {}});
}

std::string ClientSession::take_output() { return std::exchange(out_, std::string()); }

std::chrono::milliseconds ClientSession::current_timeout() const {
  if (closed_ || awaiting_.empty() || idling_) return std::chrono::milliseconds{0};
  return awaiting_.front().id == 0 ? cfg_.greeting_timeout : cfg_.response_timeout;
}

void ClientSession::on_timeout(std::chrono::milliseconds waited, bool writing) {
  if (closed_) return;
  std::string text = "timed out after " + seconds_text(waited);
  text += writing ? " sending to the server (it stopped reading)" : " waiting for the server";
  if (!awaiting_.empty())
    text += awaiting_.front().id == 0 ? "'s greeting"
                                      : " to answer " + awaiting_.front().name;
  fail(ClientError::Timeout, std::move(text));
}

void ClientSession::on_eof() {
  if (closed_) return;
  const bool logging_out = !awaiting_.empty() && awaiting_.front().name == "LOGOUT";
  if (logging_out && literal_left_ == 0 && !bye_.empty()) {
    closed_ = true;
    return;
  }
  std::string text = "connection closed by the server";
  if (literal_left_ > 0)
    text += " in the middle of a literal (" + std::to_string(literal_left_) + " octets missing)";
  else if (!response_.empty())
    text += " in the middle of a response";
  if (!bye_.empty()) text += ": BYE " + bye_;
  fail(ClientError::ConnectionLost, std::move(text));
}

void ClientSession::fail(ClientError kind, std::string text) {
  if (error_ == ClientError::None) {
    error_ = kind;
    error_text_ = std::move(text);
  }
  closed_ = true;
  idling_ = false;
  awaiting_.clear();
  queued_.clear();
  response_.clear();
  literal_left_ = 0;
}

std::optional<Completion> ClientSession::next_completion() {
  if (done_.empty()) return std::nullopt;
  Completion c = std::move(done_.front());
  done_.pop_front();
  return c;
}

std::optional<Untagged> ClientSession::next_unsolicited() {
  if (unsolicited_.empty()) return std::nullopt;
  Untagged u = std::move(unsolicited_.front());
  unsolicited_.pop_front();
  return u;
}

bool ClientSession::has_capability(std::string_view name) const {
  for (const auto& c : capabilities_)
    if (iequals(c, name)) return true;
  return false;
}

void ClientSession::note_capabilities(const std::vector<std::string>& words) {
  capabilities_.clear();
  for (const auto& w : words) {
    std::string u = w;
    for (char& c : u) c = ascii_upper(c);
    capabilities_.push_back(std::move(u));
  }
}

// ------------------------------------------------------------ commands ----

std::uint64_t ClientSession::enqueue(std::uint64_t id, std::string name,
                                     std::deque<std::string> chunks, std::string log,
                                     bool exclusive) {
  queued_.push_back({id, std::move(name), std::move(chunks), std::move(log), exclusive, {}});
  flush();
  return id;
}

std::uint64_t ClientSession::command(std::string_view name, const std::vector<Arg>& args) {
  if (name.empty() || !atom_text(name) || name.find(' ') != std::string_view::npos) {
    // "UID FETCH": two atoms.
    const std::size_t sp = name.find(' ');
    if (name.empty() || sp == std::string_view::npos || !atom_text(name.substr(0, sp)) ||
        !atom_text(name.substr(sp + 1)))
      throw std::invalid_argument("not an IMAP command name: '" + std::string(name) + "'");
  }
  const std::uint64_t id = next_id_++;
  const bool literal_plus = has_capability("LITERAL+");
  const bool literal_minus = has_capability("LITERAL-");
  std::deque<std::string> chunks;
  std::string chunk = "a" + std::to_string(id) + " ";
  chunk += name;
  std::string log = chunk;
  for (const Arg& given : args) {
    const Arg a = given.kind == Arg::Kind::Mailbox
                      ? Arg::astring(to_modified_utf7(given.text))
                      : given;
    chunk.push_back(' ');
    log.push_back(' ');
    bool literal = a.kind == Arg::Kind::Literal;
    if (a.kind == Arg::Kind::Raw) {
      if (a.text.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
        throw std::invalid_argument("CR, LF or NUL in an argument of " + std::string(name));
      chunk += a.text;
      log += a.text;
      continue;
    }
    if (!literal && atom_text(a.text)) {
      chunk += a.text;
      log += a.text;
      continue;
    }
    if (!literal && quotable(a.text)) {
      chunk += quoted(a.text);
      log += quoted(a.text);
      continue;
    }
    if (a.kind == Arg::Kind::String && a.text.find('\0') != std::string::npos)
      throw std::invalid_argument("NUL in a string argument of " + std::string(name));
    const std::string size = std::to_string(a.text.size());
    if (literal_plus || (literal_minus && a.text.size() <= kLiteralMinusMax)) {
      chunk += "{" + size + "+}\r\n";  // RFC 7888: non-synchronizing
      chunk += a.text;
    } else {
      chunk += "{" + size + "}\r\n";  // §4.3: wait for "+" before the octets
      chunks.push_back(std::move(chunk));
      chunk = a.text;
    }
    log += "{" + size + "} <" + size + " octets>";
  }
  chunk += "\r\n";
  chunks.push_back(std::move(chunk));
  const bool exclusive =
      iequals(name, "LOGOUT") || iequals(name, "STARTTLS") || iequals(name, "IDLE") ||
      iequals(name, "COMPRESS");
  std::string upper_name(name);
  for (char& c : upper_name) c = ascii_upper(c);
  return enqueue(id, std::move(upper_name), std::move(chunks), std::move(log), exclusive);
}

std::uint64_t ClientSession::login(std::string_view user, std::string_view password) {
  if (!credentials_allowed()) throw PlaintextAuthRefused();
  const std::uint64_t id = command("LOGIN", {Arg::astring(std::string(user)),
                                             Arg::astring(std::string(password))});
  // The transcript shows the user, never the password.
  for (auto* q : {&queued_, &awaiting_})
    for (auto& c : *q)
      if (c.id == id) c.log = "a" + std::to_string(id) + " LOGIN " + std::string(user) + " <hidden>";
  return id;
}

std::uint64_t ClientSession::authenticate_plain(std::string_view user, std::string_view password) {
  if (!credentials_allowed()) throw PlaintextAuthRefused();
  for (std::string_view s : {user, password})
    if (s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
      throw std::invalid_argument("CR, LF or NUL in the user name or password");
  std::string creds;  // RFC 4616: authzid NUL authcid NUL passwd
  creds.push_back('\0');
  creds.append(user);
  creds.push_back('\0');
  creds.append(password);
  const std::string response = mime::base64_encode(creds, 0);
  const std::uint64_t id = next_id_++;
  const std::string tag = "a" + std::to_string(id);
  std::deque<std::string> chunks;
  if (has_capability("SASL-IR")) {
    chunks.push_back(tag + " AUTHENTICATE PLAIN " + response + "\r\n");
  } else {
    chunks.push_back(tag + " AUTHENTICATE PLAIN\r\n");
    chunks.push_back(response + "\r\n");
  }
  return enqueue(id, "AUTHENTICATE", std::move(chunks), tag + " AUTHENTICATE PLAIN <hidden>",
                 true);
}

std::uint64_t ClientSession::starttls() { return command("STARTTLS"); }
std::uint64_t ClientSession::idle() { return command("IDLE"); }
std::uint64_t ClientSession::compress() { return command("COMPRESS", {Arg::raw("DEFLATE")}); }

std::string ClientSession::compression_started() {
  if (!compression_due_) throw std::logic_error("compression_started(): no COMPRESS answered OK");
  compression_due_ = false;
  compressing_ = true;
  transcript_.add("", "-- DEFLATE compression from here on, both ways");
  flush();
  return std::exchange(read_after_compress_, {});
}

void ClientSession::on_stream_error(std::string_view what) {
  fail(ClientError::Protocol, "cannot decompress what the server sent: " + std::string(what));
}

void ClientSession::idle_done() {
  if (closed_) return;
  if (!idling_) {
    // An IDLE not yet answered with "+": DONE goes when it is.
    for (const auto* q : {&awaiting_, &queued_})
      for (const auto& c : *q)
        if (c.name == "IDLE") idle_done_due_ = true;
    return;
  }
  idling_ = false;
  transcript_.add("C: ", "DONE");
  out_ += "DONE\r\n";
}

// Writes what may go now (see the header: pipelining and its limits).
void ClientSession::flush() {
  if (closed_ || !greeted_ || handshake_due_ || compression_due_) return;
  while (!queued_.empty()) {
    if (!awaiting_.empty()) {
      const Queued& last = awaiting_.back();
      if (!last.chunks.empty() || last.exclusive || queued_.front().exclusive) return;
      if (awaiting_.size() >= cfg_.max_in_flight) return;
    }
    Queued q = std::move(queued_.front());
    queued_.pop_front();
    transcript_.add("C: ", q.log);
    out_ += q.chunks.front();
    q.chunks.pop_front();
    awaiting_.push_back(std::move(q));
  }
}

void ClientSession::tls_established(std::string_view description) {
  tls_active_ = true;
  transcript_.tls_established(description);
  if (!handshake_due_) return;  // implicit TLS: the greeting comes next
  handshake_due_ = false;
  response_.clear();
  line_start_ = 0;
  capabilities_.clear();  // §6.2.1: ask again inside TLS
  flush();
}

// ---------------------------------------------------------------- input ----

void ClientSession::feed(std::string_view data) {
  while (!data.empty() && !closed_) {
    if (handshake_due_) {
      dropped_before_tls_ += data.size();
      transcript_.dropped_before_tls(data.size());
      return;
    }
    if (compression_due_) {  // RFC 4978 §4: compressed from the octet after the OK's CRLF
      read_after_compress_.append(data);
      return;
    }
    if (literal_left_ > 0) {  // literal octets, straight into the response
      const std::size_t take =
          static_cast<std::size_t>(std::min<std::uint64_t>(literal_left_, data.size()));
      response_.append(data.data(), take);
      data.remove_prefix(take);
      literal_left_ -= take;
      if (literal_left_ == 0) line_start_ = response_.size();
      continue;
    }
    const auto* nl = static_cast<const char*>(std::memchr(data.data(), '\n', data.size()));
    const std::size_t take = nl ? static_cast<std::size_t>(nl - data.data()) + 1 : data.size();
    if (response_.size() - line_start_ + take > cfg_.max_line) {
      fail(ClientError::Protocol,
           "response line longer than " + std::to_string(cfg_.max_line) + " octets");
      return;
    }
    if (response_.size() + take > cfg_.max_response) {
      fail(ClientError::Protocol,
           "response larger than " + std::to_string(cfg_.max_response) + " octets");
      return;
    }
    response_.append(data.data(), take);
    data.remove_prefix(take);
    if (nl == nullptr) return;
    line_complete();
  }
}

// A line of the response is in (from line_start_, LF included): a literal
// follows it, or the response is complete.
void ClientSession::line_complete() {
  response_.pop_back();  // LF; a bare LF is tolerated
  if (response_.size() > line_start_ && response_.back() == '\r') response_.pop_back();
  const std::string_view line = std::string_view(response_).substr(line_start_);
  transcript_.add("S: ", line);
  // "... {123}" / "{123+}" (§4.3, RFC 7888) at the end of the line.
  if (!line.empty() && line.back() == '}') {
    const std::size_t open = line.rfind('{');
    std::string_view digits;  // between '{' and '}'
    if (open != std::string_view::npos) digits = line.substr(open + 1, line.size() - open - 2);
    if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
    std::uint64_t n = 0;
    if (!digits.empty() && digits.size() <= 19 && parse_number(digits, n)) {
      if (n > cfg_.max_literal) {
        fail(ClientError::Protocol, "literal of " + std::to_string(n) +
                                        " octets is larger than the limit of " +
                                        std::to_string(cfg_.max_literal));
        return;
      }
      if (response_.size() + n + 2 > cfg_.max_response) {
        fail(ClientError::Protocol,
             "response larger than " + std::to_string(cfg_.max_response) + " octets");
        return;
      }
      response_ += "\r\n";
      response_.reserve(response_.size() + static_cast<std::size_t>(n));
      literal_left_ = n;
      line_start_ = response_.size();
      return;
    }
  }
  std::string text = std::exchange(response_, std::string());
  line_start_ = 0;
  response(text);
}

void ClientSession::response(std::string_view text) {
  if (text == "+" || text.starts_with("+ ")) {
    continuation(text.substr(std::min<std::size_t>(2, text.size())));
    return;
  }
  if (text.starts_with("* ")) {
    untagged(text.substr(2));
    return;
  }
  const std::size_t sp = text.find(' ');
  if (sp == std::string_view::npos || sp == 0) {
    fail(ClientError::Protocol, "malformed response: " + std::string(text.substr(0, 200)));
    return;
  }
  tagged(text.substr(0, sp), text.substr(sp + 1));
}

void ClientSession::continuation(std::string_view) {
  if (!awaiting_.empty()) {
    Queued& last = awaiting_.back();
    if (!last.chunks.empty()) {
      std::string chunk = std::move(last.chunks.front());
      last.chunks.pop_front();
      transcript_.add("C: ", last.name == "AUTHENTICATE"
                                 ? std::string("<hidden>")
                                 : "<" + std::to_string(chunk.size()) + " octets>");
      out_ += chunk;
      if (last.chunks.empty()) flush();
      return;
    }
    if (last.name == "IDLE" && !idling_) {
      idling_ = true;
      if (std::exchange(idle_done_due_, false)) idle_done();
      return;
    }
    if (last.name == "AUTHENTICATE") {  // a challenge after SASL-IR: cancel (§6.2.2)
      transcript_.add("C: ", "*");
      out_ += "*\r\n";
      return;
    }
  }
  fail(ClientError::Protocol, "continuation request (+) while no command waits for one");
}

void ClientSession::untagged(std::string_view text) {
  Untagged u;
  try {
    u = parse_untagged(text, cfg_.max_numbers);
  } catch (const SyntaxError& e) {
    fail(ClientError::Protocol, std::string("malformed response (") + e.what() + "): * " +
                                    std::string(text.substr(0, 200)));
    return;
  }
  if (u.kind == UntaggedKind::Capability || !u.words.empty()) {
    if (u.kind == UntaggedKind::Capability || u.code.name == "CAPABILITY")
      note_capabilities(u.words);
  }
  if (!greeted_ && !awaiting_.empty() && awaiting_.front().id == 0) {
    // §7.1: the greeting is OK, PREAUTH or BYE.
    Completion c;
    c.command = "greeting";
    c.code = u.code;
    c.text = u.text;
    greeting_ = "* " + std::string(text.substr(0, 1000));
    awaiting_.pop_front();
    if (u.kind == UntaggedKind::Ok || u.kind == UntaggedKind::Preauth) {
      greeted_ = true;
      preauth_ = u.kind == UntaggedKind::Preauth;
      c.status = preauth_ ? Status::Preauth : Status::Ok;
      done_.push_back(std::move(c));
      flush();
    } else if (u.kind == UntaggedKind::Bye) {
      c.status = Status::Bye;
      done_.push_back(std::move(c));
      fail(ClientError::Refused, "the server refused the session: " + greeting_);
    } else {
      fail(ClientError::Protocol, "malformed greeting: " + greeting_);
    }
    return;
  }
  if (u.kind == UntaggedKind::Bye) bye_ = u.text;
  if (awaiting_.empty() || awaiting_.front().name == "IDLE") {
    if (unsolicited_.size() >= cfg_.max_untagged) {
      fail(ClientError::Protocol, "more than " + std::to_string(cfg_.max_untagged) +
                                      " unsolicited responses unread");
      return;
    }
    unsolicited_.push_back(std::move(u));
    return;
  }
  auto& list = awaiting_.front().untagged;
  if (list.size() >= cfg_.max_untagged) {
    fail(ClientError::Protocol, "more than " + std::to_string(cfg_.max_untagged) +
                                    " untagged responses to one command");
    return;
  }
  list.push_back(std::move(u));
}

void ClientSession::tagged(std::string_view tag, std::string_view rest) {
  const std::size_t sp = rest.find(' ');
  const std::string_view word = rest.substr(0, sp);
  rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
  Completion c;
  if (iequals(word, "OK"))
    c.status = Status::Ok;
  else if (iequals(word, "NO"))
    c.status = Status::No;
  else if (iequals(word, "BAD"))
    c.status = Status::Bad;
  else {
    fail(ClientError::Protocol, "malformed response: " + std::string(tag.substr(0, 40)) + " " +
                                    std::string(word.substr(0, 40)));
    return;
  }
  auto it = awaiting_.begin();
  for (; it != awaiting_.end(); ++it)
    if (it->id != 0 && tag == "a" + std::to_string(it->id)) break;
  if (it == awaiting_.end()) {
    fail(ClientError::Protocol, "tagged response for no command in flight: " +
                                    std::string(tag.substr(0, 40)));
    return;
  }
  c.id = it->id;
  c.command = it->name;
  c.code = take_response_code(rest);
  c.text.assign(rest);
  c.untagged = std::move(it->untagged);
  if (c.code.name == "CAPABILITY") {
    note_capabilities(split_words(c.code.argument));
  }
  const std::string name = it->name;
  awaiting_.erase(it);
  if (name == "IDLE") idling_ = idle_done_due_ = false;
  done_.push_back(std::move(c));
  const Status status = done_.back().status;
  if (name == "STARTTLS" && status == Status::Ok) {
    handshake_due_ = true;
    response_.clear();
    return;
  }
  if (name == "COMPRESS" && status == Status::Ok) {
    compression_due_ = true;
    response_.clear();
    line_start_ = 0;
    return;
  }
  if (name == "LOGOUT") {
    closed_ = true;
    awaiting_.clear();
    queued_.clear();
    return;
  }
  flush();
}

}  // namespace mailroom::imap
