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
// `delay_ms` asks the transport to wait before writing the reply (tarpitting,
// slow-server simulation); it is copied to Output::delay_ms.
struct Decision {
  enum Kind { Accept, Reject, Disconnect } kind = Accept;
  Reply reply;
  std::uint32_t delay_ms = 0;

  static Decision accept() { return {}; }
  static Decision reject(int code, std::string enhanced, std::string text) {
    return {Reject, Reply(code, std::move(enhanced), std::move(text)), 0};
  }
  static Decision disconnect() { return {Disconnect, {}, 0}; }
};

// Hooks named after the protocol step, called synchronously from
// ServerSession::feed(). A hook that throws is answered 451 4.3.0 and the
// session goes on.
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
  // Only when Config::vrfy is true. The default answers 252 2.5.0.
  virtual Decision on_vrfy(std::string_view /*arg*/) { return {}; }
  // The complete message: content after dot-unstuffing, without the final
  // ".\r\n" but with the CRLF ending the last line (for BDAT: the chunks
  // concatenated). Accept means stored: the 250 goes out after this returns.
  virtual Decision on_data(const Envelope& env, std::string&& message) = 0;
};

}  // namespace mailroom::smtp
