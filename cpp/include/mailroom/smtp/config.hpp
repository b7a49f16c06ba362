// Settings of one SMTP server session: extensions offered and limits enforced.
#pragma once

#include <cstddef>
#include <string>

namespace mailroom::smtp {

struct Config {
  // Name in the 220 greeting and the EHLO reply.
  std::string hostname = "localhost";
  // Text after the hostname in the 220 greeting; empty gives "ESMTP mailroom".
  std::string greeting_text;

  // Longest command line in octets, CRLF included (RFC 5321 §4.5.3.1.4).
  // Longer lines get 500 5.5.6; their bytes are dropped, never buffered.
  std::size_t max_command_line = 512;
  // Longest text line of DATA in octets, CRLF included (RFC 5321 §4.5.3.1.6).
  std::size_t max_text_line = 1000;
  // true: a message with a longer text line is rejected at end of data with
  // 554 5.6.0. false: it is accepted as sent.
  bool reject_long_lines = false;
  // true: a message containing a bare CR or a bare LF is rejected at end of
  // data with 554 5.6.0. false: they are kept as data (they never end DATA).
  bool reject_bare_newlines = false;
  // Recipients accepted per message; RCPT beyond that gets 452 4.5.3.
  std::size_t max_recipients = 1000;
  // Largest message in octets (after dot-unstuffing). Checked against the
  // SIZE= parameter at MAIL and while data flows: 552 5.3.4. It also bounds
  // the message buffer.
  std::size_t max_message_size = std::size_t{32} << 20;
  // Replies 4yz/5yz (except 452 for too many recipients) counted per session;
  // at this number the session adds 421 4.7.0 and closes. 0 = no limit.
  unsigned max_errors = 10;

  // ESMTP extensions advertised in the EHLO reply and honoured.
  bool pipelining = true;           // RFC 2920
  bool size = true;                 // RFC 1870
  bool eightbitmime = true;         // RFC 6152
  bool smtputf8 = true;             // RFC 6531
  bool chunking = true;             // RFC 3030 (BDAT)
  bool binarymime = true;           // RFC 3030 (BODY=BINARYMIME, needs chunking)
  bool enhancedstatuscodes = true;  // RFC 2034 (also: codes written on replies)
  // STARTTLS (RFC 3207): only when the transport can do TLS. The session replies
  // 220 with Output::start_tls set, drops all input until
  // ServerSession::tls_established() (no command injection), then waits for a
  // new EHLO.
  bool starttls = false;

  // false: VRFY answers 252 2.5.0 "Cannot VRFY user..."; true: Handler::on_vrfy.
  bool vrfy = false;
  // false: HELP answers 502 5.5.1.
  bool help = true;

  // Transcript of the session ("S: ...", "C: ..." lines), capped to this many
  // bytes. 0 = no transcript.
  std::size_t max_transcript_bytes = 0;
};

}  // namespace mailroom::smtp
