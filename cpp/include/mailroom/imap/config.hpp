// Settings of one IMAP server session: what is offered and the limits enforced.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace mailroom::imap {

struct Config {
  // Name in the greeting and the BYE of LOGOUT.
  std::string hostname = "localhost";

  // Longest line of a command in octets, CRLF included (RFC 9051 §4: clients
  // SHOULD keep lines under 8192 octets... servers are advised to accept at
  // least that). A longer line gets BAD (or BYE when its tag cannot be read)
  // and its bytes are dropped as they stream by, never buffered.
  std::size_t max_command_line = 8192;
  // All lines and literals of one command other than APPEND's message
  // literal (LOGIN with literal strings, SEARCH with long keys).
  std::size_t max_command_size = 65536;
  // APPEND's message literal (APPENDLIMIT, RFC 7889): the server's
  // max_message_size. Larger ones get NO [TOOBIG] (RFC 9051 §7.1).
  std::size_t max_literal = std::size_t{64} << 20;
  // Commands answered BAD per session; at this number a BYE closes it.
  // 0 = no limit.
  unsigned max_errors = 10;
  // Failed logins before the session says BYE; 0 = no limit.
  unsigned max_auth_failures = 3;
  // Delay before the NO of a failed login (Output::delay_ms). Tests use 0.
  std::uint32_t auth_failure_delay_ms = 500;

  // The autologout timer (RFC 9051 §5.4: at least 30 minutes of silence, an
  // IDLE included); shorter only for tests.
  std::chrono::milliseconds autologout{30 * 60 * 1000};

  // NOTIFY (RFC 5465): changes a session may have waiting before it says
  // [NOTIFICATIONOVERFLOW] and stops notifying (§5.8).
  std::size_t max_pending_notifications = 1000;

  // COMPRESS=DEFLATE (RFC 4978): only where the transport can deflate
  // (it reads Output::start_compression).
  bool compress = false;

  // STARTTLS (RFC 9051 §6.2.1): only when the transport can do TLS.
  bool starttls = false;
  // false: LOGIN and AUTHENTICATE are refused outside TLS and CAPABILITY says
  // LOGINDISABLED (RFC 9051 §6.2.3), so passwords never cross in clear.
  bool plaintext_auth = true;
  // AUTHENTICATE CRAM-MD5 (RFC 2195): only where the server knows the shared
  // secrets (a users map), as for SMTP. Offered where logins are.
  bool auth_cram_md5 = false;

  // Transcript of the session ("S: ...", "C: ..." lines) capped to this many
  // bytes; 0 = none. Passwords are masked, literals past 256 octets shown as
  // their length.
  std::size_t max_transcript_bytes = 0;
};

}  // namespace mailroom::imap
