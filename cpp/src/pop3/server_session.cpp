// ServerSession: byte handling (command lines, AUTH responses, STLS), responses,
// transcript. The commands themselves are in commands.cpp.
#include "mailroom/pop3/server_session.hpp"

#include <cstring>

#include "mailroom/text.hpp"

namespace mailroom::pop3 {

std::string Output::wire() const {
  std::string w;
  w.reserve(size());
  w += bytes;
  if (body) w += *body;
  w += tail;
  return w;
}

const char* to_string(State s) {
  switch (s) {
    case State::Authorization: return "Authorization";
    case State::Transaction: return "Transaction";
    case State::Closed: return "Closed";
  }
  return "?";
}

ServerSession::ServerSession(const Config& config, Handler& handler, std::string peer,
                             std::string apop_timestamp)
    : cfg_(config),
      handler_(handler),
      peer_(std::move(peer)),
      apop_timestamp_(std::move(apop_timestamp)),
      transcript_(config.max_transcript_bytes) {}

ServerSession::~ServerSession() = default;  // maildrop_ released, never committed

Output ServerSession::greeting() {
  std::string text = cfg_.hostname + " POP3 server ready";
  if (cfg_.apop && !apop_timestamp_.empty()) text += " " + apop_timestamp_;
  std::vector<Output> out;
  ok(out, text);
  return std::move(out.front());
}

void ServerSession::tls_established() {
  tls_pending_ = false;
  tls_active_ = true;
}

void ServerSession::on_timeout(std::vector<Output>& out) {
  err(out, "", "Autologout; idle for too long", 0, true, false);
}

// ---------------------------------------------------------------- input ----

std::size_t ServerSession::line_limit() const {
  const std::size_t limit = auth_pending_ ? cfg_.max_auth_line : cfg_.max_command_line;
  return limit > 0 ? limit : 1;
}

// Lines end at LF (LineReader). A line may hold line_limit() octets with its
// CRLF; a longer one is dropped as it streams by.
void ServerSession::feed(std::string_view data, std::vector<Output>& out) {
  std::size_t i = 0;
  const auto limit = [this](std::string_view) { return line_limit(); };
  while (i < data.size() && !closed() && !tls_pending_ && !paused_) {
    switch (lines_.read(data, i, limit)) {
      case LineReader::Result::More: break;
      case LineReader::Result::Line: line_done(lines_.line(), out); break;
      case LineReader::Result::Overlong: overlong_line(lines_.discarded(), out); break;
    }
  }
  if (paused_ && i < data.size()) held_.append(data.substr(i));
}

void ServerSession::line_done(std::string_view line, std::vector<Output>& out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const bool bare_cr = line.find('\r') != std::string_view::npos;
  if (auth_pending_) {
    transcript_.add("C: ", mask_.sasl_response());
    auth_pending_ = false;
    if (bare_cr) return err(out, "", "Invalid AUTH response");
    return auth_response(line, out);
  }
  if (bare_cr) {
    transcript_.add("C: ", line);
    return err(out, "", "Bare CR in command line");
  }
  command(line, out);
}

void ServerSession::overlong_line(std::size_t discarded, std::vector<Output>& out) {
  transcript_.add("C: ", "<line too long: " + std::to_string(discarded) + " octets discarded>");
  const bool was_auth = auth_pending_;
  auth_pending_ = false;  // an overlong AUTH response cancels the exchange
  err(out, "", was_auth ? "AUTH response too long" : "Line too long");
}

// ------------------------------------------------------------ responses ----

void ServerSession::ok(std::vector<Output>& out, std::string_view text) {
  Output o;
  o.bytes = "+OK";
  if (!text.empty()) {
    o.bytes.push_back(' ');
    append_reply_text(o.bytes, text);
  }
  o.bytes += "\r\n";
  emit(out, std::move(o));
}

void ServerSession::err(std::vector<Output>& out, std::string_view code, std::string_view text,
                        std::uint32_t delay_ms, bool close_after, bool counts) {
  Output o;
  o.ok = false;
  o.delay_ms = delay_ms;
  o.close_after = close_after;
  o.bytes = "-ERR ";
  if (!code.empty()) {
    o.bytes.push_back('[');
    o.bytes += code;
    o.bytes += "] ";
  }
  append_reply_text(o.bytes, text);
  o.bytes += "\r\n";
  emit(out, std::move(o), counts);
}

void ServerSession::emit(std::vector<Output>& out, Output o, bool counts, bool log) {
  if (closed()) return;
  if (log) transcript_.reply_lines("S: ", o.bytes);
  const bool close = o.close_after;
  const bool counted = counts && !o.ok;
  out.push_back(std::move(o));
  if (close) {
    state_ = State::Closed;
    maildrop_.reset();  // released without commit unless QUIT committed already
    entries_ = nullptr;
    return;
  }
  if (counted) {
    ++errors_;
    if (cfg_.max_errors > 0 && errors_ >= cfg_.max_errors)
      err(out, "", "Too many errors, closing connection", 0, true, false);
  }
}

}  // namespace mailroom::pop3
