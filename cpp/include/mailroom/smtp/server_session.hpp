// The SMTP server protocol state machine (RFC 5321 with PIPELINING, SIZE,
// 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, CHUNKING/BINARYMIME, STARTTLS).
//
// No I/O: the transport moves the bytes it reads into feed() and writes the
// Output records that come back, in order. Decisions (accept a recipient, store
// a message) come from a Handler called synchronously from feed().
//
//   ServerSession s(config, handler, "192.0.2.1:52344");
//   write(s.greeting());
//   while (!s.closed()) {
//     std::vector<Output> out;
//     s.feed(read_some(), out);       // any split of the stream gives the same replies
//     for (auto& o : out) { wait(o.delay_ms); write(o.bytes);
//                           if (o.start_tls) handshake();
//                           if (o.close_after) close(); }
//   }
//   // on idle timeout: s.on_timeout(out) gives 421 4.4.2 and closes.
//
// Guarantees: feed() is incremental and linear in its input; replies to
// pipelined commands come out in order; the command buffer holds at most
// Config::max_command_line octets and the message buffer at most
// Config::max_message_size; only CRLF "." CRLF ends DATA. After 221 or 421 the
// session is closed and further input is ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/line_reader.hpp"
#include "mailroom/smtp/config.hpp"
#include "mailroom/smtp/envelope.hpp"
#include "mailroom/smtp/handler.hpp"
#include "mailroom/smtp/reply.hpp"
#include "mailroom/credential_mask.hpp"
#include "mailroom/text.hpp"

namespace mailroom::smtp {

// One reply for the transport to write.
struct Output {
  std::string bytes;           // one complete reply, CRLF-terminated lines
  std::uint32_t delay_ms = 0;  // wait this long before writing it
  bool close_after = false;    // close the connection once written (221, 421)
  bool start_tls = false;      // begin the TLS handshake once written (STARTTLS)
  int code = 0;                // the reply code, for logs and tests
};

enum class State {
  Connected,  // greeting sent (or due), waiting for HELO/EHLO
  Ready,      // greeted, no mail transaction
  Mail,       // MAIL accepted, no recipient yet
  Rcpt,       // at least one RCPT accepted
  Data,       // reading DATA content
  Bdat,       // inside a BDAT transfer (reading a chunk or between chunks)
  Closed,     // after 221/421; input is ignored
};

const char* to_string(State s);

class ServerSession {
 public:
  // `config` and `handler` must outlive the session. `peer` is for the
  // transcript and Handler::on_connect.
  ServerSession(const Config& config, Handler& handler, std::string peer);

  // The 220 greeting (or 554 / 421 when Handler::on_connect refuses). Call once,
  // before writing anything else.
  Output greeting();

  // Consume `data` (any amount, any split) and append the replies it completes.
  void feed(std::string_view data, std::vector<Output>& out);

  // The transport finished the TLS handshake after an Output with start_tls.
  // Until then feed() drops all input (no STARTTLS command injection).
  // Called before greeting(), it marks an implicit-TLS session (RFC 8314):
  // STARTTLS is then neither offered nor accepted.
  void tls_established();
  bool tls_active() const { return tls_active_; }
  // The AUTH identity after 235; empty before.
  const std::string& auth_user() const { return env_.auth_user; }

  // The transport's idle deadline expired: 421 4.4.2 and close.
  void on_timeout(std::vector<Output>& out);

  // Waiting for an answer given later (h11's PAUSED): on_data returned
  // Decision::answer_later() or on_auth AuthOutcome::Pending. Input fed
  // meanwhile is held, unparsed, until the answer; a transport stops
  // reading while paused, which bounds it.
  bool paused() const { return pause_ != Pause::None; }
  // The answer: its reply, then the replies to the input held meanwhile.
  // Ignored when the session does not wait for that answer.
  void resume_data(const Decision& d, std::vector<Output>& out);
  void resume_auth(AuthOutcome outcome, std::vector<Output>& out);

  bool closed() const { return closed_; }
  // Reading message content (DATA, a BDAT chunk): the transport's deadline
  // then moves with the octets that arrive (a minimum data rate).
  bool receiving_data() const { return mode_ == Mode::Data || mode_ == Mode::Chunk; }
  State state() const;
  const Envelope& envelope() const { return env_; }
  const std::string& peer() const { return peer_; }
  // "S: 220 ...\n" / "C: EHLO ...\n" lines; DATA summarized. Empty if off.
  const std::string& transcript() const { return transcript_.text(); }
  bool transcript_truncated() const { return transcript_.truncated(); }
  unsigned error_count() const { return errors_; }
  std::size_t messages_accepted() const { return messages_accepted_; }
  // Octets held in the command and message buffers (for limits and fuzzing).
  std::size_t buffered_bytes() const { return lines_.buffered() + message_.size(); }

 private:
  enum class Mode { Command, Data, Chunk };
  enum class DataState { LineStart, Dot, DotCR, Mid };
  enum class Tx { None, Mail, Rcpt, Bdat };

  std::size_t consume_command(std::string_view in, std::size_t i, std::vector<Output>& out);
  void overlong_line(std::size_t discarded, std::vector<Output>& out);
  std::size_t consume_data(std::string_view in, std::size_t i, std::vector<Output>& out);
  std::size_t consume_chunk(std::string_view in, std::size_t i, std::vector<Output>& out);

  void command_line(std::string_view line, std::vector<Output>& out);
  void cmd_helo(std::string_view arg, bool esmtp, std::vector<Output>& out);
  void cmd_mail(std::string_view arg, std::vector<Output>& out);
  void cmd_rcpt(std::string_view arg, std::vector<Output>& out);
  void cmd_data(std::string_view arg, std::vector<Output>& out);
  void cmd_bdat(std::string_view arg, std::vector<Output>& out);
  void cmd_rset(std::string_view arg, std::vector<Output>& out);
  void cmd_vrfy(std::string_view arg, std::vector<Output>& out);
  void cmd_help(std::vector<Output>& out);
  void cmd_quit(std::string_view arg, std::vector<Output>& out);
  void cmd_starttls(std::string_view arg, std::vector<Output>& out);
  void cmd_auth(std::string_view arg, std::vector<Output>& out);
  void auth_step(std::string_view response, std::vector<Output>& out);
  void auth_plain(std::string_view response, std::vector<Output>& out);
  void auth_finish(const AuthRequest& request, std::vector<Output>& out);
  void auth_result(AuthOutcome outcome, std::string_view identity, std::vector<Output>& out);
  void data_result(const Decision& d, std::vector<Output>& out);
  void release_held(std::vector<Output>& out);
  bool auth_offered() const { return cfg_.auth && (tls_active_ || cfg_.plaintext_auth); }
  std::size_t line_limit(std::string_view head) const;

  void data_emit(std::string_view span);
  void end_of_data(std::vector<Output>& out);
  void end_of_chunk(std::vector<Output>& out);
  void deliver(std::vector<Output>& out);
  void reset_transaction();
  void clear_content();  // the message buffer and its scanning state

  // Write a reply. `enh` is dropped when enhanced codes are off.
  void reply(std::vector<Output>& out, int code, std::string_view enh, std::string text);
  // Append one Output. `counts`: a 4yz/5yz adds to the error count (and may
  // trigger the 421 for too many errors).
  void emit(std::vector<Output>& out, Reply r, std::uint32_t delay_ms = 0,
            bool close_after = false, bool start_tls = false, bool counts = true);
  void close_with(std::vector<Output>& out, Reply r);
  void drop(std::vector<Output>& out, std::uint32_t delay_ms);
  // Apply a handler decision: write `positive` (or the handler's custom
  // positive reply), the handler's rejection (or `negative`), or disconnect.
  // Returns true when the step is accepted.
  bool decide(const Decision& d, std::vector<Output>& out, Reply positive, Reply negative);
  // A hook that throws is answered 451 4.3.0.
  template <class F>
  Decision call_handler(F&& f) {
    try {
      return f();
    } catch (...) {
      return Decision::reject(451, "4.3.0", "Error: local error in processing");
    }
  }
  std::string hostname_text(std::string_view text) const;

  void log_client(std::string_view line);
  void log_line(std::string_view prefix, std::string_view text);

  const Config& cfg_;
  Handler& handler_;
  std::string peer_;

  bool closed_ = false;
  Mode mode_ = Mode::Command;
  Tx tx_ = Tx::None;
  bool greeted_ = false;          // HELO/EHLO done
  bool refused_ = false;          // on_connect rejected: only QUIT is served
  bool tls_active_ = false;
  bool tls_pending_ = false;      // STARTTLS accepted, handshake not done: drop input
  // An AUTH exchange waiting for the client's next response line.
  enum class AuthStep { None, Plain, LoginUser, LoginPassword, CramMd5 } auth_step_ = AuthStep::None;
  std::string auth_login_user_;   // LOGIN: the user name, until the password comes
  std::string auth_challenge_;    // CRAM-MD5: the challenge sent
  unsigned auth_failures_ = 0;
  unsigned errors_ = 0;
  std::size_t messages_accepted_ = 0;

  LineReader lines_;              // command lines and AUTH responses

  Envelope env_;
  std::string message_;           // DATA/BDAT content so far (bounded)
  std::size_t message_octets_ = 0;  // all content octets, including dropped ones
  bool oversize_ = false;
  bool long_line_ = false;
  bool bare_newline_ = false;
  DataState dstate_ = DataState::LineStart;
  bool last_cr_ = false;          // last content octet was a CR (pending CRLF)
  std::size_t text_line_ = 0;     // octets of the current text line
  std::uint64_t chunk_left_ = 0;  // octets of the current BDAT chunk still due
  std::uint64_t chunk_size_ = 0;
  bool chunk_last_ = false;
  bool chunk_discard_ = false;    // chunk is read only to be thrown away
  Reply chunk_error_;             // reply for a discarded chunk

  enum class Pause { None, Data, Auth } pause_ = Pause::None;
  std::string held_;           // input fed while paused
  std::string auth_identity_;  // the login a pending AUTH would set

  CredentialMask mask_{"<hidden>"};
  Transcript transcript_;
};

}  // namespace mailroom::smtp
