// The SMTP client protocol state machine (RFC 5321 with PIPELINING, SIZE,
// 8BITMIME, SMTPUTF8, CHUNKING/BINARYMIME, ENHANCEDSTATUSCODES).
//
// No I/O: the transport writes what take_output() returns, feeds what it reads,
// applies current_timeout() to the wait it is in, and closes when closed().
//
//   ClientSession c(config);                  // expects the 220 greeting
//   while (!c.ready() && !c.closed()) pump(); // greeting, EHLO (HELO fallback)
//   c.begin_message(from, rcpts, content);    // one message at a time
//   while (!c.message_done()) pump();
//   const SendResult& r = c.result();         // MAIL, each RCPT, DATA replies
//   ...more messages...
//   c.quit(); while (!c.closed()) pump();
//
// Or several messages in flight (PIPELINING, see below):
//   while (more && c.can_begin_message()) c.begin_message(...);  // returns an id
//   pump();
//   while (auto r = c.next_result()) use(*r);  // in the order begun
//
//   pump(): write(c.take_output());
//           n = read_some(deadline = c.current_timeout());
//           n == EOF ? c.on_eof() : timed_out ? c.on_timeout() : c.feed(bytes);
//
// How the content goes out:
//  - Text content (no NUL, no bare CR): a bare LF becomes CRLF and a final
//    CRLF is added when missing ("normalized"). Sent with DATA, dot-stuffed
//    (RFC 5321 §4.5.2) and ended by CRLF "." CRLF; or with BDAT (RFC 3030),
//    chosen by MessageOptions::transfer: Auto picks BDAT when the server
//    offers CHUNKING and PIPELINING (one round trip per message), DATA
//    otherwise; Bdat (or bdat = true) needs CHUNKING; Data forces DATA.
//  - Binary content (a NUL or a bare CR anywhere): sent exactly as given with
//    BDAT and BODY=BINARYMIME; the message fails locally when the server does
//    not offer CHUNKING and BINARYMIME.
//  - Octets >= 0x80 in text content: BODY=8BITMIME; the message fails locally
//    when the server does not offer 8BITMIME (no downgrade is attempted).
//  - A non-ASCII address: SMTPUTF8 on MAIL; fails locally without SMTPUTF8.
//  - SIZE=<octets sent> when offered; fails locally when bigger than the
//    server's SIZE limit.
//  - DSN parameters (RFC 3461: RET and ENVID on MAIL, NOTIFY and ORCPT on
//    each RCPT, from MessageOptions): sent when the server offers DSN. When it
//    does not, the message fails locally, unless MessageOptions::dsn_optional,
//    which sends it without them and sets SendResult::dsn_dropped (a relay
//    then owes the sender a "relayed" report, RFC 3461 §5.2.2).
//  A local failure sends nothing: message_done() is true at once and
//  result().error says why.
//
// PIPELINING (RFC 2920): MAIL, all RCPTs and DATA go in one write; content
// follows a 354 only when at least one RCPT got 2yz (otherwise, if the server
// still said 354, an empty message "." is sent and the transaction is reset).
// With BDAT, MAIL, the RCPTs and every chunk go in one write (RFC 3030 §4.2);
// when no RCPT is accepted the server refuses the chunks and the message
// fails with its per-recipient replies. Without PIPELINING every command
// waits for its reply. RSET follows any transaction that failed after MAIL
// was accepted, before the message is done.
//
// Messages in flight: with PIPELINING, begin_message() may be called again
// once everything of the previous message is written (its BDAT chunks, or its
// "." after the 354; RFC 2920 §3.1), up to ClientConfig::max_in_flight
// messages begun but not yet collected (can_begin_message()). Replies come
// back in order and are matched to their message; each message gets its own
// SendResult, collected in order with next_result(). A message queued behind
// one that may still need a reset (a BDAT message, or a DATA message whose
// content was abandoned) starts with RSET, so a failure in the middle of a
// pipeline never leaks into the next message (a refused MAIL makes that
// message's RCPT and BDAT replies errors too; the next message carries on).
// A local failure queued behind messages in flight gets its result in order.
//
// STARTTLS (RFC 3207) when ClientConfig::starttls: after EHLO, the session
// says STARTTLS (failing with ClientError::Tls when the EHLO reply does not
// offer it); on 220 tls_handshake_due() turns true and every byte that
// arrives until tls_established() is dropped (RFC 3207 §4.2: nothing sent
// before the handshake counts; a man in the middle may have injected it).
// After the handshake the session forgets the EHLO reply and says EHLO again.
// With implicit TLS (RFC 8314) the transport calls tls_established() before
// the greeting.
//
// AUTH (RFC 4954) when ClientConfig::auth_user is set: after EHLO (and after
// STARTTLS when asked for), with the mechanism named in auth_mechanism or the
// strongest offered of CRAM-MD5 (RFC 2195), PLAIN (RFC 4616, initial
// response) and LOGIN. Credentials go out only inside TLS unless
// allow_plaintext_auth. A refused AUTH ends the session with
// ClientError::Auth and the server's reply in error_reply(); credentials
// never reach the transcript.
//
// Guarantees: feed() is incremental (any split gives the same result); the
// reply buffer holds at most ClientConfig::max_reply_line octets; a bad reply
// line, an unexpected reply or a 421 ends the session (failed(), closed()).
// Arguments with CR, LF or NUL throw std::invalid_argument and emit nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailroom/smtp/dsn_parameters.hpp"
#include "mailroom/smtp/reply.hpp"
#include "mailroom/text.hpp"

namespace mailroom::smtp {

// RFC 5321 §4.5.3.2 timeouts, for the wait the session is in.
struct ClientTimeouts {
  std::chrono::milliseconds connect{std::chrono::minutes(2)};  // for the transport
  std::chrono::milliseconds greeting{std::chrono::minutes(5)};    // initial 220
  std::chrono::milliseconds command{std::chrono::minutes(5)};     // EHLO, RSET, QUIT...
  std::chrono::milliseconds mail{std::chrono::minutes(5)};        // MAIL reply
  std::chrono::milliseconds rcpt{std::chrono::minutes(5)};        // RCPT reply
  std::chrono::milliseconds data_init{std::chrono::minutes(2)};   // 354 to DATA
  // Each write of message data; also the reply to a non-final BDAT chunk.
  std::chrono::milliseconds data_block{std::chrono::minutes(3)};
  std::chrono::milliseconds data_term{std::chrono::minutes(10)};  // reply after "."
};

struct ClientConfig {
  std::string helo_name = "localhost";  // argument of EHLO/HELO
  bool use_pipelining = true;           // when the server offers PIPELINING
  // Longest reply line accepted, CRLF included (RFC 5321 says 512; servers
  // send longer text). Longer: protocol error.
  std::size_t max_reply_line = 4096;
  std::size_t max_reply_lines = 256;    // lines of one multi-line reply
  // BDAT chunk size for content sent by BDAT.
  std::size_t bdat_chunk_size = std::size_t{1} << 20;
  // Messages begun and not yet collected with next_result(): bounds what
  // is buffered while pipelining. At least 1.
  std::size_t max_in_flight = 32;
  ClientTimeouts timeouts;
  // Transcript ("C: ..."/"S: ..." lines, message data summarized), capped to
  // this many bytes. 0 = no transcript.
  std::size_t max_transcript_bytes = 0;
  bool starttls = false;     // RFC 3207: required, the session fails without it
  // Opportunistic TLS (RFC 7435, RFC 3207 §4.1): STARTTLS when the server
  // offers it, plain text when it does not or answers 454.
  bool starttls_if_offered = false;
  std::string auth_user;     // RFC 4954 AUTH when not empty
  std::string auth_password;
  std::string auth_mechanism;  // "PLAIN", "LOGIN" or "CRAM-MD5"; "": the strongest offered
  bool allow_plaintext_auth = false;  // credentials outside TLS
};

// The SASL mechanisms the client knows, strongest first.
bool known_auth_mechanism(std::string_view name);

// What the server announced in its EHLO reply.
struct Extensions {
  bool esmtp = false;          // EHLO succeeded (false after the HELO fallback)
  bool pipelining = false;
  bool size = false;
  std::uint64_t size_limit = 0;  // SIZE argument; 0 = no limit given
  bool eightbitmime = false;
  bool smtputf8 = false;
  bool chunking = false;
  bool binarymime = false;
  bool starttls = false;
  bool enhancedstatuscodes = false;
  bool dsn = false;
  std::vector<std::string> auth;      // AUTH mechanisms, upper-cased
  std::vector<std::string> keywords;  // every EHLO line after the first, as sent
};

// How the content goes out (binary content always goes by BDAT).
enum class Transfer {
  Auto,  // BDAT when the server offers CHUNKING and PIPELINING, else DATA
  Data,  // DATA
  Bdat,  // BDAT (needs CHUNKING)
};
const char* to_string(Transfer t);

struct MessageOptions {
  Transfer transfer = Transfer::Auto;
  bool bdat = false;  // same as transfer = Transfer::Bdat
  // Extra MAIL parameters, sent as given.
  std::vector<std::string> mail_params;
  // RFC 3461: RET/ENVID, and NOTIFY/ORCPT per recipient (empty, or one per
  // recipient in the order given). Checked like the server checks them:
  // std::invalid_argument when a value could not be sent.
  MessageDsn dsn;
  std::vector<RecipientDsn> rcpt_dsn;
  // Without DSN at the server: send without the parameters (true) or fail
  // locally (false).
  bool dsn_optional = false;
};

// The outcome of one begin_message(). Replies the transaction never reached
// have code 0.
struct SendResult {
  Reply mail;
  std::vector<std::pair<std::string, Reply>> rcpts;  // in the order given
  Reply data;      // the final reply (after "." or the last BDAT chunk)
  bool ok = false; // data was 2yz: accepted for the recipients whose RCPT got 2yz
  std::string error;  // why not ok: a local refusal or a summary of the reply
  std::uint64_t id = 0;  // what begin_message() returned
  bool dsn_dropped = false;  // DSN parameters asked for, not sent (no DSN offered)
  std::size_t accepted_rcpts() const;
};

enum class ClientState {
  Greeting,     // waiting for the 220
  Ehlo,         // EHLO (or HELO) sent
  StartTls,     // STARTTLS sent, or its 220 in and the handshake due
  Auth,         // AUTH exchange in progress
  Ready,        // greeted, no transaction
  Transaction,  // a message in flight
  Reset,        // RSET after a failed transaction
  Quit,         // QUIT sent
  Closed,       // the transport should close (after 221, or failed())
};
const char* to_string(ClientState s);

enum class ClientError {
  None,
  Protocol,         // malformed or unexpected reply
  ServiceClosing,   // the server sent 421
  Refused,          // greeting not 220, or EHLO and HELO refused
  Timeout,          // on_timeout()
  ConnectionLost,   // on_eof() before QUIT was answered
  Tls,              // STARTTLS asked for and not offered, or refused
  Auth,             // AUTH refused (535, 534, 538, 530...), unavailable, or not
                    // allowed outside TLS
};
const char* to_string(ClientError e);

class ClientSession {
 public:
  explicit ClientSession(ClientConfig config = {});

  // Bytes to write, in order; empties the buffer.
  std::string take_output();
  bool has_output() const { return !out_.empty(); }
  // Bytes read from the server (any amount, any split).
  void feed(std::string_view data);
  // The read deadline expired / the server closed the connection.
  // No reply within current_timeout(); the error names the awaited reply.
  void on_timeout();
  // The same for a wait of `waited`; `writing`: the server stopped reading
  // what was being sent.
  void on_timeout(std::chrono::milliseconds waited, bool writing);
  void on_eof();
  // The deadline for the current read; 0 when no reply is awaited.
  std::chrono::milliseconds current_timeout() const;

  // Start sending one message; returns its id (1, 2, ... in the order begun).
  // Requires can_begin_message(). Throws std::invalid_argument (nothing
  // emitted) when an address or parameter holds CR, LF or NUL, an address is
  // not a valid mailbox ("" is the null reverse-path) or not UTF-8, or
  // `rcpts` is empty; std::logic_error when a message cannot begin now.
  std::uint64_t begin_message(std::string_view mail_from,
                              const std::vector<std::string>& rcpts, std::string content,
                              const MessageOptions& options = {});
  // ready(), or messages in flight that a new one may be pipelined behind.
  bool can_begin_message() const;
  // Every message begun is finished (its result is available).
  bool message_done() const { return txns_.empty(); }
  // The result of the message finished last.
  const SendResult& result() const { return last_result_; }
  // Finished messages' results in the order begun, each returned once. At
  // most max_in_flight are kept; older uncollected ones are dropped.
  std::optional<SendResult> next_result();
  std::size_t results_pending() const { return results_.size(); }
  // Messages begun and not finished.
  std::size_t in_flight() const { return txns_.size(); }
  // Ask to end the session: QUIT now when idle, or after the message in flight.
  void quit();
  // Sends NOOP (keep-alive); requires ready().
  void noop();

  // STARTTLS was answered 220: the transport must do the TLS handshake now
  // (nothing is read or written until then), then call tls_established().
  bool tls_handshake_due() const { return handshake_due_; }
  // TLS is on (after the STARTTLS handshake, or for implicit TLS before the
  // greeting). `description` ("TLSv1.3 TLS_AES_256_GCM_SHA384") goes to the
  // transcript.
  void tls_established(std::string_view description = {});
  bool tls_active() const { return tls_active_; }
  // Set by the transport once it knows the peer (e.g. credentials in clear
  // only to this host); replaces ClientConfig::allow_plaintext_auth.
  void set_allow_plaintext_auth(bool allow) { cfg_.allow_plaintext_auth = allow; }
  bool authenticated() const { return authenticated_; }
  const std::string& auth_mechanism() const { return auth_mechanism_; }
  // Bytes dropped between STARTTLS's 220 and the handshake.
  std::size_t dropped_before_tls() const { return dropped_before_tls_; }

  ClientState state() const { return state_; }
  bool ready() const { return state_ == ClientState::Ready && pending_.empty(); }
  bool closed() const { return state_ == ClientState::Closed; }
  bool failed() const { return error_ != ClientError::None; }
  ClientError error() const { return error_; }
  const std::string& error_text() const { return error_text_; }
  const Reply& greeting() const { return greeting_; }
  const Extensions& extensions() const { return ext_; }
  const Reply& last_reply() const { return last_; }
  // The reply that ended the session (a 535 to AUTH, a refused greeting,
  // the last one before a timeout); code 0 for a local refusal such as
  // "server does not offer STARTTLS".
  const Reply& error_reply() const { return error_reply_; }
  std::size_t messages_sent() const { return messages_sent_; }
  const std::string& transcript() const { return transcript_.text(); }
  bool transcript_truncated() const { return transcript_.truncated(); }
  std::size_t buffered_bytes() const { return line_.size(); }

 private:
  enum class Await { Greeting, Ehlo, Helo, Mail, Rcpt, Data, DataEnd, Bdat, BdatLast, Rset,
                     Quit, Noop, StartTls, Auth };
  enum class AuthStep { None, Plain, LoginUser, LoginPassword, CramMd5, Cancelled };
  struct Pending {
    Await what;
    std::size_t index = 0;  // recipient index for Rcpt
  };
  // One message begun and not finished. Replies to Mail, Rcpt, Data,
  // DataEnd, Bdat, BdatLast and Rset belong to the oldest one (txns_.front()).
  struct Txn {
    SendResult result;
    std::string content;
    std::vector<std::string> rcpt_params;  // " NOTIFY=... ORCPT=..." per recipient
    bool wire = false;       // something was sent for it (not a local refusal)
    bool pipelined = false;  // this transaction was pipelined
    bool use_bdat = false;
    bool mail_ok = false;
    bool abandon = false;    // 354 without an accepted RCPT: "." then RSET
    bool all_sent = false;   // every command and octet of it is written
    bool decided = false;    // result final (replies may still be due)
    bool needs_reset = false;
    bool reset_sent = false;
    bool followed = false;   // a later message starting with RSET is queued
    std::size_t bdat_offset = 0;  // content octets already sent by BDAT
    std::size_t rcpts_answered = 0;
    std::size_t outstanding = 0;  // its entries in pending_
  };

  void consume_line(std::string_view line);
  void on_reply(Reply r);
  void handle(const Pending& p, const Reply& r);
  void parse_ehlo(const Reply& r);
  void send(std::string_view command, Await what, std::size_t index = 0,
            Txn* owner = nullptr);
  void send_rcpts_from(Txn& m, std::size_t first);
  void after_rcpts(Txn& m);
  void send_content(Txn& m);
  void send_bdat(Txn& m);
  void decide(Txn& m, bool ok, std::string error);
  void fail_transaction(Txn& m, std::string error);
  void retire();
  void push_result(SendResult r);
  void fail(ClientError kind, std::string text);
  // Ends the session politely: the error, then QUIT.
  void refuse_session(ClientError kind, std::string text, const Reply& reply);
  void go_idle();
  // client_security.cpp: STARTTLS and AUTH.
  void after_ehlo();
  void begin_auth();
  void on_auth_reply(const Reply& r);
  void on_starttls_reply(const Reply& r);
  // Sends an AUTH line whose transcript shows `log` instead.
  void send_hidden(std::string_view command, std::string_view log);

  ClientConfig cfg_;
  ClientState state_ = ClientState::Greeting;
  ClientError error_ = ClientError::None;
  std::string error_text_;
  std::string out_;
  std::string line_;  // partial reply line
  Reply partial_;     // lines of a multi-line reply so far
  bool in_reply_ = false;
  std::deque<Pending> pending_;
  Reply greeting_, last_, error_reply_;
  Extensions ext_;
  bool quit_requested_ = false;
  bool tls_active_ = false;
  bool handshake_due_ = false;
  bool starttls_declined_ = false;  // opportunistic STARTTLS answered non-220
  std::size_t dropped_before_tls_ = 0;
  bool authenticated_ = false;
  std::string auth_mechanism_;
  AuthStep auth_step_ = AuthStep::None;

  std::deque<Txn> txns_;               // messages in flight, oldest first
  std::deque<SendResult> results_;     // finished, not collected
  SendResult last_result_;
  std::uint64_t next_id_ = 1;
  std::size_t messages_sent_ = 0;

  Transcript transcript_;
};

// Appends `content` to `out` as DATA content: bare LF -> CRLF, a final CRLF
// when missing, leading dots doubled (RFC 5321 §4.5.2), and `terminate`
// adds ".\r\n". With `stuff` false only the line endings are normalized.
// Content must not contain bare CR (they are copied as is). One reserve and
// one memchr-driven pass.
void append_dot_stuffed(std::string& out, std::string_view content, bool stuff = true,
                        bool terminate = true);

// True when `content` must travel as BINARYMIME: a NUL or a bare CR.
bool needs_binarymime(std::string_view content);

// "what: 535 5.7.8 last line of the text", for error messages.
std::string reply_summary(std::string_view what, const Reply& r);

}  // namespace mailroom::smtp
