// The POP3 server protocol state machine (RFC 1939 with CAPA and PIPELINING
// from RFC 2449, AUTH PLAIN from RFC 5034, STLS from RFC 2595 and the response
// codes [IN-USE], [AUTH], [SYS/TEMP], [SYS/PERM] of RFC 2449 and RFC 3206).
//
// No I/O: the transport moves the bytes it reads into feed() and writes the
// Output records that come back, in order. Logins go to a Handler, called
// synchronously from feed(); it opens the Maildrop the session then serves.
//
//   ServerSession s(config, handler, "192.0.2.1:52344", "<1234.5678@host>");
//   write(s.greeting());
//   while (!s.closed()) {
//     std::vector<Output> out;
//     s.feed(read_some(), out);        // any split of the stream gives the same replies
//     for (auto& o : out) { wait(o.delay_ms);
//                           write_gather(o.bytes, o.body ? *o.body : "", o.tail);
//                           if (o.start_tls) handshake();
//                           if (o.close_after) close(); }
//   }
//   // on idle timeout: s.on_timeout(out) gives -ERR and closes (no UPDATE).
//
// States (RFC 1939 §3): AUTHORIZATION until a login succeeds, TRANSACTION on
// the maildrop, UPDATE only inside QUIT (Maildrop::commit), then closed.
// Messages are numbered from 1, stable for the session; a message marked
// deleted answers -ERR and is left out of STAT and LIST; RSET unmarks all.
// A connection that ends any other way than QUIT in TRANSACTION deletes
// nothing: the session's destructor drops the maildrop without commit.
//
// Line handling: commands end at LF; a CR before it is dropped, so LF-only
// lines are accepted (lenient, like most servers: nothing a POP3 client sends
// is stored or relayed, so there is no smuggling to fear). A CR anywhere else
// in a line gets -ERR. Lines longer than Config::max_command_line (AUTH
// responses: max_auth_line) get -ERR and their bytes are dropped unbuffered.
// After STLS, input up to tls_established() is dropped (RFC 2595 §4 / the
// STARTTLS command injection of CVE-2011-0411).
//
// Guarantees: feed() is incremental and linear in its input; replies to
// pipelined commands come out in order, one Output per command; the line
// buffer holds at most max(max_command_line, max_auth_line) octets; after a
// closing reply further input is ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/line_reader.hpp"
#include "mailroom/pop3/config.hpp"
#include "mailroom/pop3/handler.hpp"
#include "mailroom/pop3/maildrop.hpp"
#include "mailroom/credential_mask.hpp"
#include "mailroom/text.hpp"

namespace mailroom::pop3 {

// One response for the transport to write: `bytes`, then `*body` when set,
// then `tail`. RETR/TOP of content that needs no stuffing carries the
// maildrop's own string in `body` (no copy) and ".\r\n" in `tail`; everything
// else is entirely in `bytes`.
struct Output {
  std::string bytes;
  std::shared_ptr<const std::string> body;
  std::string_view tail;       // a static string ("" or ".\r\n")
  std::uint32_t delay_ms = 0;  // wait this long before writing it
  bool close_after = false;    // close the connection once written
  bool start_tls = false;      // begin the TLS handshake once written (STLS)
  bool ok = true;              // "+OK" / "+ " (false: "-ERR")

  std::size_t size() const { return bytes.size() + (body ? body->size() : 0) + tail.size(); }
  // The three parts in one string (tests, simple transports).
  std::string wire() const;
};

enum class State {
  Authorization,  // greeting sent, no login yet (includes a pending AUTH exchange)
  Transaction,    // logged in, serving the maildrop
  Closed,         // after QUIT (UPDATE done), a closing -ERR or a timeout
};

const char* to_string(State s);

class ServerSession {
 public:
  // `config` and `handler` must outlive the session. `peer` is for the
  // transcript. `apop_timestamp` is the msg-id-like "<pid.clock@host>" the
  // transport makes unique per connection; it appears in the greeting when
  // Config::apop is on (and may be empty otherwise).
  ServerSession(const Config& config, Handler& handler, std::string peer,
                std::string apop_timestamp = {});
  // Drops the maildrop without commit (the handler's lock is released there).
  ~ServerSession();
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  // "+OK <hostname> POP3 server ready [<timestamp>]". Call once, first.
  Output greeting();

  // Consume `data` (any amount, any split) and append the responses it completes.
  void feed(std::string_view data, std::vector<Output>& out);

  // The transport finished the TLS handshake after an Output with start_tls.
  // Called before greeting(), it marks an implicit-TLS session (RFC 8314).
  void tls_established();

  // The idle deadline expired (RFC 1939 §3: at least 10 minutes): -ERR and
  // close, without UPDATE.
  void on_timeout(std::vector<Output>& out);

  // Waiting for a login answered later (AuthResult::Pending): input fed
  // meanwhile is held, unparsed, until resume_login() gives the answer and
  // the responses to what was held. A transport stops reading meanwhile.
  bool paused() const { return paused_; }
  void resume_login(AuthResult result, std::vector<Output>& out);

  bool closed() const { return state_ == State::Closed; }
  State state() const { return state_; }
  const std::string& peer() const { return peer_; }
  // The USER name given (until a login fails), then the user logged in.
  const std::string& user() const { return user_; }
  bool tls_active() const { return tls_active_; }
  // "S: +OK ...\n" / "C: USER bob\n" lines; "C: PASS ****", AUTH data masked;
  // message content as "S: <message N octets>". Empty if off.
  const std::string& transcript() const { return transcript_.text(); }
  bool transcript_truncated() const { return transcript_.truncated(); }
  unsigned error_count() const { return errors_; }
  unsigned auth_failures() const { return auth_failures_; }
  // Messages marked deleted and not yet committed.
  std::size_t deleted_count() const { return entries_ ? entries_->size() - live_count_ : 0; }
  // Octets held in the line buffer (for limits and fuzzing).
  std::size_t buffered_bytes() const { return lines_.buffered(); }

 private:
  void line_done(std::string_view line, std::vector<Output>& out);
  void overlong_line(std::size_t discarded, std::vector<Output>& out);
  std::size_t line_limit() const;

  void command(std::string_view line, std::vector<Output>& out);
  void cmd_capa(std::vector<Output>& out);
  void cmd_user(std::string_view arg, std::vector<Output>& out);
  void cmd_pass(std::string_view arg, std::vector<Output>& out);
  void cmd_apop(std::string_view arg, std::vector<Output>& out);
  void cmd_auth(std::string_view arg, std::vector<Output>& out);
  void auth_response(std::string_view line, std::vector<Output>& out);
  void auth_plain(std::string_view base64, std::vector<Output>& out);
  void cmd_stls(std::string_view arg, std::vector<Output>& out);
  void cmd_quit(std::vector<Output>& out);
  void cmd_stat(std::string_view arg, std::vector<Output>& out);
  void cmd_list(std::string_view arg, bool uidl, std::vector<Output>& out);
  void cmd_retr(std::string_view arg, std::vector<Output>& out);
  void cmd_top(std::string_view arg, std::vector<Output>& out);
  void cmd_dele(std::string_view arg, std::vector<Output>& out);
  void cmd_rset(std::string_view arg, std::vector<Output>& out);

  // Whether a login may be tried now; answers -ERR when not.
  bool login_allowed(std::vector<Output>& out);
  // Applies the handler's answer (or its exception) to a login as `user`.
  template <class F>
  void finish_login(std::string_view user, F&& call, std::vector<Output>& out);
  // "n" naming a message that exists and is not deleted: its 0-based index.
  // Otherwise answers -ERR and returns false.
  bool message_arg(std::string_view arg, std::size_t& index, std::vector<Output>& out);
  // The maildrop's bytes of a message; nullptr after answering -ERR [SYS/TEMP].
  std::shared_ptr<const std::string> message_content(std::size_t index,
                                                     std::vector<Output>& out);
  void send_message(std::size_t index, std::string_view status, std::string_view content,
                    const std::shared_ptr<const std::string>& whole, std::vector<Output>& out);

  // +OK / -ERR single-line responses. `code` is a response code without the
  // brackets ("IN-USE"), empty for none.
  void ok(std::vector<Output>& out, std::string_view text);
  void err(std::vector<Output>& out, std::string_view code, std::string_view text,
           std::uint32_t delay_ms = 0, bool close_after = false, bool counts = true);
  // Appends `o`, logs it (unless `log` is false: the caller did), closes
  // when asked; a counted -ERR may add the too-many-errors close.
  void emit(std::vector<Output>& out, Output o, bool counts = true, bool log = true);

  const Config& cfg_;
  Handler& handler_;
  std::string peer_;
  std::string apop_timestamp_;

  State state_ = State::Authorization;
  bool tls_active_ = false;
  bool tls_pending_ = false;     // STLS accepted, handshake not done: drop input
  bool auth_pending_ = false;    // AUTH PLAIN sent "+ ", waiting for the response
  LineReader lines_;             // command lines and AUTH responses (bounded by line_limit())
  unsigned errors_ = 0;
  unsigned auth_failures_ = 0;

  std::string user_;             // USER argument, then the logged-in user
  bool have_user_ = false;       // USER accepted, PASS may follow

  std::shared_ptr<Maildrop> maildrop_;
  const std::vector<MaildropEntry>* entries_ = nullptr;  // maildrop_->entries()
  std::vector<bool> deleted_;
  std::size_t live_count_ = 0;   // messages not marked deleted
  std::uint64_t live_octets_ = 0;

  bool paused_ = false;
  std::string held_;        // input fed while paused
  std::string login_user_;  // the user of the pending login

  CredentialMask mask_{"****"};
  Transcript transcript_;
};

}  // namespace mailroom::pop3
