// Settings of one SMTP server session: extensions offered and limits enforced.
#pragma once

#include <cstddef>
#include <cstdint>
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
  bool dsn = true;                  // RFC 3461 (RET, ENVID, NOTIFY, ORCPT)
  // STARTTLS (RFC 3207): only when the transport can do TLS. The session replies
  // 220 with Output::start_tls set, drops all input until
  // ServerSession::tls_established() (no command injection), then waits for a
  // new EHLO.
  bool starttls = false;

  // AUTH (RFC 4954). Handler::on_auth checks the credentials.
  bool auth = false;            // offer AUTH in the EHLO reply and serve it
  bool auth_plain = true;       // RFC 4616
  bool auth_login = true;       // draft-murchison-sasl-login (what Outlook and swaks send)
  bool auth_cram_md5 = false;   // RFC 2195; needs the secret in clear on the server
  // false: AUTH is neither offered nor served before TLS (538 5.7.11), so
  // passwords never cross in clear.
  bool plaintext_auth = true;
  // MAIL before a successful AUTH gets 530 5.7.0 (a submission port, RFC 6409 §4.3).
  bool auth_required = false;
  // MAIL and AUTH before STARTTLS get 530 5.7.0 (RFC 3207 §4).
  bool require_tls = false;
  // Failed AUTH attempts before the session closes with 421 4.7.0. 0 = no limit.
  unsigned max_auth_failures = 3;
  // Delay asked of the transport before a 535 (Output::delay_ms), to slow
  // password guessing. Tests use 0.
  std::uint32_t auth_failure_delay_ms = 500;
  // Longest AUTH command or SASL response line in octets, CRLF included
  // (RFC 4954 §4: at least 12288).
  std::size_t max_auth_line = 12288;

  // false: VRFY answers 252 2.5.0 "Cannot VRFY user..."; true: Handler::on_vrfy.
  bool vrfy = false;
  // false: HELP answers 502 5.5.1.
  bool help = true;

  // Transcript of the session ("S: ...", "C: ..." lines), capped to this many
  // bytes. 0 = no transcript.
  std::size_t max_transcript_bytes = 0;
};

}  // namespace mailroom::smtp
