// ClientSession: the POP3 client state machine (see client_session.hpp).
#include "mailroom/pop3/client_session.hpp"

#include <cstring>
#include <stdexcept>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/pop3/apop.hpp"

namespace mailroom::pop3 {

const char* to_string(Command c) {
  switch (c) {
    case Command::Greeting: return "Greeting";
    case Command::Capa: return "CAPA";
    case Command::User: return "USER";
    case Command::Pass: return "PASS";
    case Command::Apop: return "APOP";
    case Command::Auth: return "AUTH";
    case Command::Stat: return "STAT";
    case Command::List: return "LIST";
    case Command::Uidl: return "UIDL";
    case Command::Top: return "TOP";
    case Command::Retr: return "RETR";
    case Command::Dele: return "DELE";
    case Command::Rset: return "RSET";
    case Command::Noop: return "NOOP";
    case Command::Quit: return "QUIT";
    case Command::Stls: return "STLS";
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

void check_argument(std::string_view s, const char* what, bool spaces_ok) {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0' || (!spaces_ok && c == ' '))
      throw std::invalid_argument(std::string(what) +
                                  (spaces_ok ? " contains CR, LF or NUL" : " contains CR, LF, NUL or a space"));
}

// Calls f(line) for each line of a multi-line body, CRLF (or LF) removed.
template <class F>
void for_each_line(std::string_view body, F&& f) {
  while (!body.empty()) {
    const std::size_t e = body.find('\n');
    std::string_view l = body.substr(0, e);
    body = e == std::string_view::npos ? std::string_view{} : body.substr(e + 1);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (!f(l)) return;
  }
}

}  // namespace

ClientSession::ClientSession(ClientConfig config)
    : cfg_(std::move(config)),
      plaintext_auth_allowed_(cfg_.allow_plaintext_auth),
      transcript_(cfg_.max_transcript_bytes) {
  awaiting_.push_back({0, Command::Greeting, false, {}, {}});
}

std::string ClientSession::take_output() { return std::exchange(out_, std::string()); }

std::chrono::milliseconds ClientSession::current_timeout() const {
  if (closed_ || awaiting_.empty()) return std::chrono::milliseconds{0};
  return awaiting_.front().command == Command::Greeting ? cfg_.greeting_timeout
                                                        : cfg_.response_timeout;
}

void ClientSession::on_timeout() { on_timeout(current_timeout(), false); }

void ClientSession::on_timeout(std::chrono::milliseconds waited, bool writing) {
  if (closed_) return;
  std::string text = "timed out after " + seconds_text(waited);
  if (writing) text += " sending to the server (it stopped reading)";
  if (awaiting_.empty())
    text += writing ? "" : " waiting for the server";
  else if (awaiting_.front().command == Command::Greeting)
    text += writing ? ", before the greeting" : " waiting for the greeting";
  else
    text += std::string(writing ? ", before the response to " : " waiting for the response to ") +
            to_string(awaiting_.front().command);
  fail(ClientError::Timeout, std::move(text));
}

void ClientSession::on_eof() {
  if (closed_) return;
  if (!awaiting_.empty() && awaiting_.front().command == Command::Quit && !in_body_) {
    closed_ = true;
    return;
  }
  fail(ClientError::ConnectionLost, "connection closed by the server");
}

void ClientSession::fail(ClientError kind, std::string text) {
  if (error_ == ClientError::None) {
    error_ = kind;
    error_text_ = std::move(text);
  }
  closed_ = true;
  in_body_ = false;
  awaiting_.clear();
  queued_.clear();
}

std::optional<Response> ClientSession::next_response() {
  if (done_.empty()) return std::nullopt;
  Response r = std::move(done_.front());
  done_.pop_front();
  return r;
}

// ------------------------------------------------------------ commands ----

std::uint64_t ClientSession::enqueue(Command c, bool multiline, std::string line,
                                     std::string log) {
  const std::uint64_t id = next_id_++;
  if (log.empty()) log = line;
  queued_.push_back({id, c, multiline, std::move(line), std::move(log)});
  flush();
  return id;
}

// Writes what may go now: everything when pipelining, else one command when
// no response is due. Nothing before the greeting, after QUIT or once closed.
void ClientSession::flush() {
  if (closed_ || !greeted_ || handshake_due_) return;
  while (!queued_.empty()) {
    if (!awaiting_.empty() && !(pipelining_ && cfg_.use_pipelining)) return;
    if (!awaiting_.empty() && awaiting_.back().command == Command::Quit) return;
    // Nothing after STLS until its answer (and the handshake): RFC 2595 §4.
    if (!awaiting_.empty() && awaiting_.back().command == Command::Stls) return;
    if (!awaiting_.empty() && queued_.front().command == Command::Stls) return;
    Queued q = std::move(queued_.front());
    queued_.pop_front();
    transcript_.add("C: ", q.log);
    out_ += q.line;
    out_ += "\r\n";
    awaiting_.push_back(std::move(q));
  }
}

std::uint64_t ClientSession::capa() { return enqueue(Command::Capa, true, "CAPA"); }

std::uint64_t ClientSession::user(std::string_view name) {
  check_argument(name, "user name", false);
  return enqueue(Command::User, false, "USER " + std::string(name));
}

std::uint64_t ClientSession::pass(std::string_view password) {
  check_argument(password, "password", true);
  if (!credentials_allowed()) throw PlaintextAuthRefused();
  return enqueue(Command::Pass, false, "PASS " + std::string(password), "PASS <hidden>");
}

std::uint64_t ClientSession::apop(std::string_view name, std::string_view password) {
  check_argument(name, "user name", false);
  check_argument(password, "password", true);
  if (apop_timestamp_.empty()) throw std::logic_error("apop(): the greeting had no timestamp");
  const std::string digest = apop_digest(apop_timestamp_, password);
  if (digest.empty()) throw std::runtime_error("MD5 unavailable");
  return enqueue(Command::Apop, false, "APOP " + std::string(name) + " " + digest);
}

std::uint64_t ClientSession::auth_plain(std::string_view user, std::string_view password,
                                        std::string_view authzid) {
  check_argument(user, "user name", true);
  check_argument(password, "password", true);
  check_argument(authzid, "authorization identity", true);
  if (!credentials_allowed()) throw PlaintextAuthRefused();
  std::string creds(authzid);
  creds.push_back('\0');
  creds.append(user);
  creds.push_back('\0');
  creds.append(password);
  return enqueue(Command::Auth, false, "AUTH PLAIN " + mime::base64_encode(creds, 0),
                 "AUTH PLAIN <hidden>");
}

std::uint64_t ClientSession::stat() { return enqueue(Command::Stat, false, "STAT"); }

std::uint64_t ClientSession::list(std::optional<std::uint64_t> msg) {
  if (msg) return enqueue(Command::List, false, "LIST " + std::to_string(*msg));
  return enqueue(Command::List, true, "LIST");
}

std::uint64_t ClientSession::uidl(std::optional<std::uint64_t> msg) {
  if (msg) return enqueue(Command::Uidl, false, "UIDL " + std::to_string(*msg));
  return enqueue(Command::Uidl, true, "UIDL");
}

std::uint64_t ClientSession::top(std::uint64_t msg, std::uint64_t lines) {
  return enqueue(Command::Top, true, "TOP " + std::to_string(msg) + " " + std::to_string(lines));
}

std::uint64_t ClientSession::retr(std::uint64_t msg) {
  return enqueue(Command::Retr, true, "RETR " + std::to_string(msg));
}

std::uint64_t ClientSession::dele(std::uint64_t msg) {
  return enqueue(Command::Dele, false, "DELE " + std::to_string(msg));
}

std::uint64_t ClientSession::rset() { return enqueue(Command::Rset, false, "RSET"); }
std::uint64_t ClientSession::noop() { return enqueue(Command::Noop, false, "NOOP"); }
std::uint64_t ClientSession::quit() { return enqueue(Command::Quit, false, "QUIT"); }
std::uint64_t ClientSession::stls() { return enqueue(Command::Stls, false, "STLS"); }

void ClientSession::tls_established(std::string_view description) {
  tls_active_ = true;
  transcript_.tls_established(description);
  if (!handshake_due_) return;  // implicit TLS: the greeting comes next
  handshake_due_ = false;
  line_.clear();
  // RFC 2595 §4: the capabilities learnt before TLS no longer hold.
  capabilities_.clear();
  pipelining_ = false;
  flush();
}

// ---------------------------------------------------------------- input ----

void ClientSession::feed(std::string_view data) {
  while (!data.empty() && !closed_) {
    if (handshake_due_) {  // RFC 2595 §4: nothing before the handshake counts
      dropped_before_tls_ += data.size();
      transcript_.dropped_before_tls(data.size());
      return;
    }
    if (in_body_) {
      data.remove_prefix(consume_body(data));
      continue;
    }
    const auto* nl = static_cast<const char*>(std::memchr(data.data(), '\n', data.size()));
    const std::size_t take = nl ? static_cast<std::size_t>(nl - data.data()) + 1 : data.size();
    if (line_.size() + take > cfg_.max_line) {
      fail(ClientError::Protocol, "status line too long");
      return;
    }
    line_.append(data.data(), take);
    data.remove_prefix(take);
    if (nl == nullptr) return;
    std::string line = std::exchange(line_, std::string());
    line.pop_back();  // LF; a bare LF is tolerated
    if (!line.empty() && line.back() == '\r') line.pop_back();
    status_line(line);
  }
}

void ClientSession::status_line(std::string_view line) {
  transcript_.add("S: ", line);
  if (awaiting_.empty()) {
    fail(ClientError::Protocol, "response without a command");
    return;
  }
  const Queued& q = awaiting_.front();
  if (q.command == Command::Auth && !line.empty() && line[0] == '+' &&
      (line.size() == 1 || line[1] == ' ')) {
    // A challenge although the initial response was sent: cancel (RFC 5034 §4).
    transcript_.add("C: ", "*");
    out_ += "*\r\n";
    return;
  }
  bool ok;
  std::string_view rest;
  if (istarts_with(line, "+OK") && (line.size() == 3 || line[3] == ' ')) {
    ok = true;
    rest = line.substr(std::min<std::size_t>(line.size(), 4));
  } else if (istarts_with(line, "-ERR") && (line.size() == 4 || line[4] == ' ')) {
    ok = false;
    rest = line.substr(std::min<std::size_t>(line.size(), 5));
  } else {
    fail(ClientError::Protocol, "malformed status line");
    return;
  }
  current_ = Response();
  current_.id = q.id;
  current_.command = q.command;
  current_.ok = ok;
  current_.status_line.assign(line);
  if (!rest.empty() && rest[0] == '[') {  // RFC 2449 §8 resp-code
    const std::size_t close = rest.find(']');
    if (close != std::string_view::npos) {
      current_.resp_code.assign(rest.substr(1, close - 1));
      rest.remove_prefix(close + 1);
      if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
    }
  }
  current_.text.assign(rest);
  if (q.command == Command::Greeting) {
    greeting_.assign(line);
    const std::size_t lt = line.find('<');
    const std::size_t gt = lt == std::string_view::npos ? lt : line.find('>', lt);
    if (gt != std::string_view::npos && line.substr(lt, gt - lt).find('@') != std::string_view::npos)
      apop_timestamp_.assign(line.substr(lt, gt - lt + 1));
    if (!ok) {
      error_ = ClientError::Refused;
      error_text_ = "greeting: " + std::string(line);
    }
  }
  if (ok && q.multiline) {
    current_.multiline = true;
    in_body_ = true;
    body_state_ = Body::LineStart;
    // "+OK 1234 octets" (RETR, as most servers say): room for the whole body.
    std::uint64_t octets = 0;
    if (q.command == Command::Retr && parse_number(current_.text.substr(0, current_.text.find(' ')), octets))
      current_.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(octets + 2, cfg_.max_body_bytes)));
    return;
  }
  complete();
}

// Dot-unstuffs multi-line content straight into current_.body; returns the
// octets consumed (all of `in`, or up to the end of the terminating line).
std::size_t ClientSession::consume_body(std::string_view in) {
  std::string& body = current_.body;
  std::size_t i = 0;
  while (i < in.size()) {
    switch (body_state_) {
      case Body::Mid: {
        // Copy whole runs of lines at once: a run ends only where a line
        // starts with '.' (stuffing or the terminator) or at the input's end.
        const std::size_t start = i;
        for (;;) {
          const auto* nl =
              static_cast<const char*>(std::memchr(in.data() + i, '\n', in.size() - i));
          if (nl == nullptr) {
            i = in.size();
            break;
          }
          i = static_cast<std::size_t>(nl - in.data()) + 1;
          if (i == in.size() || in[i] == '.') {
            body_state_ = Body::LineStart;
            break;
          }
        }
        if (body.size() + (i - start) > cfg_.max_body_bytes) {
          fail(ClientError::Protocol, "multi-line response too large");
          return in.size();
        }
        body.append(in.data() + start, i - start);
        break;
      }
      case Body::LineStart:
        if (in[i] == '.') {
          body_state_ = Body::Dot;
          ++i;
        } else {
          body_state_ = Body::Mid;
        }
        break;
      case Body::Dot:
        if (in[i] == '\r') {
          body_state_ = Body::DotCR;
          ++i;
        } else if (in[i] == '\n') {  // "." LF: tolerated as the end
          complete();
          return i + 1;
        } else {
          body_state_ = Body::Mid;  // the leading dot was stuffing
        }
        break;
      case Body::DotCR:
        if (in[i] == '\n') {
          complete();
          return i + 1;
        }
        body.push_back('\r');  // "." CR x: a stuffed line starting with CR
        body_state_ = Body::Mid;
        break;
    }
  }
  return i;
}

void ClientSession::complete() {
  in_body_ = false;
  if (current_.multiline) {
    // Built piece by piece: GCC 12 at -O3 warns (-Wrestrict, a false positive)
    // on "<" + std::to_string(n) + "...".
    std::string summary = "<";
    summary += std::to_string(current_.body.size());
    summary += " octets>";
    transcript_.add("S: ", summary);
    transcript_.add("S: ", ".");
  }
  const Command c = awaiting_.front().command;
  awaiting_.pop_front();
  if (c == Command::Greeting) greeted_ = current_.ok;
  if (c == Command::Stls && current_.ok) {
    handshake_due_ = true;
    line_.clear();
  }
  if (c == Command::Capa && current_.ok) {
    capabilities_.clear();
    pipelining_ = false;
    for_each_line(current_.body, [&](std::string_view l) {
      if (l.empty()) return true;
      capabilities_.emplace_back(l);
      if (iequals(l.substr(0, l.find(' ')), "PIPELINING")) pipelining_ = true;
      return true;
    });
  }
  done_.push_back(std::move(current_));
  current_ = Response();
  if (c == Command::Quit || (c == Command::Greeting && !greeted_)) {
    closed_ = true;
    awaiting_.clear();
    queued_.clear();
    return;
  }
  flush();
}

// ------------------------------------------------------------- helpers ----

bool ClientSession::sasl_plain_offered() const {
  for (const auto& c : capabilities_) {
    std::string_view rest = c;
    if (!istarts_with(rest, "SASL") || (rest.size() > 4 && rest[4] != ' ')) continue;
    rest.remove_prefix(4);
    while (!rest.empty()) {
      rest = trim(rest);
      const std::string_view word = rest.substr(0, rest.find(' '));
      if (iequals(word, "PLAIN")) return true;
      rest.remove_prefix(word.size());
    }
  }
  return false;
}

bool parse_stat(const Response& r, std::uint64_t& count, std::uint64_t& octets) {
  if (!r.ok) return false;
  const std::string_view t = r.text;
  const std::size_t sp = t.find(' ');
  if (sp == std::string_view::npos) return false;
  std::size_t e = t.find(' ', sp + 1);
  return parse_number(t.substr(0, sp), count) &&
         parse_number(t.substr(sp + 1, e == std::string_view::npos ? e : e - sp - 1), octets);
}

bool parse_listing_line(std::string_view line, std::uint64_t& msg, std::string& value) {
  line = trim(line);
  const std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos || !parse_number(line.substr(0, sp), msg)) return false;
  const std::string_view v = trim(line.substr(sp + 1));
  if (v.empty()) return false;
  value.assign(v.substr(0, v.find(' ')));
  return true;
}

bool parse_listing(const Response& r,
                   std::vector<std::pair<std::uint64_t, std::string>>& out) {
  if (!r.ok) return false;
  bool ok = true;
  for_each_line(r.body, [&](std::string_view l) {
    if (trim(l).empty()) return true;
    std::uint64_t n = 0;
    std::string v;
    ok = parse_listing_line(l, n, v);
    if (ok) out.emplace_back(n, std::move(v));
    return ok;
  });
  return ok;
}

}  // namespace mailroom::pop3
