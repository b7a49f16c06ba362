// ServerSession: byte handling (command lines, DATA, BDAT chunks), replies,
// transcript. The commands themselves are in commands.cpp.
#include "mailroom/smtp/server_session.hpp"

#include <algorithm>
#include <cstring>

namespace mailroom::smtp {

const char* to_string(State s) {
  switch (s) {
    case State::Connected: return "Connected";
    case State::Ready: return "Ready";
    case State::Mail: return "Mail";
    case State::Rcpt: return "Rcpt";
    case State::Data: return "Data";
    case State::Bdat: return "Bdat";
    case State::Closed: return "Closed";
  }
  return "?";
}

ServerSession::ServerSession(const Config& config, Handler& handler, std::string peer)
    : cfg_(config), handler_(handler), peer_(std::move(peer)),
      transcript_(config.max_transcript_bytes) {}

State ServerSession::state() const {
  if (closed_) return State::Closed;
  if (mode_ == Mode::Data) return State::Data;
  if (tx_ == Tx::Bdat) return State::Bdat;
  if (tx_ == Tx::Rcpt) return State::Rcpt;
  if (tx_ == Tx::Mail) return State::Mail;
  return greeted_ ? State::Ready : State::Connected;
}

std::string ServerSession::hostname_text(std::string_view text) const {
  std::string s = cfg_.hostname;
  s.push_back(' ');
  s.append(text);
  return s;
}

Output ServerSession::greeting() {
  std::vector<Output> out;
  const Decision d = call_handler([&] { return handler_.on_connect(peer_); });
  switch (d.kind) {
    case Decision::Accept: {
      Reply r(220, "", hostname_text(cfg_.greeting_text.empty() ? "ESMTP mailroom"
                                                               : cfg_.greeting_text));
      if (d.reply.code >= 200 && d.reply.code < 300) r = d.reply;
      r.enhanced.clear();  // RFC 2034 §3: no enhanced code on the greeting
      emit(out, std::move(r), d.delay_ms);
      break;
    }
    case Decision::Reject: {
      // RFC 5321 §3.1: 554, then wait for QUIT answering 503 to anything else.
      Reply r(554, "", hostname_text("ESMTP service not available"));
      if (d.reply.code >= 500 && d.reply.code < 600) r = d.reply;
      r.enhanced.clear();
      refused_ = true;
      emit(out, std::move(r), d.delay_ms, false, false, false);
      break;
    }
    case Decision::Drop:
      drop(out, d.delay_ms);
      break;
    case Decision::Disconnect: {
      Reply r(421, "", hostname_text("Service not available, closing transmission channel"));
      if (d.reply.code >= 400 && d.reply.code < 600) r = d.reply;
      r.enhanced.clear();
      emit(out, std::move(r), d.delay_ms, true);
      break;
    }
  }
  return out.empty() ? Output{} : std::move(out.front());
}

void ServerSession::tls_established() {
  tls_pending_ = false;
  tls_active_ = true;
  env_.tls = true;
}

void ServerSession::on_timeout(std::vector<Output>& out) {
  close_with(out, Reply(421, "4.4.2", hostname_text("Error: timeout exceeded")));
}

// ---------------------------------------------------------------- input ----

void ServerSession::feed(std::string_view data, std::vector<Output>& out) {
  if (tls_pending_) return;  // plaintext after STARTTLS: injected, dropped
  std::size_t i = 0;
  while (i < data.size() && !closed_ && !tls_pending_ && !paused()) {
    switch (mode_) {
      case Mode::Command: i = consume_command(data, i, out); break;
      case Mode::Data: i = consume_data(data, i, out); break;
      case Mode::Chunk: i = consume_chunk(data, i, out); break;
    }
  }
  if (paused() && i < data.size()) held_.append(data.substr(i));
}

void ServerSession::release_held(std::vector<Output>& out) {
  if (held_.empty()) return;
  std::string held;
  held.swap(held_);
  feed(held, out);  // may pause again, holding the rest anew
}

void ServerSession::resume_data(const Decision& d, std::vector<Output>& out) {
  if (pause_ != Pause::Data) return;
  pause_ = Pause::None;
  Decision answer = d;
  if (answer.pending) answer = Decision::reject(451, "4.3.0", "Error: local error in processing");
  data_result(answer, out);
  release_held(out);
}

// One command line, or the start of one (LineReader): it must end in CRLF
// (checked in command_line) and may hold max_command_line octets with the
// CRLF, an AUTH line or response max_auth_line.
std::size_t ServerSession::consume_command(std::string_view in, std::size_t i,
                                           std::vector<Output>& out) {
  switch (lines_.read(in, i, [this](std::string_view head) { return line_limit(head); })) {
    case LineReader::Result::More: break;
    case LineReader::Result::Line: command_line(lines_.line(), out); break;
    case LineReader::Result::Overlong: overlong_line(lines_.discarded(), out); break;
  }
  return i;
}

void ServerSession::overlong_line(std::size_t discarded, std::vector<Output>& out) {
  log_line("C: ", "<line too long: " + std::to_string(discarded) + " octets discarded>");
  if (auth_step_ != AuthStep::None) {
    auth_step_ = AuthStep::None;  // RFC 4954 §4: the exchange is cancelled
    reply(out, 500, "5.5.6", "Authentication Exchange line is too long");
  } else {
    reply(out, 500, "5.5.6", "Error: line too long");
  }
}

void ServerSession::data_emit(std::string_view span) {
  message_octets_ += span.size();
  if (oversize_) return;
  if (message_octets_ > cfg_.max_message_size) {
    // Stop buffering; keep reading to the end of the data, then reply 552.
    oversize_ = true;
    std::string().swap(message_);
    return;
  }
  // Grow geometrically but never past the limit, so the buffer stays within
  // max_message_size rather than twice that. A large span (a full read of a
  // body) is a sign of more like it: room for another, so a body read 64 KiB
  // at a time is not copied over at each doubling from a small start.
  const std::size_t need = message_.size() + span.size();
  if (need > message_.capacity())
    message_.reserve(std::min(std::max({need, message_.capacity() * 2, need + span.size()}),
                              cfg_.max_message_size));
  message_.append(span);
}

// DATA content. Only CRLF "." CRLF ends it: RFC 5321 §4.1.1.4 says the data
// is terminated by a line containing only a period, where lines end with CRLF
// (§2.3.8). A bare LF or bare CR never ends a line here, so "\n.\n",
// "\n.\r\n" and "\r.\r\n" are message content: this is what stops SMTP
// smuggling of a second message through a server that is laxer than its peer.
// A line starting with "." loses that dot (§4.5.2 transparency).
std::size_t ServerSession::consume_data(std::string_view in, std::size_t i,
                                        std::vector<Output>& out) {
  const std::size_t n = in.size();
  while (i < n) {
    switch (dstate_) {
      case DataState::LineStart:
        last_cr_ = false;
        if (in[i] == '.') {
          ++i;
          text_line_ = 1;
          dstate_ = DataState::Dot;
          continue;
        }
        dstate_ = DataState::Mid;
        continue;
      case DataState::Dot:
        if (in[i] == '\r') {
          ++i;
          text_line_ = 2;
          dstate_ = DataState::DotCR;
          continue;
        }
        dstate_ = DataState::Mid;  // the stuffed dot is dropped
        continue;
      case DataState::DotCR:
        if (in[i] == '\n') {
          end_of_data(out);
          return i + 1;
        }
        // "." CR <not LF>: the dot was stuffing, the CR is content.
        data_emit("\r");
        last_cr_ = true;
        dstate_ = DataState::Mid;
        continue;
      case DataState::Mid: {
        // Line by line up to the next line that starts with a dot (or the
        // end of this read), then all of it in one append: a message body
        // costs one memchr a line and one copy a run, not a copy a line.
        const char* const run = in.data() + i;
        const char* const end = in.data() + n;
        const char* p = run;
        while (p < end) {
          const std::size_t avail = static_cast<std::size_t>(end - p);
          const auto* lf = static_cast<const char*>(std::memchr(p, '\n', avail));
          const std::size_t before_lf = lf ? static_cast<std::size_t>(lf - p) : avail;
          const std::size_t seg = lf ? before_lf + 1 : avail;
          if (cfg_.reject_bare_newlines && !bare_newline_) {
            // A CR is bare when the next octet is not LF.
            if (last_cr_ && p[0] != '\n') bare_newline_ = true;
            if (before_lf > 1 && std::memchr(p, '\r', before_lf - 1) != nullptr)
              bare_newline_ = true;
          }
          text_line_ += seg;
          if (text_line_ > cfg_.max_text_line) long_line_ = true;
          if (!lf) {
            last_cr_ = p[avail - 1] == '\r';
            p = end;
            break;
          }
          const bool crlf = before_lf > 0 ? lf[-1] == '\r' : last_cr_;
          if (!crlf) bare_newline_ = true;
          text_line_ = 0;
          last_cr_ = false;
          p = lf + 1;
          // After CRLF a line starts: a dot there is the state machine's.
          if (crlf && (p == end || *p == '.')) {
            dstate_ = DataState::LineStart;
            break;
          }
        }
        data_emit(std::string_view(run, static_cast<std::size_t>(p - run)));
        i = static_cast<std::size_t>(p - in.data());
        continue;
      }
    }
  }
  return i;
}

std::size_t ServerSession::consume_chunk(std::string_view in, std::size_t i,
                                         std::vector<Output>& out) {
  const std::size_t take =
      static_cast<std::size_t>(std::min<std::uint64_t>(chunk_left_, in.size() - i));
  if (!chunk_discard_) data_emit(in.substr(i, take));
  chunk_left_ -= take;
  if (chunk_left_ == 0) end_of_chunk(out);
  return i + take;
}

void ServerSession::end_of_data(std::vector<Output>& out) {
  mode_ = Mode::Command;
  log_line("C: ", "<message data: " + std::to_string(message_octets_) + " octets>");
  log_line("C: ", ".");
  deliver(out);
}

void ServerSession::end_of_chunk(std::vector<Output>& out) {
  mode_ = Mode::Command;
  log_line("C: ", "<chunk data: " + std::to_string(chunk_size_) + " octets>");
  if (chunk_discard_) {
    chunk_discard_ = false;
    emit(out, std::move(chunk_error_));
    chunk_error_ = Reply();
    return;
  }
  if (oversize_) {
    reset_transaction();
    reply(out, 552, "5.3.4", "Error: message size exceeds fixed maximum message size");
    return;
  }
  if (!chunk_last_) {
    reply(out, 250, "2.0.0", "Ok: " + std::to_string(chunk_size_) + " octets received");
    return;
  }
  deliver(out);
}

void ServerSession::deliver(std::vector<Output>& out) {
  if (oversize_) {
    reset_transaction();
    reply(out, 552, "5.3.4", "Error: message size exceeds fixed maximum message size");
    return;
  }
  if (!env_.chunked && long_line_ && cfg_.reject_long_lines) {
    reset_transaction();
    reply(out, 554, "5.6.0",
          "Error: message has a line longer than " + std::to_string(cfg_.max_text_line) +
              " octets");
    return;
  }
  if (!env_.chunked && bare_newline_ && cfg_.reject_bare_newlines) {
    reset_transaction();
    reply(out, 554, "5.6.0", "Error: message has a bare CR or LF");
    return;
  }
  const Decision d = call_handler([&] { return handler_.on_data(env_, std::move(message_)); });
  reset_transaction();
  if (d.pending) {
    pause_ = Pause::Data;
    return;
  }
  data_result(d, out);
}

void ServerSession::data_result(const Decision& d, std::vector<Output>& out) {
  if (decide(d, out, Reply(250, "2.0.0", "Ok: queued"),
             Reply(554, "5.0.0", "Error: transaction failed")))
    ++messages_accepted_;
}

void ServerSession::reset_transaction() {
  tx_ = Tx::None;
  env_.mail_from.clear();
  env_.rcpt_to.clear();
  env_.smtputf8 = false;
  env_.body = "7BIT";
  env_.declared_size = 0;
  env_.chunked = false;
  env_.dsn = MessageDsn{};
  env_.rcpt_dsn.clear();
  if (message_.capacity() > (std::size_t{64} << 10)) std::string().swap(message_);
  clear_content();
}

void ServerSession::clear_content() {
  message_.clear();
  message_octets_ = 0;
  oversize_ = long_line_ = bare_newline_ = false;
  dstate_ = DataState::LineStart;
  last_cr_ = false;
  text_line_ = 0;
}

// -------------------------------------------------------------- replies ----

void ServerSession::reply(std::vector<Output>& out, int code, std::string_view enh,
                          std::string text) {
  emit(out, Reply(code, std::string(enh), std::move(text)));
}

void ServerSession::emit(std::vector<Output>& out, Reply r, std::uint32_t delay_ms,
                         bool close_after, bool start_tls, bool counts) {
  if (closed_) return;
  if (!cfg_.enhancedstatuscodes) r.enhanced.clear();
  Output o;
  o.bytes = r.wire();
  o.delay_ms = delay_ms;
  o.close_after = close_after;
  o.start_tls = start_tls;
  o.code = (r.code >= 200 && r.code <= 599) ? r.code : 451;
  transcript_.reply_lines("S: ", o.bytes);
  const int code = o.code;
  out.push_back(std::move(o));
  if (close_after) {
    closed_ = true;
    return;
  }
  if (counts && code >= 400) {
    ++errors_;
    if (cfg_.max_errors > 0 && errors_ >= cfg_.max_errors)
      close_with(out, Reply(421, "4.7.0", hostname_text("Error: too many errors")));
  }
}

void ServerSession::drop(std::vector<Output>& out, std::uint32_t delay_ms) {
  if (closed_) return;
  Output o;  // nothing to write: the transport closes once the delay is over
  o.delay_ms = delay_ms;
  o.close_after = true;
  transcript_.add("", "-- connection dropped without a reply");
  out.push_back(std::move(o));
  closed_ = true;
}

void ServerSession::close_with(std::vector<Output>& out, Reply r) {
  emit(out, std::move(r), 0, true);
}

bool ServerSession::decide(const Decision& d, std::vector<Output>& out, Reply positive,
                           Reply negative) {
  switch (d.kind) {
    case Decision::Accept:
      emit(out, d.reply.code >= 200 && d.reply.code < 400 ? d.reply : std::move(positive),
           d.delay_ms);
      return true;
    case Decision::Reject:
      emit(out, d.reply.code >= 400 && d.reply.code < 600 ? d.reply : std::move(negative),
           d.delay_ms);
      return false;
    case Decision::Drop:
      drop(out, d.delay_ms);
      return false;
    case Decision::Disconnect:
      emit(out,
           d.reply.code >= 400 && d.reply.code < 600
               ? d.reply
               : Reply(421, "4.7.0", hostname_text("Error: closing transmission channel")),
           d.delay_ms, true);
      return false;
  }
  return false;
}

// ----------------------------------------------------------- transcript ----

void ServerSession::log_line(std::string_view prefix, std::string_view text) {
  transcript_.add(prefix, text);
}

void ServerSession::log_client(std::string_view line) { log_line("C: ", line); }

}  // namespace mailroom::smtp
