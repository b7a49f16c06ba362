// What the session asks the rest of the server at each protocol step.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mailroom/smtp/envelope.hpp"
#include "mailroom/smtp/reply.hpp"

namespace mailroom::smtp {

// The answer of a Handler hook.
//  Accept: go on; `reply` replaces the default positive reply when its code is
//          2yz/3yz (leave code 0 for the default).
//  Reject: refuse this step with `reply` (a 4yz/5yz; a default is used if not).
//  Disconnect: reply `reply` (421 4.7.0 by default) and close the session.
//  Drop: close the connection with no reply at all, as a server that crashed
//        or was cut off would (after `delay_ms`).
// `delay_ms` asks the transport to wait before writing the reply (tarpitting,
// slow-server simulation); it is copied to Output::delay_ms.
struct Decision {
  enum Kind { Accept, Reject, Disconnect, Drop } kind = Accept;
  Reply reply;
  std::uint32_t delay_ms = 0;
  // on_data only: the answer comes later, through ServerSession::resume_data()
  // (the session is paused() meanwhile); the other fields are ignored.
  bool pending = false;

  static Decision accept() { return {}; }
  static Decision reject(int code, std::string enhanced, std::string text) {
    return {Reject, Reply(code, std::move(enhanced), std::move(text)), 0};
  }
  static Decision disconnect() { return {Disconnect, {}, 0}; }
  static Decision drop() { return {Drop, {}, 0}; }
  static Decision answer_later() { return {Accept, {}, 0, true}; }
};

// Credentials from an AUTH exchange (RFC 4954), already decoded.
struct AuthRequest {
  std::string_view mechanism;  // "PLAIN", "LOGIN" or "CRAM-MD5"
  std::string_view authzid;    // PLAIN's authorization identity; "" = the user
  std::string_view user;       // authentication identity
  std::string_view password;   // PLAIN and LOGIN
  std::string_view challenge;  // CRAM-MD5: the challenge the server sent
  std::string_view digest;     // CRAM-MD5: the client's 32 hex digits
};

enum class AuthOutcome {
  Ok,              // 235 2.7.0
  BadCredentials,  // 535 5.7.8, counted towards Config::max_auth_failures
  TooWeak,         // 534 5.7.9: this mechanism is not allowed for this user
  TempFail,        // 454 4.7.0
  Pending,         // answered later, through ServerSession::resume_auth()
};

// Hooks named after the protocol step, called synchronously from
// ServerSession::feed(). A hook that throws is answered 451 4.3.0 and the
// session goes on. on_data and on_auth may answer later instead (a slow
// hook, an fsync): Decision::answer_later() / AuthOutcome::Pending, then the
// transport calls resume_data() / resume_auth() with the answer.
class Handler {
 public:
  virtual ~Handler() = default;
  // Before the greeting. Reject: 554 greeting, then only QUIT is served.
  virtual Decision on_connect(std::string_view /*peer*/) { return {}; }
  virtual Decision on_helo(std::string_view /*name*/) { return {}; }
  // `env` already holds the MAIL parameters (smtputf8, body, declared_size).
  virtual Decision on_mail(const Envelope& /*env*/, std::string_view /*from*/) {
    return {};
  }
  virtual Decision on_rcpt(const Envelope& /*env*/, std::string_view /*rcpt*/) {
    return {};
  }
  // The AUTH command itself, before its exchange starts: Reject, Drop or
  // Disconnect refuse it (a reply rule); Accept lets the exchange go on.
  virtual Decision on_auth_command(std::string_view /*mechanism*/) { return {}; }
  // AUTH (only when Config::auth). The default refuses every login.
  virtual AuthOutcome on_auth(const AuthRequest& /*request*/) {
    return AuthOutcome::BadCredentials;
  }
  // A CRAM-MD5 challenge, unique to this exchange (RFC 2195 §2: a msg-id such
  // as "<1896.697170952@postoffice.example.net>").
  virtual std::string auth_challenge() { return "<0.0@localhost>"; }
  // Only when Config::vrfy is true. The default answers 252 2.5.0.
  virtual Decision on_vrfy(std::string_view /*arg*/) { return {}; }
  // The complete message: content after dot-unstuffing, without the final
  // ".\r\n" but with the CRLF ending the last line (for BDAT: the chunks
  // concatenated). Accept means stored: the 250 goes out after this returns.
  virtual Decision on_data(const Envelope& env, std::string&& message) = 0;
};

}  // namespace mailroom::smtp
