// Byte-level tests of the POP3 client state machine: the server side is
// scripted ("S: ..." lines fed to the client, "C: ..." lines expected from it).
#include <stdexcept>

#include "conversation.hpp"
#include "mailroom/pop3/client_session.hpp"

namespace pop3 = mailroom::pop3;

namespace {

struct Pop3Script {
  pop3::ClientSession c;
  std::string written;
  std::size_t pos = 0;
  bool byte_at_a_time = false;

  // The textbook transcripts log in without TLS: allowed unless a test says not.
  explicit Pop3Script(pop3::ClientConfig cfg = {}, bool plaintext_auth = true) : c(std::move(cfg)) {
    c.set_allow_plaintext_auth(plaintext_auth);
  }

  void feed(std::string_view bytes) {
    if (byte_at_a_time)
      for (char ch : bytes) c.feed(std::string_view(&ch, 1));
    else
      c.feed(bytes);
  }
  void S(std::string_view line) { feed(std::string(line) + "\r\n"); }
  void C(std::string_view want) {
    written += c.take_output();
    const std::size_t e = written.find("\r\n", pos);
    if (e == std::string::npos) {
      ++g_failures;
      std::fprintf(stderr, "FAIL [%s] expected C: \"%s\" but nothing written\n", g_test,
                   show(want).c_str());
      return;
    }
    CHECK_EQ(written.substr(pos, e - pos), std::string(want));
    pos = e + 2;
  }
  void script(std::string_view text) { run_script(*this, text); }
  void nothing_written() {
    written += c.take_output();
    CHECK_EQ(written.substr(pos), std::string());
  }
  pop3::Response next() {
    auto r = c.next_response();
    CHECK(r.has_value());
    return r ? *r : pop3::Response{};
  }
};

}  // namespace

TEST(pop3_textbook_session) {
  Pop3Script t;
  t.c.user("bob");  // queued until the greeting
  t.nothing_written();
  t.script(R"(
    S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>
    C: USER bob
  )");
  CHECK(t.c.greeted());
  CHECK_EQ(t.c.apop_timestamp(), std::string("<1896.697170952@dbc.mtview.ca.us>"));
  const auto pass = t.c.pass("hungry dog");
  t.nothing_written();  // no PIPELINING: one command at a time
  const auto stat = t.c.stat();
  const auto list = t.c.list();
  const auto retr = t.c.retr(1);
  const auto dele = t.c.dele(1);
  t.c.quit();
  t.script(R"(
    S: +OK
    C: PASS hungry dog
    S: +OK maildrop has 2 messages (320 octets)
    C: STAT
    S: +OK 2 320
    C: LIST
    S: +OK 2 messages (320 octets)
    S: 1 120
    S: 2 200
    S: .
    C: RETR 1
    S: +OK 120 octets
    S: Subject: hi
    S:
    S: ..dotted
    S: ...
    S: . 
    S: .
    C: DELE 1
    S: +OK message 1 deleted
    C: QUIT
    S: +OK dewey POP3 server signing off (maildrop empty)
  )");
  CHECK(t.c.closed());
  CHECK(!t.c.failed());
  pop3::Response g = t.next();
  CHECK_EQ(g.id, std::uint64_t{0});
  CHECK(g.command == pop3::Command::Greeting);
  CHECK_EQ(t.next().command == pop3::Command::User, true);
  CHECK_EQ(t.next().id, pass);
  pop3::Response s = t.next();
  CHECK_EQ(s.id, stat);
  std::uint64_t n = 0, octets = 0;
  CHECK(pop3::parse_stat(s, n, octets));
  CHECK_EQ(n, std::uint64_t{2});
  CHECK_EQ(octets, std::uint64_t{320});
  pop3::Response l = t.next();
  CHECK_EQ(l.id, list);
  std::vector<std::pair<std::uint64_t, std::string>> entries;
  CHECK(pop3::parse_listing(l, entries));
  CHECK_EQ(entries.size(), 2u);
  CHECK_EQ(entries.at(1).second, std::string("200"));
  pop3::Response r = t.next();
  CHECK_EQ(r.id, retr);
  CHECK(r.multiline);
  CHECK_EQ(r.body, std::string("Subject: hi\r\n\r\n.dotted\r\n..\r\n \r\n"));
  CHECK_EQ(t.next().id, dele);
  CHECK(t.next().command == pop3::Command::Quit);
  CHECK(!t.c.has_response());
}

TEST(pop3_err_with_response_codes) {
  Pop3Script t;
  t.c.user("bob");
  t.c.pass("x");
  t.script(R"(
    S: +OK ready
    C: USER bob
    S: +OK
    C: PASS x
    S: -ERR [IN-USE] maildrop locked
  )");
  t.next();
  t.next();
  pop3::Response r = t.next();
  CHECK(!r.ok);
  CHECK_EQ(r.resp_code, std::string("IN-USE"));
  CHECK_EQ(r.text, std::string("maildrop locked"));
  CHECK_EQ(r.status_line, std::string("-ERR [IN-USE] maildrop locked"));
  t.c.auth_plain("bob", "secret");
  t.script("C: AUTH PLAIN AGJvYgBzZWNyZXQ=\nS: -ERR [SYS/TEMP] try later");
  CHECK_EQ(t.next().resp_code, std::string("SYS/TEMP"));
  t.c.auth_plain("bob", "secret", "admin");
  t.script("C: AUTH PLAIN YWRtaW4AYm9iAHNlY3JldA==\nS: + \nC: *\nS: -ERR [AUTH] cancelled");
  CHECK_EQ(t.next().resp_code, std::string("AUTH"));
  // RETR refused: single line, no body expected.
  t.c.retr(9);
  t.script("C: RETR 9\nS: -ERR no such message\n");
  pop3::Response e = t.next();
  CHECK(!e.ok && !e.multiline);
  t.c.noop();
  t.script("C: NOOP\nS: +OK");
  CHECK(!t.c.failed());
}

TEST(pop3_capa_pipelining_fetch_all) {
  Pop3Script t;
  t.c.capa();
  t.script(R"(
    S: +OK ready
    C: CAPA
    S: +OK Capability list follows
    S: TOP
    S: USER
    S: SASL PLAIN
    S: RESP-CODES
    S: PIPELINING
    S: UIDL
    S: .
  )");
  CHECK(t.c.pipelining());
  CHECK(t.c.sasl_plain_offered());
  CHECK_EQ(t.c.capabilities().size(), 6u);
  CHECK_EQ(t.c.capabilities().at(2), std::string("SASL PLAIN"));
  t.next();
  t.next();
  t.c.user("bob");
  t.c.pass("pw");
  for (int i = 1; i <= 3; ++i) t.c.retr(static_cast<std::uint64_t>(i));
  t.c.uidl();
  t.c.top(2, 0);
  // All in one write.
  CHECK_EQ(t.c.take_output(), std::string("USER bob\r\nPASS pw\r\nRETR 1\r\nRETR 2\r\nRETR 3\r\n"
                                          "UIDL\r\nTOP 2 0\r\n"));
  CHECK_EQ(t.c.in_flight(), 7u);
  t.feed("+OK\r\n+OK\r\n+OK\r\none\r\n.\r\n+OK\r\n.\r\n-ERR [SYS/PERM] gone\r\n"
         "+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n+OK\r\nSubject: 2\r\n\r\n.\r\n");
  CHECK_EQ(t.c.in_flight(), 0u);
  t.next();
  t.next();
  CHECK_EQ(t.next().body, std::string("one\r\n"));
  CHECK_EQ(t.next().body, std::string());
  CHECK_EQ(t.next().resp_code, std::string("SYS/PERM"));
  std::vector<std::pair<std::uint64_t, std::string>> uids;
  CHECK(pop3::parse_listing(t.next(), uids));
  CHECK_EQ(uids.at(1).second, std::string("QhdPYR:00WBw1Ph7x7"));
  CHECK_EQ(t.next().body, std::string("Subject: 2\r\n\r\n"));
}

TEST(pop3_listing_skips_empty_lines_and_reads_first_words) {
  pop3::Response r;
  r.ok = true;
  r.body = "1 120 extra\r\n\r\n2 7\n  \r\n";
  std::vector<std::pair<std::uint64_t, std::string>> rows;
  CHECK(pop3::parse_listing(r, rows));
  CHECK_EQ(rows.size(), 2u);
  CHECK_EQ(rows.at(0).second, std::string("120"));
  CHECK_EQ(rows.at(1).first, 2u);
  rows.clear();
  r.body = "1 120\r\nnot a number\r\n";
  CHECK(!pop3::parse_listing(r, rows));
}

TEST(pop3_sasl_plain_offered_reads_the_mechanism_words) {
  Pop3Script t;
  t.c.capa();
  t.script(R"(
    S: +OK ready
    C: CAPA
    S: +OK
    S: SASL CRAM-MD5 XPLAINX
    S: SASLPLAIN
    S: .
  )");
  t.next();
  t.next();
  CHECK(!t.c.sasl_plain_offered());
}

TEST(pop3_apop_rfc1939_example) {
  Pop3Script t;
  t.S("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>");
  t.c.apop("mrose", "tanstaaf");
  t.C("APOP mrose c4c9334bac560ecc979e58001b3e22fb");
  Pop3Script no_ts;
  no_ts.S("+OK ready");
  bool logic = false;
  try {
    no_ts.c.apop("mrose", "x");
  } catch (const std::logic_error&) {
    logic = true;
  }
  CHECK(logic);
}

TEST(pop3_rejects_injection) {
  Pop3Script t;
  t.S("+OK ready");
  const auto throws = [](auto f) {
    try {
      f();
    } catch (const std::invalid_argument&) {
      return true;
    }
    return false;
  };
  CHECK(throws([&] { t.c.user("bob\r\nDELE 1"); }));
  CHECK(throws([&] { t.c.user("bob smith"); }));
  CHECK(throws([&] { t.c.pass("x\nDELE 1"); }));
  CHECK(throws([&] { t.c.auth_plain(bytes("a\0b"), "x"); }));
  CHECK(throws([&] { t.c.auth_plain("a", "x\r"); }));
  t.nothing_written();
  CHECK_EQ(t.c.in_flight(), 0u);
}

TEST(pop3_multiline_any_split_and_large) {
  // A 1 MiB message with dot lines, fed whole, byte by byte and in odd pieces.
  std::string msg;
  for (int i = 0; msg.size() < (std::size_t{1} << 20); ++i)
    msg += (i % 4 == 0) ? ".starts with a dot\r\n" : (i % 7 == 0 ? ".\r\n" : "x\rline\r\n");
  std::string stuffed = "+OK\r\n+OK " + std::to_string(msg.size()) + "\r\n";
  std::string_view m = msg;
  while (!m.empty()) {
    const std::size_t e = m.find("\r\n") + 2;
    if (m[0] == '.') stuffed.push_back('.');
    stuffed.append(m.substr(0, e));
    m.remove_prefix(e);
  }
  stuffed += ".\r\n+OK bye\r\n";
  for (std::size_t piece : {stuffed.size(), std::size_t{1}, std::size_t{7}, std::size_t{4093}}) {
    pop3::ClientSession c;
    c.retr(1);
    c.quit();
    for (std::size_t i = 0; i < stuffed.size(); i += piece)
      c.feed(std::string_view(stuffed).substr(i, piece));
    CHECK(c.closed());
    CHECK(!c.failed());
    c.next_response();
    auto r = c.next_response();
    CHECK(r && r->body == msg);
  }
}

TEST(pop3_protocol_errors_and_limits) {
  for (const char* bad : {"OK ready\r\n", "+OKready\r\n", "-ERRx\r\n", "\r\n"}) {
    pop3::ClientSession c;
    c.feed(bad);
    CHECK(c.failed());
    CHECK(c.error() == pop3::ClientError::Protocol);
    CHECK(c.closed());
  }
  pop3::ClientSession unsolicited;
  unsolicited.feed("+OK ready\r\n+OK what\r\n");
  CHECK(unsolicited.error() == pop3::ClientError::Protocol);
  pop3::ClientSession refused;
  refused.user("x");
  refused.feed("-ERR [SYS/TEMP] busy\r\n");
  CHECK(refused.closed());
  CHECK(refused.error() == pop3::ClientError::Refused);
  CHECK(refused.take_output().empty());
  pop3::ClientConfig cfg;
  cfg.max_body_bytes = 10;
  cfg.max_line = 20;
  pop3::ClientSession big(cfg);
  big.retr(1);
  big.feed("+OK\r\n+OK\r\n0123456789abcdef\r\n");
  CHECK(big.error() == pop3::ClientError::Protocol);
  CHECK(big.buffered_bytes() <= 30);
  pop3::ClientSession longline(cfg);
  longline.feed("+OK " + std::string(40, 'x'));
  CHECK(longline.error() == pop3::ClientError::Protocol);
}

TEST(pop3_timeouts_eof_transcript) {
  pop3::ClientConfig cfg;
  cfg.max_transcript_bytes = 1000;
  Pop3Script t(cfg);
  CHECK(t.c.current_timeout() == std::chrono::seconds(60));
  t.S("+OK ready");
  CHECK(t.c.current_timeout() == std::chrono::milliseconds(0));
  t.c.user("bob");
  t.c.pass("topsecret");
  CHECK(t.c.current_timeout() == std::chrono::minutes(2));
  t.script("C: USER bob\nS: +OK\nC: PASS topsecret\nS: +OK");
  t.c.retr(1);
  t.script("C: RETR 1\nS: +OK\nS: body");
  t.c.on_eof();
  CHECK(t.c.error() == pop3::ClientError::ConnectionLost);
  CHECK(t.c.transcript().find("topsecret") == std::string::npos);
  CHECK(t.c.transcript().find("C: PASS <hidden>\n") != std::string::npos);
  Pop3Script q;
  q.S("+OK ready");
  q.c.quit();
  q.C("QUIT");
  q.c.on_eof();
  CHECK(q.c.closed());
  CHECK(!q.c.failed());
  Pop3Script to;
  to.c.on_timeout();
  CHECK(to.c.error() == pop3::ClientError::Timeout);
}

// ----------------------------------------------------------------- STLS ----

TEST(pop3_stls_drops_what_follows_the_ok) {
  Pop3Script t({}, false);
  t.c.capa();
  t.script(R"(
    S: +OK POP3 ready
    C: CAPA
    S: +OK
    S: STLS
    S: USER
    S: PIPELINING
    S: .
  )");
  CHECK(t.c.pipelining());
  const auto stls = t.c.stls();
  const auto capa = t.c.capa();  // RFC 2595 §4: never pipelined behind STLS
  t.C("STLS");
  t.nothing_written();
  // The +OK and an injected response in one read: only the +OK counts.
  t.feed("+OK Begin TLS\r\n+OK injected\r\n");
  CHECK(t.c.tls_handshake_due());
  CHECK_EQ(t.c.dropped_before_tls(), std::size_t{14});
  CHECK(t.c.current_timeout() == std::chrono::milliseconds(0));
  t.S("+OK more injected");
  CHECK_EQ(t.c.dropped_before_tls(), std::size_t{33});
  t.nothing_written();  // the CAPA waits for the handshake
  CHECK_EQ(t.next().id, std::uint64_t{0});
  CHECK_EQ(t.next().id, std::uint64_t{1});
  pop3::Response r = t.next();
  CHECK(r.id == stls && r.ok && r.command == pop3::Command::Stls);
  CHECK(!t.c.has_response());
  t.c.tls_established("TLSv1.3");
  CHECK(t.c.tls_active() && !t.c.tls_handshake_due());
  CHECK(t.c.capabilities().empty() && !t.c.pipelining());  // forgotten
  t.script(R"(
    C: CAPA
    S: +OK
    S: USER
    S: .
  )");
  CHECK(t.next().id == capa);
  CHECK_EQ(t.c.capabilities().size(), std::size_t{1});
  t.c.user("bob");
  t.c.pass("secret");  // inside TLS now
  t.script(R"(
    C: USER bob
    S: +OK
    C: PASS secret
    S: +OK maildrop ready
  )");
  CHECK(!t.c.failed());
}

TEST(pop3_stls_byte_at_a_time) {
  Pop3Script t({}, false);
  t.byte_at_a_time = true;
  t.S("+OK ready");
  t.c.stls();
  t.C("STLS");
  t.feed("+OK go\r\n-ERR injected\r\n");
  CHECK(t.c.tls_handshake_due());
  CHECK_EQ(t.c.dropped_before_tls(), std::size_t{15});
  CHECK(!t.c.failed());
}

TEST(pop3_no_password_outside_tls) {
  Pop3Script t({}, false);
  t.S("+OK ready");
  CHECK(!t.c.credentials_allowed());
  t.c.user("bob");  // the name alone is no secret
  bool refused = false;
  try {
    t.c.pass("secret");
  } catch (const pop3::PlaintextAuthRefused&) {
    refused = true;
  }
  CHECK(refused);
  refused = false;
  try {
    t.c.auth_plain("bob", "secret");
  } catch (const pop3::PlaintextAuthRefused&) {
    refused = true;
  }
  CHECK(refused);
  t.C("USER bob");
  t.S("+OK");
  t.nothing_written();  // neither PASS nor AUTH went out
  t.c.set_allow_plaintext_auth(true);
  t.c.pass("secret");
  t.C("PASS secret");
  // Implicit TLS: established before the greeting.
  pop3::ClientSession pop3s;
  pop3s.tls_established();
  CHECK(pop3s.credentials_allowed());
  pop3s.feed("+OK ready\r\n");
  pop3s.auth_plain("tim", "tanstaaftanstaaf");
  CHECK_EQ(pop3s.take_output(), std::string("AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"));
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
