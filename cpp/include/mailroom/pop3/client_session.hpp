// The POP3 client protocol state machine (RFC 1939, CAPA and PIPELINING of
// RFC 2449, AUTH PLAIN of RFC 5034, response codes of RFC 3206).
//
// No I/O: the transport writes take_output(), feeds what it reads, applies
// current_timeout() to the wait it is in, and closes when closed().
//
//   ClientSession c;                 // expects the +OK greeting
//   c.capa(); c.user("bob"); c.pass("secret");
//   auto id = c.retr(1);             // commands queue at once and return an id
//   pump until c.has_response();     // responses come out in command order
//   Response r = *c.next_response(); // r.id == ..., r.body = the message
//
// Commands may be issued at any time, even before the greeting; they are
// written one at a time (each after the previous response) unless the
// server's CAPA listed PIPELINING, in which case every queued command is
// written at once (RFC 2449 §6.6). Multi-line bodies (CAPA, LIST, UIDL, TOP,
// RETR) are dot-unstuffed as they arrive, straight into Response::body: the
// lines exactly as the server holds them, CRLF included, without the final
// "." line. A malformed status line, a body bigger than
// ClientConfig::max_body_bytes or an overlong status line ends the session
// (failed(), closed()). Arguments holding CR, LF or NUL (or a space, where
// one would split the argument) throw std::invalid_argument.
//
// STLS (RFC 2595 §4): stls() is never pipelined with what follows; on its
// +OK tls_handshake_due() turns true, nothing more is written, and every
// byte read until tls_established() is dropped (a man in the middle may
// have injected it). tls_established() forgets the capabilities (the
// client must ask CAPA again). With implicit TLS (POP3S, RFC 8314) the
// transport calls tls_established() before the greeting. pass() and
// auth_plain() throw PlaintextAuthRefused outside TLS unless plaintext
// authentication is allowed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailroom/text.hpp"

namespace mailroom::pop3 {

struct ClientConfig {
  std::size_t max_line = 4096;                    // status line, CRLF included
  std::size_t max_body_bytes = std::size_t{64} << 20;  // one multi-line body
  bool use_pipelining = true;                     // when CAPA says PIPELINING
  std::chrono::milliseconds greeting_timeout{std::chrono::seconds(60)};
  // Longest silence while a response is due (RFC 1939 servers log out idle
  // clients after at least 10 minutes).
  std::chrono::milliseconds response_timeout{std::chrono::minutes(2)};
  std::size_t max_transcript_bytes = 0;           // 0 = no transcript
  // Passwords (PASS, AUTH PLAIN) outside TLS; see set_allow_plaintext_auth().
  bool allow_plaintext_auth = false;
};

enum class Command { Greeting, Capa, User, Pass, Apop, Auth, Stat, List, Uidl, Top, Retr, Dele,
                     Rset, Noop, Quit, Stls };

// A password was about to go out over a connection without TLS.
class PlaintextAuthRefused : public std::logic_error {
 public:
  PlaintextAuthRefused()
      : std::logic_error("refusing to send a password over a connection without TLS "
                         "(ask for TLS, or allow plaintext authentication)") {}
};
const char* to_string(Command c);

struct Response {
  std::uint64_t id = 0;   // what the command method returned
  Command command = Command::Greeting;
  bool ok = false;        // +OK
  std::string status_line;  // the first line without CRLF ("+OK 2 320")
  std::string text;       // after "+OK "/"-ERR " and the response code
  std::string resp_code;  // RFC 2449 §8 "[IN-USE]" -> "IN-USE"; "" when none
  bool multiline = false;
  std::string body;       // multi-line content, unstuffed, CRLF line ends
};

enum class ClientError { None, Protocol, Refused, Timeout, ConnectionLost };
const char* to_string(ClientError e);

class ClientSession {
 public:
  explicit ClientSession(ClientConfig config = {});

  std::string take_output();
  bool has_output() const { return !out_.empty(); }
  void feed(std::string_view data);
  // No response within current_timeout(); the error names the command.
  void on_timeout();
  void on_timeout(std::chrono::milliseconds waited, bool writing);
  void on_eof();
  // The deadline for the current read; 0 when no response is awaited.
  std::chrono::milliseconds current_timeout() const;

  // Each queues one command and returns its id (ids start at 1).
  std::uint64_t capa();
  std::uint64_t user(std::string_view name);
  std::uint64_t pass(std::string_view password);  // may hold spaces
  // APOP (RFC 1939 §7); needs apop_timestamp() (after the greeting).
  std::uint64_t apop(std::string_view name, std::string_view password);
  // AUTH PLAIN with an initial response (RFC 5034, RFC 4616).
  std::uint64_t auth_plain(std::string_view user, std::string_view password,
                           std::string_view authzid = {});
  std::uint64_t stat();
  std::uint64_t list(std::optional<std::uint64_t> msg = std::nullopt);
  std::uint64_t uidl(std::optional<std::uint64_t> msg = std::nullopt);
  std::uint64_t top(std::uint64_t msg, std::uint64_t lines);
  std::uint64_t retr(std::uint64_t msg);
  std::uint64_t dele(std::uint64_t msg);
  std::uint64_t rset();
  std::uint64_t noop();
  std::uint64_t quit();
  std::uint64_t stls();  // RFC 2595 §4

  // STLS answered +OK: the transport must do the TLS handshake now, then
  // call tls_established().
  bool tls_handshake_due() const { return handshake_due_; }
  void tls_established(std::string_view description = {});
  bool tls_active() const { return tls_active_; }
  void set_allow_plaintext_auth(bool allow) { plaintext_auth_allowed_ = allow; }
  // A password may go out now: inside TLS, or plaintext authentication allowed.
  bool credentials_allowed() const { return tls_active_ || plaintext_auth_allowed_; }
  std::size_t dropped_before_tls() const { return dropped_before_tls_; }

  // Completed responses, in command order (the greeting first, id 0).
  bool has_response() const { return !done_.empty(); }
  std::optional<Response> next_response();
  std::size_t in_flight() const { return awaiting_.size() + queued_.size(); }

  bool greeted() const { return greeted_; }
  const std::string& greeting() const { return greeting_; }
  const std::string& apop_timestamp() const { return apop_timestamp_; }  // "<...>"
  // CAPA lines (upper-cased first word kept as sent) once a CAPA succeeded.
  const std::vector<std::string>& capabilities() const { return capabilities_; }
  // CAPA listed "SASL ... PLAIN ..." (RFC 2449 §6.3): AUTH PLAIN (RFC 5034)
  // may log in; else USER/PASS.
  bool sasl_plain_offered() const;
  bool pipelining() const { return pipelining_; }
  bool closed() const { return closed_; }
  bool failed() const { return error_ != ClientError::None; }
  ClientError error() const { return error_; }
  const std::string& error_text() const { return error_text_; }
  const std::string& transcript() const { return transcript_.text(); }
  std::size_t buffered_bytes() const { return line_.size() + current_.body.size(); }

 private:
  struct Queued {
    std::uint64_t id;
    Command command;
    bool multiline;  // a multi-line body follows +OK
    std::string line;  // without CRLF
    std::string log;   // transcript text (PASS hidden)
  };
  enum class Body { LineStart, Dot, DotCR, Mid };

  std::uint64_t enqueue(Command c, bool multiline, std::string line, std::string log = {});
  void flush();
  void status_line(std::string_view line);
  std::size_t consume_body(std::string_view in);
  void complete();
  void fail(ClientError kind, std::string text);

  ClientConfig cfg_;
  std::string out_;
  std::string line_;
  std::deque<Queued> queued_;    // not written yet
  std::deque<Queued> awaiting_;  // written, response due (front first)
  std::deque<Response> done_;
  Response current_;
  bool in_body_ = false;
  Body body_state_ = Body::LineStart;
  std::uint64_t next_id_ = 1;
  bool greeted_ = false;
  bool pipelining_ = false;
  bool closed_ = false;
  bool tls_active_ = false;
  bool handshake_due_ = false;
  bool plaintext_auth_allowed_;
  std::size_t dropped_before_tls_ = 0;
  ClientError error_ = ClientError::None;
  std::string error_text_;
  std::string greeting_, apop_timestamp_;
  std::vector<std::string> capabilities_;
  Transcript transcript_;
};

// Helpers for the bodies of common responses; false when malformed.
bool parse_stat(const Response& r, std::uint64_t& count, std::uint64_t& octets);
// LIST / UIDL without argument: one "n value" pair per line (empty lines
// skipped). With an argument
// the single answer is in the status text: use parse_listing_line(r.text, ...).
bool parse_listing(const Response& r,
                   std::vector<std::pair<std::uint64_t, std::string>>& out);
bool parse_listing_line(std::string_view line, std::uint64_t& msg, std::string& value);

}  // namespace mailroom::pop3
