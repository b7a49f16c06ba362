// ClientSession: the SMTP client state machine (see client_session.hpp).
#include "mailroom/smtp/client_session.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <stdexcept>

#include "mailroom/smtp/path.hpp"

namespace mailroom::smtp {

const char* to_string(ClientState s) {
  switch (s) {
    case ClientState::Greeting: return "Greeting";
    case ClientState::Ehlo: return "Ehlo";
    case ClientState::StartTls: return "StartTls";
    case ClientState::Auth: return "Auth";
    case ClientState::Ready: return "Ready";
    case ClientState::Transaction: return "Transaction";
    case ClientState::Reset: return "Reset";
    case ClientState::Quit: return "Quit";
    case ClientState::Closed: return "Closed";
  }
  return "?";
}

const char* to_string(Transfer t) {
  switch (t) {
    case Transfer::Auto: return "Auto";
    case Transfer::Data: return "Data";
    case Transfer::Bdat: return "Bdat";
  }
  return "?";
}

const char* to_string(ClientError e) {
  switch (e) {
    case ClientError::None: return "None";
    case ClientError::Protocol: return "Protocol";
    case ClientError::ServiceClosing: return "ServiceClosing";
    case ClientError::Refused: return "Refused";
    case ClientError::Timeout: return "Timeout";
    case ClientError::ConnectionLost: return "ConnectionLost";
    case ClientError::Tls: return "Tls";
    case ClientError::Auth: return "Auth";
  }
  return "?";
}

std::size_t SendResult::accepted_rcpts() const {
  std::size_t n = 0;
  for (const auto& [addr, r] : rcpts) n += r.positive() ? 1 : 0;
  return n;
}

// ------------------------------------------------------------- content ----

void append_dot_stuffed(std::string& out, std::string_view in, bool stuff, bool terminate) {
  out.reserve(out.size() + in.size() + in.size() / 32 + 8);
  const char* p = in.data();
  const char* const end = p + in.size();
  while (p < end) {
    if (stuff && *p == '.') out.push_back('.');
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (nl == nullptr) {  // last line without a line end
      out.append(p, end);
      out += "\r\n";
      break;
    }
    if (nl > p && nl[-1] == '\r') {
      out.append(p, nl + 1);
    } else {  // bare LF
      out.append(p, nl);
      out += "\r\n";
    }
    p = nl + 1;
  }
  if (terminate) out += ".\r\n";
}

bool needs_binarymime(std::string_view content) {
  if (std::memchr(content.data(), '\0', content.size()) != nullptr) return true;
  std::size_t i = 0;
  while ((i = content.find('\r', i)) != std::string_view::npos) {
    if (i + 1 >= content.size() || content[i + 1] != '\n') return true;
    i += 2;
  }
  return false;
}

namespace {

// Octets of `content` once normalized (bare LF -> CRLF, final CRLF).
std::size_t normalized_size(std::string_view content) {
  std::size_t n = content.size();
  std::size_t i = 0;
  while ((i = content.find('\n', i)) != std::string_view::npos) {
    if (i == 0 || content[i - 1] != '\r') ++n;
    ++i;
  }
  if (!content.empty() && content.back() != '\n') n += 2;
  return n;
}

bool has_8bit(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

void check_no_controls(std::string_view s, const char* what) {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0')
      throw std::invalid_argument(std::string(what) + " contains CR, LF or NUL");
}

void check_address(std::string_view addr, bool null_ok, const char* what) {
  check_no_controls(addr, what);
  if (addr.empty() && null_ok) return;
  PathArgument pa;
  const std::string bracketed = "<" + std::string(addr) + ">";
  if (parse_path_argument(bracketed, pa) != PathSyntax::Ok || pa.null_path ||
      !pa.params.empty() || pa.mailbox != addr)
    throw std::invalid_argument(std::string(what) + " is not a valid mailbox: " +
                                std::string(addr));
  if (!valid_utf8(addr)) throw std::invalid_argument(std::string(what) + " is not UTF-8");
}

// "X.Y.Z" with X the class of `code`, followed by a space or the end.
std::size_t enhanced_code_length(int code, std::string_view text) {
  if (text.size() < 5 || text[0] != char('0' + code / 100) || text[1] != '.') return 0;
  std::size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    const std::size_t start = i;
    while (i < text.size() && i - start < 3 && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start) return 0;
    if (part == 0) {
      if (i >= text.size() || text[i] != '.') return 0;
      ++i;
    }
  }
  return (i == text.size() || text[i] == ' ') ? i : 0;
}

}  // namespace

std::string reply_summary(std::string_view what, const Reply& r) {
  std::string s(what);
  s += ": ";
  s += std::to_string(r.code);
  if (!r.enhanced.empty()) s += " " + r.enhanced;
  if (!r.lines.empty()) s += " " + r.lines.back();
  return s;
}

// ------------------------------------------------------------- session ----

ClientSession::ClientSession(ClientConfig config)
    : cfg_(std::move(config)), transcript_(cfg_.max_transcript_bytes) {
  check_no_controls(cfg_.helo_name, "helo_name");
  check_no_controls(cfg_.auth_user, "user name");
  check_no_controls(cfg_.auth_password, "password");
  for (char& c : cfg_.auth_mechanism) c = ascii_upper(c);
  if (!cfg_.auth_mechanism.empty() && !known_auth_mechanism(cfg_.auth_mechanism))
    throw std::invalid_argument("unknown AUTH mechanism: " + cfg_.auth_mechanism);
  if (cfg_.bdat_chunk_size == 0) cfg_.bdat_chunk_size = 1;
  if (cfg_.max_in_flight == 0) cfg_.max_in_flight = 1;
  pending_.push_back({Await::Greeting});
}

std::string ClientSession::take_output() { return std::exchange(out_, std::string()); }

std::chrono::milliseconds ClientSession::current_timeout() const {
  if (closed() || pending_.empty()) return std::chrono::milliseconds{0};
  const ClientTimeouts& t = cfg_.timeouts;
  switch (pending_.front().what) {
    case Await::Greeting: return t.greeting;
    case Await::Mail: return t.mail;
    case Await::Rcpt: return t.rcpt;
    case Await::Data: return t.data_init;
    case Await::Bdat: return t.data_block;
    case Await::DataEnd:
    case Await::BdatLast: return t.data_term;
    default: return t.command;
  }
}

void ClientSession::on_timeout() { on_timeout(current_timeout(), false); }

void ClientSession::on_timeout(std::chrono::milliseconds waited, bool writing) {
  if (closed()) return;
  std::string text = "timed out after " + seconds_text(waited);
  // What the awaited reply answers.
  const auto awaited_text = [](Await what) {
    switch (what) {
      case Await::Greeting: return "the greeting";
      case Await::Ehlo: return "EHLO";
      case Await::Helo: return "HELO";
      case Await::Mail: return "MAIL FROM";
      case Await::Rcpt: return "RCPT TO";
      case Await::Data: return "DATA";
      case Await::DataEnd: return "the end of the data (.)";
      case Await::Bdat: return "BDAT";
      case Await::BdatLast: return "BDAT LAST";
      case Await::Rset: return "RSET";
      case Await::Quit: return "QUIT";
      case Await::Noop: return "NOOP";
      case Await::StartTls: return "STARTTLS";
      case Await::Auth: return "AUTH";
    }
    return "a command";
  };
  const char* awaited = pending_.empty() ? nullptr : awaited_text(pending_.front().what);
  if (writing)
    text += " sending to the server (it stopped reading)";
  else
    text += awaited && pending_.front().what == Await::Greeting
                ? " waiting for the greeting"
                : std::string(" waiting for the reply to ") + (awaited ? awaited : "a command");
  if (writing && awaited) text += std::string(", before the reply to ") + awaited;
  fail(ClientError::Timeout, std::move(text));
}

void ClientSession::on_eof() {
  if (closed()) return;
  if (!pending_.empty() && pending_.front().what == Await::Quit) {
    state_ = ClientState::Closed;  // closing instead of 221 is fine after QUIT
    pending_.clear();
    return;
  }
  fail(ClientError::ConnectionLost, "connection closed by the server");
}

void ClientSession::fail(ClientError kind, std::string text) {
  if (error_ == ClientError::None) {
    error_ = kind;
    error_text_ = text;
    error_reply_ = last_;
  }
  // Every message in flight ends here, in order.
  while (!txns_.empty()) {
    Txn& m = txns_.front();
    if (!m.decided || m.result.ok) {
      m.result.ok = false;
      if (m.result.error.empty()) m.result.error = text;
    }
    push_result(std::move(m.result));
    txns_.pop_front();
  }
  pending_.clear();
  state_ = ClientState::Closed;
}

// ---------------------------------------------------------------- input ----

void ClientSession::feed(std::string_view data) {
  while (!data.empty() && !closed()) {
    if (handshake_due_) {  // RFC 3207 §4.2: injected or not, it does not count
      dropped_before_tls_ += data.size();
      transcript_.dropped_before_tls(data.size());
      return;
    }
    const auto* nl = static_cast<const char*>(std::memchr(data.data(), '\n', data.size()));
    const std::size_t take = nl ? static_cast<std::size_t>(nl - data.data()) + 1 : data.size();
    if (line_.size() + take > cfg_.max_reply_line) {
      fail(ClientError::Protocol, "reply line too long");
      return;
    }
    line_.append(data.data(), take);
    data.remove_prefix(take);
    if (nl == nullptr) return;
    std::string line = std::move(line_);
    line_.clear();
    line.pop_back();  // LF; a CRLF is expected but a bare LF is tolerated
    if (!line.empty() && line.back() == '\r') line.pop_back();
    consume_line(line);
  }
}

void ClientSession::consume_line(std::string_view line) {
  transcript_.add("S: ", line);
  // Reply-line = Reply-code [ SP / "-" textstring ] (RFC 5321 §4.2)
  const auto digit = [&](std::size_t i) { return line[i] >= '0' && line[i] <= '9'; };
  if (line.size() < 3 || !digit(0) || !digit(1) || !digit(2) || line[0] < '2' ||
      line[0] > '5' || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
    fail(ClientError::Protocol, "malformed reply line");
    return;
  }
  for (char c : line)
    if (c == '\r' || c == '\0') {
      fail(ClientError::Protocol, "malformed reply line");
      return;
    }
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (in_reply_ && code != partial_.code) {
    fail(ClientError::Protocol, "reply code changed inside a multi-line reply");
    return;
  }
  if (!in_reply_) {
    partial_ = Reply();
    partial_.code = code;
    in_reply_ = true;
  }
  if (partial_.lines.size() >= cfg_.max_reply_lines) {
    fail(ClientError::Protocol, "too many reply lines");
    return;
  }
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view{};
  if (ext_.enhancedstatuscodes && code != 220) {
    const std::size_t n = enhanced_code_length(code, text);
    if (n > 0 && (partial_.lines.empty() || text.substr(0, n) == partial_.enhanced)) {
      if (partial_.lines.empty()) partial_.enhanced.assign(text.substr(0, n));
      text.remove_prefix(std::min(text.size(), n + 1));
    }
  }
  partial_.lines.emplace_back(text);
  if (line.size() > 3 && line[3] == '-') return;
  in_reply_ = false;
  on_reply(std::move(partial_));
}

void ClientSession::on_reply(Reply r) {
  last_ = r;
  if (pending_.empty()) {
    if (r.code == 421) fail(ClientError::ServiceClosing, reply_summary("server closing", r));
    else fail(ClientError::Protocol, reply_summary("unexpected reply", r));
    return;
  }
  const Pending p = pending_.front();
  pending_.pop_front();
  const bool for_message = p.what == Await::Mail || p.what == Await::Rcpt ||
                           p.what == Await::Data || p.what == Await::DataEnd ||
                           p.what == Await::Bdat || p.what == Await::BdatLast ||
                           p.what == Await::Rset;
  if (for_message && !txns_.empty()) --txns_.front().outstanding;
  if (r.code == 421 && p.what != Await::Quit) {
    if (for_message && !txns_.empty()) {
      SendResult& res = txns_.front().result;
      if (p.what == Await::Mail) res.mail = r;
      else if (p.what == Await::Rcpt && p.index < res.rcpts.size()) res.rcpts[p.index].second = r;
      else if (p.what != Await::Rset) res.data = r;
    }
    if (p.what == Await::Greeting) greeting_ = r;
    fail(ClientError::ServiceClosing, reply_summary("server closing", r));
    return;
  }
  if (for_message && txns_.empty()) {  // cannot happen: every such entry has an owner
    fail(ClientError::Protocol, reply_summary("reply without a message", r));
    return;
  }
  handle(p, r);
  if (for_message) retire();
}

// ------------------------------------------------------------- replies ----

void ClientSession::handle(const Pending& p, const Reply& r) {
  const bool ok = r.code >= 200 && r.code < 300;
  switch (p.what) {
    case Await::Greeting:
      greeting_ = r;
      if (r.code == 220) {
        state_ = ClientState::Ehlo;
        send("EHLO " + cfg_.helo_name, Await::Ehlo);
      } else {
        refuse_session(ClientError::Refused, reply_summary("greeting", r), r);
      }
      return;
    case Await::Ehlo:
      if (ok) {
        parse_ehlo(r);
        after_ehlo();
      } else if (r.code == 500 || r.code == 502) {
        send("HELO " + cfg_.helo_name, Await::Helo);
      } else {
        refuse_session(ClientError::Refused, reply_summary("EHLO", r), r);
      }
      return;
    case Await::Helo:
      if (ok) {
        ext_ = Extensions();
        after_ehlo();
      } else {
        refuse_session(ClientError::Refused, reply_summary("HELO", r), r);
      }
      return;
    case Await::StartTls:
      on_starttls_reply(r);
      return;
    case Await::Auth:
      on_auth_reply(r);
      return;
    case Await::Mail: {
      Txn& m = txns_.front();
      m.result.mail = r;
      m.mail_ok = ok;
      if (m.pipelined) return;  // RCPT and DATA/BDAT replies follow
      if (ok) send_rcpts_from(m, 0);
      else decide(m, false, reply_summary("MAIL refused", r));
      return;
    }
    case Await::Rcpt: {
      Txn& m = txns_.front();
      if (p.index < m.result.rcpts.size()) m.result.rcpts[p.index].second = r;
      ++m.rcpts_answered;
      if (m.pipelined) return;  // DATA or the chunks are already sent
      if (p.index + 1 < m.result.rcpts.size()) send_rcpts_from(m, p.index + 1);
      else after_rcpts(m);
      return;
    }
    case Await::Data: {
      Txn& m = txns_.front();
      if (r.code == 354) {
        if (m.mail_ok && m.result.accepted_rcpts() > 0) {
          send_content(m);
        } else {  // RFC 2920 §3.1: end the data at once, then reset
          m.abandon = true;
          m.content = std::string();
          transcript_.add("C: ", ".");
          out_ += ".\r\n";
          ++m.outstanding;
          pending_.push_back({Await::DataEnd});
          m.all_sent = true;
        }
        return;
      }
      m.result.data = r;
      if (!m.mail_ok) decide(m, false, reply_summary("MAIL refused", m.result.mail));
      else if (m.result.accepted_rcpts() == 0) fail_transaction(m, "no recipient accepted");
      else fail_transaction(m, reply_summary("DATA refused", r));
      return;
    }
    case Await::DataEnd: {
      Txn& m = txns_.front();
      if (m.abandon) {
        fail_transaction(m, "no recipient accepted");
        return;
      }
      m.result.data = r;
      decide(m, ok, ok ? std::string() : reply_summary("message refused", r));
      return;
    }
    case Await::Bdat: {
      Txn& m = txns_.front();
      if (!ok && m.result.data.code == 0) m.result.data = r;
      if (!m.pipelined) {
        if (ok) send_bdat(m);
        else fail_transaction(m, reply_summary("BDAT refused", r));
      }
      return;
    }
    case Await::BdatLast: {
      Txn& m = txns_.front();
      if (m.result.data.code == 0) m.result.data = r;
      if (!m.mail_ok) decide(m, false, reply_summary("MAIL refused", m.result.mail));
      else if (m.result.accepted_rcpts() == 0) fail_transaction(m, "no recipient accepted");
      else if (m.result.data.positive() && ok) decide(m, true, {});
      else fail_transaction(m, reply_summary("message refused", m.result.data));
      return;
    }
    case Await::Rset:  // the message's own RSET, or the one that starts it
      return;
    case Await::Quit:
      state_ = ClientState::Closed;
      return;
    case Await::Noop:
      if (txns_.empty()) go_idle();
      return;
  }
}

void ClientSession::parse_ehlo(const Reply& r) {
  ext_ = Extensions();
  ext_.esmtp = true;
  for (std::size_t i = 1; i < r.lines.size(); ++i) {
    const std::string_view line = trim(r.lines[i]);
    ext_.keywords.emplace_back(line);
    const std::size_t sp = line.find(' ');
    std::string_view kw = line.substr(0, sp);
    std::string_view args = sp == std::string_view::npos ? std::string_view{} : trim(line.substr(sp + 1));
    if (istarts_with(kw, "AUTH=")) {  // pre-standard form
      args = kw.substr(5);
      kw = kw.substr(0, 4);
    }
    if (iequals(kw, "PIPELINING")) ext_.pipelining = true;
    else if (iequals(kw, "SIZE")) {
      ext_.size = true;
      std::uint64_t n = 0;
      if (parse_number(args, n)) ext_.size_limit = n;
    } else if (iequals(kw, "8BITMIME")) ext_.eightbitmime = true;
    else if (iequals(kw, "SMTPUTF8")) ext_.smtputf8 = true;
    else if (iequals(kw, "CHUNKING")) ext_.chunking = true;
    else if (iequals(kw, "BINARYMIME")) ext_.binarymime = true;
    else if (iequals(kw, "STARTTLS")) ext_.starttls = true;
    else if (iequals(kw, "ENHANCEDSTATUSCODES")) ext_.enhancedstatuscodes = true;
    else if (iequals(kw, "DSN")) ext_.dsn = true;
    else if (iequals(kw, "AUTH")) {
      while (!args.empty()) {
        const std::size_t e = args.find(' ');
        std::string mech(args.substr(0, e));
        for (char& c : mech) c = ascii_upper(c);
        bool seen = mech.empty();
        for (const auto& m : ext_.auth) seen = seen || m == mech;
        if (!seen) ext_.auth.push_back(std::move(mech));
        args = e == std::string_view::npos ? std::string_view{} : trim(args.substr(e + 1));
      }
    }
  }
}

// ------------------------------------------------------------ commands ----

void ClientSession::send(std::string_view command, Await what, std::size_t index, Txn* owner) {
  if (owner != nullptr) ++owner->outstanding;
  transcript_.add("C: ", command);
  out_.append(command);
  out_ += "\r\n";
  pending_.push_back({what, index});
}

void ClientSession::refuse_session(ClientError kind, std::string text, const Reply& reply) {
  error_ = kind;
  error_text_ = std::move(text);
  error_reply_ = reply;
  state_ = ClientState::Quit;
  send("QUIT", Await::Quit);
}

void ClientSession::go_idle() {
  if (!pending_.empty() || !txns_.empty() || closed()) return;
  if (quit_requested_) {
    state_ = ClientState::Quit;
    send("QUIT", Await::Quit);
  } else {
    state_ = ClientState::Ready;
  }
}

void ClientSession::quit() {
  if (closed() || state_ == ClientState::Quit) return;
  quit_requested_ = true;
  if (state_ == ClientState::Ready && pending_.empty()) go_idle();
}

void ClientSession::noop() {
  if (!ready()) throw std::logic_error("noop(): the session is not ready");
  send("NOOP", Await::Noop);
}

bool ClientSession::can_begin_message() const {
  if (ready()) return true;
  if (closed() || quit_requested_ || txns_.empty() || !ext_.pipelining ||
      !cfg_.use_pipelining || txns_.size() + results_.size() >= cfg_.max_in_flight)
    return false;
  // Everything of the last message on the wire is written: nothing of it
  // waits for a reply before it can go out (RFC 2920 §3.1).
  for (auto it = txns_.rbegin(); it != txns_.rend(); ++it)
    if (it->wire) return it->all_sent;
  return true;
}

std::uint64_t ClientSession::begin_message(std::string_view mail_from,
                                           const std::vector<std::string>& rcpts,
                                           std::string content, const MessageOptions& options) {
  if (!can_begin_message())
    throw std::logic_error("begin_message(): the session cannot take a message now");
  if (rcpts.empty()) throw std::invalid_argument("no recipients");
  check_address(mail_from, true, "sender");
  for (const auto& r : rcpts) check_address(r, false, "recipient");
  for (const auto& p : options.mail_params) {
    check_no_controls(p, "MAIL parameter");
    if (p.empty() || p.find(' ') != std::string::npos)
      throw std::invalid_argument("MAIL parameter is empty or has a space");
  }
  check_sendable(options.dsn, options.rcpt_dsn, rcpts.size());

  Txn& m = txns_.emplace_back();
  m.result.id = next_id_++;
  for (const auto& r : rcpts) m.result.rcpts.emplace_back(r, Reply());
  const std::uint64_t id = m.result.id;
  const auto refuse = [&](std::string why) {
    decide(m, false, std::move(why));
    retire();
    return id;
  };

  bool utf8 = has_8bit(mail_from);
  for (const auto& r : rcpts) utf8 = utf8 || has_8bit(r);
  if (utf8 && !ext_.smtputf8)
    return refuse("a non-ASCII address needs SMTPUTF8, which the server does not offer");
  const bool binary = needs_binarymime(content);
  const bool eight_bit = !binary && has_8bit(content);
  if (binary && !(ext_.chunking && ext_.binarymime))
    return refuse("content with NUL or bare CR needs BINARYMIME, which the server does not offer");
  if (eight_bit && !ext_.eightbitmime)
    return refuse("8-bit content needs 8BITMIME, which the server does not offer");
  const Transfer transfer = options.bdat ? Transfer::Bdat : options.transfer;
  if (transfer == Transfer::Bdat && !ext_.chunking)
    return refuse("BDAT requested but the server does not offer CHUNKING");
  const bool pipelined = ext_.pipelining && cfg_.use_pipelining;
  m.use_bdat = binary || transfer == Transfer::Bdat ||
               (transfer == Transfer::Auto && ext_.chunking && pipelined);
  const std::size_t size = binary ? content.size() : normalized_size(content);
  if (ext_.size && ext_.size_limit > 0 && size > ext_.size_limit)
    return refuse("message of " + std::to_string(size) + " octets exceeds the server's SIZE limit of " +
                  std::to_string(ext_.size_limit));

  if (m.use_bdat && !binary) {
    std::string normalized;
    append_dot_stuffed(normalized, content, false, false);
    m.content = std::move(normalized);
  } else {
    m.content = std::move(content);
  }

  const bool dsn_asked = !options.dsn.empty() || std::any_of(options.rcpt_dsn.begin(), options.rcpt_dsn.end(),
                                                                [](const RecipientDsn& d) { return !d.empty(); });
  const bool dsn_sent = dsn_asked && ext_.dsn;
  if (dsn_asked && !ext_.dsn) {
    if (!options.dsn_optional)
      return refuse("DSN parameters (RET, ENVID, NOTIFY, ORCPT) need DSN, which the server does not offer");
    m.result.dsn_dropped = true;
  }
  m.rcpt_params.assign(rcpts.size(), std::string());
  if (dsn_sent)
    for (std::size_t i = 0; i < options.rcpt_dsn.size(); ++i)
      for (const auto& p : rcpt_parameters(options.rcpt_dsn[i])) m.rcpt_params[i] += " " + p;

  std::string mail = "MAIL FROM:<" + std::string(mail_from) + ">";
  if (ext_.size) mail += " SIZE=" + std::to_string(size);
  if (binary) mail += " BODY=BINARYMIME";
  else if (eight_bit) mail += " BODY=8BITMIME";
  if (utf8) mail += " SMTPUTF8";
  if (dsn_sent)
    for (const auto& p : mail_parameters(options.dsn)) mail += " " + p;
  for (const auto& p : options.mail_params) mail += " " + p;

  // Behind a message that may still need a reset: start with RSET, so its
  // failure cannot leave a transaction open under this one.
  for (auto it = std::next(txns_.rbegin()); it != txns_.rend(); ++it) {
    if (!it->wire) continue;
    if (!it->reset_sent && (it->use_bdat || it->abandon)) {
      it->followed = true;
      send("RSET", Await::Rset, 0, &m);
    }
    break;
  }
  m.wire = true;
  m.pipelined = pipelined;
  state_ = ClientState::Transaction;
  send(mail, Await::Mail, 0, &m);
  if (m.pipelined) {
    send_rcpts_from(m, 0);
    if (m.use_bdat) send_bdat(m);  // RFC 3030 §4.2: the chunks join the group
    else send("DATA", Await::Data, 0, &m);
  }
  return id;
}

std::optional<SendResult> ClientSession::next_result() {
  if (results_.empty()) return std::nullopt;
  SendResult r = std::move(results_.front());
  results_.pop_front();
  return r;
}

void ClientSession::send_rcpts_from(Txn& m, std::size_t first) {
  for (std::size_t i = first; i < m.result.rcpts.size(); ++i) {
    send("RCPT TO:<" + m.result.rcpts[i].first + ">" + m.rcpt_params[i], Await::Rcpt, i, &m);
    if (!m.pipelined) return;  // one at a time
  }
}

void ClientSession::after_rcpts(Txn& m) {
  if (!m.mail_ok) return decide(m, false, reply_summary("MAIL refused", m.result.mail));
  if (m.result.accepted_rcpts() == 0) return fail_transaction(m, "no recipient accepted");
  if (m.use_bdat) send_bdat(m);
  else send("DATA", Await::Data, 0, &m);
}

void ClientSession::send_content(Txn& m) {
  transcript_.add("C: ", "<message data: " + std::to_string(m.content.size()) + " octets>");
  transcript_.add("C: ", ".");
  append_dot_stuffed(out_, m.content);
  m.content = std::string();
  ++m.outstanding;
  pending_.push_back({Await::DataEnd});
  m.all_sent = true;
}

// Sends the next chunk, or every chunk when pipelining.
void ClientSession::send_bdat(Txn& m) {
  do {
    const std::size_t n = std::min(cfg_.bdat_chunk_size, m.content.size() - m.bdat_offset);
    const bool last = m.bdat_offset + n == m.content.size();
    send("BDAT " + std::to_string(n) + (last ? " LAST" : ""), last ? Await::BdatLast : Await::Bdat,
         0, &m);
    transcript_.add("C: ", "<chunk data: " + std::to_string(n) + " octets>");
    out_.append(m.content, m.bdat_offset, n);
    m.bdat_offset += n;
    if (last) {
      m.content = std::string();
      m.bdat_offset = 0;
      m.all_sent = true;
      return;
    }
  } while (m.pipelined);
}

void ClientSession::decide(Txn& m, bool ok, std::string error) {
  m.result.ok = ok;
  m.result.error = std::move(error);
  m.content = std::string();
  m.decided = true;
  m.all_sent = true;
  if (ok) ++messages_sent_;
}

void ClientSession::fail_transaction(Txn& m, std::string error) {
  decide(m, false, std::move(error));
  m.needs_reset = true;
}

// Hands out the results of finished messages at the front, in order; sends
// the RSET a failed one needs unless the next message already starts with one.
void ClientSession::retire() {
  while (!txns_.empty() && !closed()) {
    Txn& m = txns_.front();
    if (!m.decided || m.outstanding > 0) return;
    if (m.needs_reset && !m.reset_sent && !m.followed) {
      m.reset_sent = true;
      if (txns_.size() == 1) state_ = ClientState::Reset;
      send("RSET", Await::Rset, 0, &m);
      return;
    }
    push_result(std::move(m.result));
    txns_.pop_front();
  }
  if (txns_.empty()) go_idle();
}

void ClientSession::push_result(SendResult r) {
  last_result_ = r;
  results_.push_back(std::move(r));
  while (results_.size() > cfg_.max_in_flight) results_.pop_front();
}

}  // namespace mailroom::smtp
