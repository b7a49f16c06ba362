// The IMAP client protocol state machine (RFC 9051 / RFC 3501 §2.2, §5.5, §7;
// LITERAL+ of RFC 7888, SASL-IR of RFC 4959, IDLE of RFC 2177, STARTTLS of
// §6.2.1).
//
// No I/O: the transport writes take_output(), feeds what it reads, applies
// current_timeout() to the wait it is in, and closes when closed().
//
//   ClientSession c;                          // expects the greeting
//   auto id = c.command("SELECT", {Arg::astring("INBOX")});
//   pump until c.has_completion();
//   Completion r = *c.next_completion();      // r.status, r.untagged
//
// Framing: a response is a line; a line ending in "{n}" (or "{n+}", "~{n}")
// goes on after n octets of literal, so a response is its lines joined by
// CRLF with each literal inline (what Arguments reads). Literals go straight
// into that buffer as they arrive; a line over max_line, a literal over
// max_literal or a response over max_response ends the session (failed()).
//
// Pipelining (§5.5): up to max_in_flight commands are written before their
// completions come back. A command holding a synchronizing literal is written
// up to the literal and waits for "+"; what follows it waits too. With
// LITERAL+ (or LITERAL- for literals up to 4096 octets) literals go at once.
// STARTTLS, AUTHENTICATE without SASL-IR, IDLE and LOGOUT are written only
// when nothing else is in flight, and nothing follows them until they end.
//
// Untagged responses go to the oldest command in flight (Completion::
// untagged), or, when none is (or in IDLE), to the unsolicited queue.
// Tags are "a1", "a2", ... (the command's id).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/imap/client_responses.hpp"
#include "mailroom/text.hpp"

namespace mailroom::imap {

struct ClientConfig {
  std::size_t max_line = 64 * 1024;                    // one line of a response
  std::size_t max_literal = std::size_t{64} << 20;     // one literal
  std::size_t max_response = std::size_t{128} << 20;   // a response, literals included
  std::size_t max_untagged = 1'000'000;  // untagged responses held for one command
  // Numbers one SEARCH, ESEARCH or VANISHED response may expand to (a
  // server's "VANISHED 1:4294967295" would be 16 GiB).
  std::size_t max_numbers = 10'000'000;
  std::size_t max_in_flight = 32;        // commands written, completion due
  std::chrono::milliseconds greeting_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds response_timeout{std::chrono::minutes(2)};
  std::size_t max_transcript_bytes = 0;
  bool allow_plaintext_auth = false;  // LOGIN/AUTHENTICATE outside TLS
};

// One argument of a command, encoded as the grammar wants it.
struct Arg {
  enum class Kind { Raw, String, Literal, Mailbox };
  Kind kind = Kind::Raw;
  std::string text;
  // Written as is ("(\Seen)", "1:5", "BODY.PEEK[]"); no CR, LF or NUL.
  static Arg raw(std::string s) { return {Kind::Raw, std::move(s)}; }
  // An astring: an atom when it can be one, else quoted, else a literal.
  static Arg astring(std::string s) { return {Kind::String, std::move(s)}; }
  // Always a literal (APPEND's message).
  static Arg literal(std::string s) { return {Kind::Literal, std::move(s)}; }
  // A folder name in UTF-8, sent in modified UTF-7 (RFC 3501 §5.1.3) as an astring.
  static Arg mailbox(std::string s) { return {Kind::Mailbox, std::move(s)}; }
};

enum class Status { Ok, No, Bad, Bye, Preauth };
const char* to_string(Status s);

struct Completion {
  std::uint64_t id = 0;  // 0: the greeting
  std::string command;   // "SELECT"
  Status status = Status::Ok;
  ResponseCode code;     // "[TRYCREATE]" -> {"TRYCREATE", ""}
  std::string text;      // after the code
  std::vector<Untagged> untagged;  // what came while it was the oldest in flight
};

enum class ClientError { None, Protocol, Refused, Timeout, ConnectionLost };
const char* to_string(ClientError e);

// A password was about to go out over a connection without TLS.
class PlaintextAuthRefused : public std::logic_error {
 public:
  PlaintextAuthRefused()
      : std::logic_error("refusing to send a password over a connection without TLS "
                         "(ask for TLS, or allow plaintext authentication)") {}
};

class ClientSession {
 public:
  explicit ClientSession(ClientConfig config = {});

  std::string take_output();
  bool has_output() const { return !out_.empty(); }
  void feed(std::string_view data);
  void on_timeout(std::chrono::milliseconds waited, bool writing);
  void on_eof();
  // The deadline for the current read; 0 when nothing is awaited (IDLE: the
  // caller's own).
  std::chrono::milliseconds current_timeout() const;

  // Queues a command and returns its id. Arguments are joined by spaces.
  // Throws std::invalid_argument for CR, LF or NUL in a raw argument.
  std::uint64_t command(std::string_view name, const std::vector<Arg>& args = {});
  std::uint64_t login(std::string_view user, std::string_view password);
  // AUTHENTICATE PLAIN (RFC 4616), with the initial response on the command
  // line when the server has SASL-IR (RFC 4959), else after "+".
  std::uint64_t authenticate_plain(std::string_view user, std::string_view password);
  std::uint64_t starttls();
  // IDLE (RFC 2177): untagged responses go to the unsolicited queue once the
  // server said "+"; idle_done() sends DONE and the completion follows.
  std::uint64_t idle();
  void idle_done();
  bool idling() const { return idling_; }
  // COMPRESS DEFLATE (RFC 4978), alone in flight. Once its OK is in,
  // compression_due() holds: nothing more is written or read as responses
  // until the transport has put a DEFLATE codec under the session and calls
  // compression_started(), which returns what was read after the OK (already
  // compressed: the transport inflates it and feeds it back).
  std::uint64_t compress();
  bool compression_due() const { return compression_due_; }
  std::string compression_started();
  bool compressing() const { return compressing_; }
  // The transport could not decode what it read (a broken DEFLATE stream):
  // the session fails as for a protocol error.
  void on_stream_error(std::string_view what);

  bool has_completion() const { return !done_.empty(); }
  std::optional<Completion> next_completion();
  bool has_unsolicited() const { return !unsolicited_.empty(); }
  std::optional<Untagged> next_unsolicited();
  std::size_t in_flight() const { return awaiting_.size() + queued_.size(); }

  // STARTTLS answered OK: the transport does the handshake now, then calls
  // tls_established(). Bytes read before it are dropped (§6.2.1).
  bool tls_handshake_due() const { return handshake_due_; }
  void tls_established(std::string_view description = {});
  bool tls_active() const { return tls_active_; }
  void set_allow_plaintext_auth(bool allow) { plaintext_auth_allowed_ = allow; }
  bool credentials_allowed() const { return tls_active_ || plaintext_auth_allowed_; }
  std::size_t dropped_before_tls() const { return dropped_before_tls_; }

  bool greeted() const { return greeted_; }
  bool preauthenticated() const { return preauth_; }
  const std::string& greeting() const { return greeting_; }
  // The latest CAPABILITY (the greeting's code, a CAPABILITY response, or a
  // tagged OK's code), upper-cased.
  const std::vector<std::string>& capabilities() const { return capabilities_; }
  bool has_capability(std::string_view name) const;
  const std::string& bye_text() const { return bye_; }
  bool closed() const { return closed_; }
  bool failed() const { return error_ != ClientError::None; }
  ClientError error() const { return error_; }
  const std::string& error_text() const { return error_text_; }
  const std::string& transcript() const { return transcript_.text(); }

 private:
  struct Queued {
    std::uint64_t id;
    std::string name;
    std::deque<std::string> chunks;  // the first now, each next after a "+"
    std::string log;                 // transcript text (passwords hidden)
    bool exclusive = false;          // alone in flight (STARTTLS, IDLE, LOGOUT...)
    std::vector<Untagged> untagged;
  };

  std::uint64_t enqueue(std::uint64_t id, std::string name, std::deque<std::string> chunks,
                        std::string log, bool exclusive);
  void flush();
  void line_complete();
  void response(std::string_view text);
  void continuation(std::string_view text);
  void tagged(std::string_view tag, std::string_view rest);
  void untagged(std::string_view text);
  void fail(ClientError kind, std::string text);
  void note_capabilities(const std::vector<std::string>& words);

  ClientConfig cfg_;
  std::string out_;
  std::string response_;         // the response being framed
  std::size_t line_start_ = 0;   // where its current line begins
  std::uint64_t literal_left_ = 0;
  std::deque<Queued> queued_;    // not written yet
  std::deque<Queued> awaiting_;  // written (or partly), completion due
  std::deque<Completion> done_;
  std::deque<Untagged> unsolicited_;
  std::uint64_t next_id_ = 1;
  bool greeted_ = false;
  bool preauth_ = false;
  bool idling_ = false;
  bool idle_done_due_ = false;  // idle_done() before the server's "+"
  bool closed_ = false;
  bool tls_active_ = false;
  bool handshake_due_ = false;
  bool compression_due_ = false;
  bool compressing_ = false;
  std::string read_after_compress_;  // compressed octets behind COMPRESS's OK
  bool plaintext_auth_allowed_;
  std::size_t dropped_before_tls_ = 0;
  ClientError error_ = ClientError::None;
  std::string error_text_;
  std::string greeting_, bye_;
  std::vector<std::string> capabilities_;
  Transcript transcript_;
};

}  // namespace mailroom::imap
