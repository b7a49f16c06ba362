// Settings of one POP3 server session: mechanisms offered and limits enforced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mailroom::pop3 {

struct Config {
  // Name in the greeting and the sign-off.
  std::string hostname = "localhost";
  // IMPLEMENTATION capability (RFC 2449 §6.9); empty = not advertised.
  std::string implementation = "mailroom";
  // EXPIRE capability argument (RFC 2449 §6.7), e.g. "NEVER" when the store
  // never removes messages on its own; empty = not advertised.
  std::string expire;

  // Longest command line in octets, CRLF included (RFC 2449 §4: 255). Longer
  // lines get -ERR; their bytes are dropped, never buffered.
  std::size_t max_command_line = 255;
  // Longest client response to an AUTH challenge, CRLF included. RFC 5034 §4
  // lifts the 255 limit there: PLAIN carries up to three 255-octet strings.
  std::size_t max_auth_line = 2048;
  // -ERR replies counted per session (authentication failures have their own
  // count); at this number the session says so and closes. 0 = no limit.
  unsigned max_errors = 10;
  // Failed logins (USER/PASS, APOP, AUTH) before the session closes; the last
  // failure's -ERR [AUTH] closes it. 0 = no limit.
  unsigned max_auth_failures = 3;
  // Delay asked of the transport before the -ERR [AUTH] of a failed login
  // (Output::delay_ms), to slow password guessing. Tests use 0.
  std::uint32_t auth_failure_delay_ms = 500;

  // Authentication mechanisms offered.
  bool user_pass = true;   // USER/PASS (RFC 1939 §7); CAPA "USER"
  // APOP (RFC 1939 §7). Off by default: the digest is MD5 over the greeting's
  // timestamp and a shared secret, which is weak (MD5, offline guessing from a
  // captured exchange) and needs the server to keep the secret in plaintext.
  // When on, the greeting carries the timestamp given to the session.
  bool apop = false;
  bool auth_plain = true;  // AUTH PLAIN (RFC 5034, RFC 4616); CAPA "SASL PLAIN"
  // STLS (RFC 2595 §4): only when the transport can do TLS. The session
  // replies +OK with Output::start_tls set, drops all input until
  // ServerSession::tls_established() (no command injection), and stops
  // advertising STLS.
  bool stls = false;
  // false: USER/PASS, APOP and AUTH are neither advertised nor accepted
  // (-ERR [AUTH]) outside TLS, so passwords never cross in clear.
  bool plaintext_auth = true;

  // Transcript of the session ("S: ...", "C: ..." lines), capped to this many
  // bytes. 0 = no transcript. Passwords and AUTH data are masked, message
  // content summarized.
  std::size_t max_transcript_bytes = 0;
};

}  // namespace mailroom::pop3
