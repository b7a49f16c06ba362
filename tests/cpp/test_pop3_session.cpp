// Byte-level tests of the POP3 server state machine, reading like the textbook
// transcript (see pop3_conversation.hpp for the harness).
#include <cstdint>
#include <string>

#include "mailroom/pop3/byte_stuffing.hpp"
#include "pop3_conversation.hpp"

namespace {

const std::string kMsg1 = "Subject: one\r\n\r\nfirst line\r\nsecond line\r\n";    // 41
const std::string kMsg2 = "Subject: two\r\n\r\n.dotted\r\n.\r\n..\r\nend\r\n";  // 37

std::vector<std::string> two_messages() { return {kMsg1, kMsg2}; }

}  // namespace

// ------------------------------------------------------------ happy paths ----

TEST(textbook_session) {
  Conversation t(two_messages());
  t.script(R"(
    S: +OK localhost POP3 server ready
    C: USER bob
    S: +OK Send PASS
    C: PASS secret
    S: +OK Logged in, maildrop has 2 messages (78 octets)
    C: STAT
    S: +OK 2 78
    C: LIST
    S: +OK maildrop has 2 messages (78 octets)
    S: 1 41
    S: 2 37
    S: .
    C: RETR 1
    S: +OK 41 octets
    S: Subject: one
    S:
    S: first line
    S: second line
    S: .
    C: DELE 1
    S: +OK Message 1 deleted
    C: RETR 2
    S: +OK 37 octets
    S: Subject: two
    S:
    S: ..dotted
    S: ..
    S: ...
    S: end
    S: .
    C: DELE 2
    S: +OK Message 2 deleted
    C: QUIT
    S: +OK localhost POP3 server signing off (maildrop empty)
  )");
  t.no_more_replies();
  CHECK(t.s->closed());
  CHECK(t.outputs.back().close_after);
  CHECK_EQ(t.h.log.commits.size(), 1u);
  CHECK(t.h.log.commits.at(0) == (std::vector<std::size_t>{0, 1}));
  CHECK_EQ(kMsg1.size(), 41u);
  CHECK_EQ(kMsg2.size(), 37u);
}

TEST(capa) {
  Conversation t;
  t.script(R"(
    S: +OK localhost POP3 server ready
    C: CAPA
    S: +OK Capability list follows
    S: TOP
    S: UIDL
    S: USER
    S: SASL PLAIN
    S: RESP-CODES
    S: AUTH-RESP-CODE
    S: PIPELINING
    S: IMPLEMENTATION mailroom
    S: .
  )");
  Config c = test_config();
  c.user_pass = false;
  c.implementation.clear();
  c.expire = "NEVER";
  c.stls = true;
  Conversation u({}, c);
  u.script(R"(
    S: +OK localhost POP3 server ready
    C: capa
    S: +OK Capability list follows
    S: TOP
    S: UIDL
    S: SASL PLAIN
    S: RESP-CODES
    S: AUTH-RESP-CODE
    S: PIPELINING
    S: EXPIRE NEVER
    S: STLS
    S: .
  )");
}

TEST(quit_in_authorization_commits_nothing) {
  Conversation t;
  t.script(R"(
    S: +OK localhost POP3 server ready
    C: QUIT
    S: +OK localhost POP3 server signing off
  )");
  CHECK(t.s->closed());
  CHECK(t.h.log.commits.empty());
  t.C("USER bob");  // ignored once closed
  t.no_more_replies();
}

TEST(quit_without_deletions_commits_empty_list) {
  Conversation t({kMsg1});
  t.login();
  t.C("QUIT");
  t.S("+OK localhost POP3 server signing off (1 message left)");
  CHECK_EQ(t.h.log.commits.size(), 1u);
  CHECK(t.h.log.commits.at(0).empty());
  t.h.last.reset();
  CHECK_EQ(t.h.log.released, 1);  // the session let go of the maildrop at QUIT
}

TEST(pipelined_commands_answered_in_order) {
  Conversation t(two_messages());
  t.raw("USER bob\r\nPASS secret\r\nSTAT\r\nDELE 1\r\nSTAT\r\nNOOP\r\nQUIT\r\n");
  t.script(R"(
    S: +OK localhost POP3 server ready
    S: +OK Send PASS
    S: +OK Logged in, maildrop has 2 messages (78 octets)
    S: +OK 2 78
    S: +OK Message 1 deleted
    S: +OK 1 37
    S: +OK
    S: +OK localhost POP3 server signing off (1 message left)
  )");
  t.no_more_replies();
  CHECK(t.h.log.commits.at(0) == std::vector<std::size_t>{0});
}

// --------------------------------------------------------- state errors ----

TEST(transaction_commands_in_authorization) {
  Conversation t(two_messages());
  t.S("+OK localhost POP3 server ready");
  for (const char* c : {"STAT", "LIST", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 0", "UIDL"}) {
    t.C(c);
    t.S("-ERR Command not valid in AUTHORIZATION state");
  }
  CHECK(t.s->state() == State::Authorization);
}

TEST(authorization_commands_in_transaction) {
  Conversation t(two_messages());
  t.login();
  t.script(R"(
    C: USER bob
    S: -ERR Command not valid in TRANSACTION state
    C: PASS secret
    S: -ERR Command not valid in TRANSACTION state
    C: AUTH PLAIN
    S: -ERR Command not valid in TRANSACTION state
    C: XTND XMIT
    S: -ERR Unknown command
    C:
    S: -ERR Unknown command
  )");
  CHECK(t.s->state() == State::Transaction);
  CHECK_EQ(t.s->user(), std::string("bob"));
}

TEST(pass_needs_user) {
  Conversation t;
  t.script(R"(
    S: +OK localhost POP3 server ready
    C: PASS secret
    S: -ERR Send USER first
    C: USER
    S: -ERR Syntax: USER name
    C: USER bob
    S: +OK Send PASS
    C: PASS wrong
    S: -ERR [AUTH] Authentication failed
    C: PASS secret
    S: -ERR Send USER first
  )");
}

// ------------------------------------------------ TRANSACTION commands ----

TEST(list_and_uidl_single_and_multi) {
  Conversation t(two_messages());
  t.login();
  t.script(R"(
    C: LIST 2
    S: +OK 2 37
    C: UIDL
    S: +OK
    S: 1 uid1
    S: 2 uid2
    S: .
    C: UIDL 1
    S: +OK 1 uid1
    C: LIST 3
    S: -ERR No such message
    C: LIST 0
    S: -ERR No such message
    C: UIDL x
    S: -ERR Syntax: message number expected
    C: LIST 99999999999999999999999
    S: -ERR No such message
    C: DELE 1
    S: +OK Message 1 deleted
    C: LIST
    S: +OK maildrop has 1 message (37 octets)
    S: 2 37
    S: .
    C: UIDL
    S: +OK
    S: 2 uid2
    S: .
    C: LIST 1
    S: -ERR Message 1 already deleted
    C: UIDL 1
    S: -ERR Message 1 already deleted
    C: STAT
    S: +OK 1 37
    C: STAT 1
    S: -ERR Syntax: STAT
  )");
}

TEST(empty_maildrop) {
  Conversation t;
  t.script(R"(
    S: +OK localhost POP3 server ready
    C: USER bob
    S: +OK Send PASS
    C: PASS secret
    S: +OK Logged in, maildrop has 0 messages (0 octets)
    C: LIST
    S: +OK maildrop has 0 messages (0 octets)
    S: .
    C: UIDL
    S: +OK
    S: .
    C: RETR 1
    S: -ERR No such message
  )");
}

TEST(dele_and_rset) {
  Conversation t(two_messages());
  t.login();
  t.script(R"(
    C: DELE 1
    S: +OK Message 1 deleted
    C: DELE 1
    S: -ERR Message 1 already deleted
    C: RETR 1
    S: -ERR Message 1 already deleted
    C: TOP 1 0
    S: -ERR Message 1 already deleted
    C: DELE 2
    S: +OK Message 2 deleted
    C: STAT
    S: +OK 0 0
    C: RSET
    S: +OK maildrop has 2 messages (78 octets)
    C: STAT
    S: +OK 2 78
    C: RSET now
    S: -ERR Syntax: RSET
    C: DELE 2
    S: +OK Message 2 deleted
    C: QUIT
    S: +OK localhost POP3 server signing off (1 message left)
  )");
  CHECK(t.h.log.commits.at(0) == std::vector<std::size_t>{1});
}

TEST(dropped_connection_deletes_nothing) {
  Conversation t(two_messages());
  t.login();
  t.C("DELE 1");
  t.S("+OK Message 1 deleted");
  CHECK_EQ(t.s->deleted_count(), 1u);
  t.drop();
  CHECK(t.h.log.commits.empty());
  CHECK_EQ(t.h.log.opened, 1);
  CHECK_EQ(t.h.log.released, 1);
}

TEST(timeout_deletes_nothing) {
  Conversation t(two_messages());
  t.split_invariant = false;
  t.login();
  t.C("DELE 1");
  t.S("+OK Message 1 deleted");
  std::vector<Output> out;
  t.s->on_timeout(out);
  CHECK_EQ(out.size(), 1u);
  CHECK_EQ(out.at(0).bytes, std::string("-ERR Autologout; idle for too long\r\n"));
  CHECK(out.at(0).close_after);
  CHECK(t.s->closed());
  t.h.last.reset();
  CHECK(t.h.log.commits.empty());
  CHECK_EQ(t.h.log.released, 1);  // released at close, not at destruction
  out.clear();
  t.s->on_timeout(out);
  CHECK(out.empty());
}

TEST(commit_failure) {
  Conversation t(two_messages(), test_config(), true);
  t.login();
  t.script(R"(
    C: DELE 2
    S: +OK Message 2 deleted
    C: QUIT
    S: -ERR [SYS/TEMP] Some deleted messages not removed
  )");
  CHECK(t.s->closed());
  CHECK_EQ(t.h.log.commits.size(), 1u);
}

TEST(top) {
  Conversation t({kMsg1, kMsg2, "Subject: no body", "A: b\r\n\r\n"});
  t.login();
  t.script(R"(
    C: TOP 1 0
    S: +OK
    S: Subject: one
    S:
    S: .
    C: TOP 1 1
    S: +OK
    S: Subject: one
    S:
    S: first line
    S: .
    C: TOP 1 100
    S: +OK
    S: Subject: one
    S:
    S: first line
    S: second line
    S: .
    C: TOP 2 2
    S: +OK
    S: Subject: two
    S:
    S: ..dotted
    S: ..
    S: .
    C: TOP 3 5
    S: +OK
    S: Subject: no body
    S: .
    C: TOP 4 5
    S: +OK
    S: A: b
    S:
    S: .
    C: TOP 1
    S: -ERR Syntax: TOP message lines
    C: TOP 1 -1
    S: -ERR Syntax: TOP message lines
    C: TOP 9 1
    S: -ERR No such message
  )");
}

TEST(retr_repairs_line_ends) {
  Conversation t({"Subject: lf\n\n.a\nb", ""});
  t.login();
  t.script(R"(
    C: RETR 1
    S: +OK 17 octets
    S: Subject: lf
    S:
    S: ..a
    S: b
    S: .
    C: RETR 2
    S: +OK 0 octets
    S: .
  )");
}

TEST(retr_large_message_without_copy) {
  std::string big;
  big.reserve(1 << 20);
  while (big.size() < (std::size_t{1} << 20)) big += "Some text of a large message, no dots\r\n";
  std::string dotted = big;
  for (std::size_t p = 0; p < dotted.size(); p += 39 * 100) dotted[p] = '.';
  Conversation t({big, dotted});
  t.login();
  t.C("RETR 1");
  const Output& o = t.outputs.back();
  CHECK(o.body != nullptr);
  CHECK(o.body.get() == t.h.last->data[0].get());  // the maildrop's own string
  CHECK_EQ(o.bytes, "+OK " + std::to_string(big.size()) + " octets\r\n");
  CHECK_EQ(std::string(o.tail), std::string(".\r\n"));
  CHECK_EQ(o.size(), o.bytes.size() + big.size() + 3);
  t.C("RETR 2");
  const Output& d = t.outputs.back();
  CHECK(d.body == nullptr);
  const std::size_t dots = (dotted.size() + 3899) / 3900;
  const std::size_t head = ("+OK " + std::to_string(dotted.size()) + " octets\r\n").size();
  CHECK_EQ(d.bytes.size(), head + dotted.size() + dots + 3);
  CHECK(d.bytes.capacity() < d.bytes.size() + 64);  // one reserve, no regrowth
  t.split_invariant = false;  // 2 MiB byte-at-a-time replays are slow and add nothing
}

TEST(stuffing_helpers) {
  CHECK_EQ(stuffed_size(""), 0u);
  CHECK_EQ(stuffed_size("a\r\n"), 3u);
  CHECK_EQ(stuffed_size(".\r\n"), 4u);
  CHECK_EQ(stuffed_size("a\n"), 3u);
  CHECK_EQ(stuffed_size("a"), 3u);
  CHECK_EQ(stuffed_size("\n\n"), 4u);
  std::string s;
  append_stuffed(s, ".a\r\nb\n.\n\r\n.");
  CHECK_EQ(s, std::string("..a\r\nb\r\n..\r\n\r\n..\r\n"));
  CHECK_EQ(stuffed_size(".a\r\nb\n.\n\r\n."), s.size());
  CHECK_EQ(std::string(message_top("H: 1\r\n\r\nx\r\ny\r\n", 1)), std::string("H: 1\r\n\r\nx\r\n"));
  CHECK_EQ(std::string(message_top("H: 1\n\nx\ny", 5)), std::string("H: 1\n\nx\ny"));
  CHECK_EQ(std::string(message_top("\r\nbody\r\n", 0)), std::string("\r\n"));
}

TEST(unavailable_message) {
  Conversation t({kMsg1});
  t.login();
  t.h.last->data[0] = nullptr;
  t.split_invariant = false;
  t.script(R"(
    C: RETR 1
    S: -ERR [SYS/TEMP] Message unavailable
    C: TOP 1 1
    S: -ERR [SYS/TEMP] Message unavailable
  )");
}

// ------------------------------------------------------------ AUTH PLAIN ----

TEST(auth_plain_initial_response) {
  Conversation t({kMsg1});
  t.script(R"(
    S: +OK localhost POP3 server ready
    C: AUTH PLAIN AGJvYgBzZWNyZXQ=
    S: +OK Logged in, maildrop has 1 message (41 octets)
  )");
  CHECK_EQ(t.s->user(), std::string("bob"));
}

TEST(auth_plain_continuation) {
  Conversation t({kMsg1});
  t.script(R"(
    S: +OK localhost POP3 server ready
    C: AUTH plain
    S: + 
    C: Ym9iAGJvYgBzZWNyZXQ=
    S: +OK Logged in, maildrop has 1 message (41 octets)
  )");
  CHECK(t.s->state() == State::Transaction);
}

TEST(auth_plain_errors) {
  Conversation t;
  // "alice\0bob\0secret": bob may not act as alice.
  t.script(R"(
    S: +OK localhost POP3 server ready
    C: AUTH
    S: +OK
    S: PLAIN
    S: .
    C: AUTH CRAM-MD5
    S: -ERR Unsupported authentication mechanism
    C: AUTH PLAIN
    S: + 
    C: *
    S: -ERR Authentication cancelled
    C: AUTH PLAIN
    S: + 
    C: !!!notbase64
    S: -ERR Invalid base64 data
    C: AUTH PLAIN Ym9i
    S: -ERR Invalid PLAIN response
    C: AUTH PLAIN =
    S: -ERR Invalid PLAIN response
    C: AUTH PLAIN YWxpY2UAYm9iAHNlY3JldA==
    S: -ERR [AUTH] Authentication failed
  )");
  CHECK_EQ(t.s->auth_failures(), 1u);
  CHECK(t.s->state() == State::Authorization);
}

TEST(auth_response_line_limit) {
  Conversation t;
  t.S("+OK localhost POP3 server ready");
  t.C("AUTH PLAIN");
  t.S("+ ");
  t.C(std::string(1000, 'A'));  // longer than a command line, fine for AUTH
  t.S("-ERR Invalid PLAIN response");
  t.C("AUTH PLAIN");
  t.S("+ ");
  t.C(std::string(5000, 'A'));
  t.S("-ERR AUTH response too long");
  t.C("NOOP");  // back to commands
  t.S("-ERR Command not valid in AUTHORIZATION state");
}

// ------------------------------------------------------------------ APOP ----

TEST(apop_digest_rfc1939_example) {
  CHECK_EQ(apop_digest(kTimestamp, "tanstaaf"), std::string("c4c9334bac560ecc979e58001b3e22fb"));
  CHECK(apop_digest_matches("C4C9334BAC560ECC979E58001B3E22FB", kTimestamp, "tanstaaf"));
  CHECK(!apop_digest_matches("c4c9334bac560ecc979e58001b3e22fa", kTimestamp, "tanstaaf"));
  CHECK(!apop_digest_matches("", kTimestamp, "tanstaaf"));
}

TEST(apop_off_by_default) {
  Conversation t;
  t.script(R"(
    S: +OK localhost POP3 server ready
    C: APOP bob c4c9334bac560ecc979e58001b3e22fb
    S: -ERR APOP not available
  )");
}

TEST(apop_on) {
  Config c = test_config();
  c.apop = true;
  Conversation t({kMsg1}, c);
  t.script(R"(
    S: +OK localhost POP3 server ready <1896.697170952@dbc.mtview.ca.us>
    C: APOP bob c4c9334bac560ecc979e58001b3e22fa
    S: -ERR [AUTH] Authentication failed
    C: APOP bob short
    S: -ERR Syntax: APOP name digest
    C: APOP bob C4C9334BAC560ECC979E58001B3E22FB
    S: +OK Logged in, maildrop has 1 message (41 octets)
  )");
}

// ------------------------------------------------- handler answers, limits ----

TEST(response_codes_from_handler) {
  Conversation t;
  t.script(R"(
    S: +OK localhost POP3 server ready
    C: USER locked
    S: +OK Send PASS
    C: PASS x
    S: -ERR [IN-USE] Maildrop is locked by another session
    C: USER down
    S: +OK Send PASS
    C: PASS x
    S: -ERR [SYS/TEMP] Temporary failure, try again later
    C: USER disabled
    S: +OK Send PASS
    C: PASS x
    S: -ERR [SYS/PERM] Account disabled
    C: USER thrower
    S: +OK Send PASS
    C: PASS x
    S: -ERR [SYS/TEMP] Temporary failure, try again later
  )");
  CHECK_EQ(t.s->auth_failures(), 0u);
  CHECK(!t.s->closed());
}

struct InjectingHandler : Handler {
  AuthResult login(std::string_view, std::string_view) override {
    return {AuthResult::TempFail, nullptr, "busy\r\n+OK fake"};
  }
};

TEST(handler_text_cannot_inject) {
  Config c = test_config();
  InjectingHandler h;
  ServerSession s(c, h, "peer");
  s.greeting();
  std::vector<Output> out;
  s.feed("USER a\r\nPASS b\r\n", out);
  CHECK_EQ(out.at(1).bytes, std::string("-ERR [SYS/TEMP] busy  +OK fake\r\n"));
}

TEST(auth_failure_delay_and_close) {
  Config c;  // default delay
  CHECK_EQ(c.auth_failure_delay_ms, 500u);
  Conversation t({}, c);
  t.script(R"(
    S: +OK localhost POP3 server ready
    C: USER bob
    S: +OK Send PASS
    C: PASS a
    S: -ERR [AUTH] Authentication failed
    C: AUTH PLAIN AGJvYgBi
    S: -ERR [AUTH] Authentication failed
    C: USER bob
    S: +OK Send PASS
    C: PASS c
    S: -ERR [AUTH] Authentication failed; too many failures, closing connection
  )");
  t.no_more_replies();
  CHECK_EQ(t.outputs.at(2).delay_ms, 500u);
  CHECK(!t.outputs.at(2).ok);
  CHECK_EQ(t.outputs.at(1).delay_ms, 0u);
  CHECK(t.outputs.back().close_after);
  CHECK(t.s->closed());
}

TEST(overlong_lines) {
  Conversation t;
  t.S("+OK localhost POP3 server ready");
  t.C("USER " + std::string(248, 'a'));  // 255 octets with CRLF
  t.S("+OK Send PASS");
  t.C("USER " + std::string(249, 'a'));  // 256
  t.S("-ERR Line too long");
  t.raw("USER " + std::string(100000, 'b'));
  CHECK(t.s->buffered_bytes() == 0);
  t.raw("\r\nCAPA\r\n");
  t.S("-ERR Line too long");
  t.S("+OK Capability list follows");
  CHECK_EQ(t.s->error_count(), 2u);
}

TEST(line_ends) {
  Conversation t;
  t.raw("CAPA\nUSER bob\nPASS secret\n");
  t.S("+OK localhost POP3 server ready");
  t.S("+OK Capability list follows");
  for (int k = 0; k < 8; ++k) t.S("...");
  t.S(".");
  t.S("+OK Send PASS");
  t.S("+OK Logged in, ...");
  t.raw("NO\rOP\r\n");
  t.S("-ERR Bare CR in command line");
}

TEST(error_cap) {
  Config c = test_config();
  c.max_errors = 3;
  Conversation t({}, c);
  t.script(R"(
    S: +OK localhost POP3 server ready
    C: FOO
    S: -ERR Unknown command
    C: BAR
    S: -ERR Unknown command
    C: BAZ
    S: -ERR Unknown command
    S: -ERR Too many errors, closing connection
  )");
  t.C("QUIT");
  t.no_more_replies();
  CHECK(t.s->closed());
}

// ------------------------------------------------------------------ STLS ----

TEST(stls_drops_injected_commands) {
  Config c = test_config();
  c.stls = true;
  c.plaintext_auth = false;
  Conversation t({kMsg1}, c);
  t.split_invariant = false;
  t.script(R"(
    S: +OK localhost POP3 server ready
    C: USER bob
    S: -ERR [AUTH] Plaintext authentication disallowed on non-secure connections
  )");
  t.raw("STLS\r\nUSER bob\r\nPASS secret\r\n");  // the last two are injected
  t.S("+OK Begin TLS negotiation");
  t.no_more_replies();
  CHECK(t.outputs.back().start_tls);
  t.raw("CAPA\r\n");
  t.no_more_replies();  // still before the handshake
  t.s->tls_established();
  CHECK(t.s->tls_active());
  t.script(R"(
    C: STLS
    S: -ERR TLS already active
    C: USER bob
    S: +OK Send PASS
    C: PASS secret
    S: +OK Logged in, ...
  )");
  t.C("CAPA");
  const std::string capa = t.outputs.back().bytes;
  CHECK(capa.find("STLS") == std::string::npos);
}

TEST(logins_hidden_outside_tls) {
  // RFC 2595 §4: what is refused before TLS is not advertised there.
  Config c = test_config();
  c.stls = true;
  c.plaintext_auth = false;
  c.implementation.clear();
  Conversation t({kMsg1}, c);
  t.split_invariant = false;
  t.script(R"(
    S: +OK localhost POP3 server ready
    C: CAPA
    S: +OK Capability list follows
    S: TOP
    S: UIDL
    S: RESP-CODES
    S: AUTH-RESP-CODE
    S: PIPELINING
    S: STLS
    S: .
    C: AUTH PLAIN AGJvYgBzZWNyZXQ=
    S: -ERR [AUTH] Plaintext authentication disallowed on non-secure connections
  )");
  // Implicit TLS (POP3S): established before the greeting.
  Accounts h;
  Config i = test_config();
  i.stls = true;
  i.plaintext_auth = false;
  ServerSession s(i, h, "192.0.2.1:1", kTimestamp);
  s.tls_established();
  s.greeting();
  std::vector<Output> out;
  s.feed("CAPA\r\nSTLS\r\n", out);
  CHECK_EQ(out.size(), 2u);
  CHECK(out[0].bytes.find("USER\r\n") != std::string::npos);
  CHECK(out[0].bytes.find("STLS") == std::string::npos);
  CHECK(out[1].bytes.rfind("-ERR", 0) == 0);
}

TEST(stls_off) {
  Conversation t;
  t.script(R"(
    S: +OK localhost POP3 server ready
    C: STLS
    S: -ERR STLS not available
  )");
}

// ------------------------------------------------------------ transcript ----

TEST(transcript_masks_secrets) {
  Config c = test_config();
  c.max_transcript_bytes = 4096;
  Conversation t({kMsg1}, c);
  t.raw("USER bob\r\nPASS secret\r\nRETR 1\r\nQUIT\r\n");
  t.C("");
  const std::string want =
      "S: +OK localhost POP3 server ready\n"
      "C: USER bob\n"
      "S: +OK Send PASS\n"
      "C: PASS ****\n"
      "S: +OK Logged in, maildrop has 1 message (41 octets)\n"
      "C: RETR 1\n"
      "S: +OK 41 octets\n"
      "S: <message 1: 41 octets>\n"
      "S: .\n"
      "C: QUIT\n"
      "S: +OK localhost POP3 server signing off (1 message left)\n";
  CHECK_EQ(t.s->transcript(), want);

  Conversation a({}, c);
  a.raw("AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n");
  Conversation b({}, c);
  b.raw("AUTH PLAIN\r\nAGJvYgBzZWNyZXQ=\r\n");
  CHECK(a.s->transcript().find("C: AUTH PLAIN ****\n") != std::string::npos);
  CHECK(b.s->transcript().find("C: AUTH PLAIN\nS: + \nC: ****\n") != std::string::npos);
  CHECK(a.s->transcript().find("AGJv") == std::string::npos);
  CHECK(b.s->transcript().find("AGJv") == std::string::npos);

  c.max_transcript_bytes = 100;
  Conversation small({}, c);
  for (int k = 0; k < 10; ++k) small.C("CAPA");
  CHECK(small.s->transcript_truncated());
  CHECK(small.s->transcript().size() <= 100u);
  Conversation off;
  off.C("CAPA");
  CHECK(off.s->transcript().empty());
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
