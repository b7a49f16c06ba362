// Byte-level tests of the SMTP client's STARTTLS (RFC 3207) and AUTH
// (RFC 4954): scripted servers ("S: ..." fed to the client, "C: ..." expected
// from it) and the client against smtp::ServerSession in memory.
#include "smtp_client_script.hpp"

namespace {

ClientConfig starttls_config() {
  ClientConfig c;
  c.starttls = true;
  c.max_transcript_bytes = 4096;
  return c;
}

// RFC 2195's example account.
ClientConfig tim(std::string mechanism = {}) {
  ClientConfig c;
  c.auth_user = "tim";
  c.auth_password = "tanstaaftanstaaf";
  c.auth_mechanism = std::move(mechanism);
  c.max_transcript_bytes = 4096;
  return c;
}

// A client that did implicit TLS (RFC 8314): TLS before the greeting.
struct TlsScript : ServerScript {
  explicit TlsScript(ClientConfig cfg) : ServerScript(std::move(cfg)) { c.tls_established(); }
};

const char* kAuthEhlo = R"(
  S: 220 mx.example ESMTP
  C: EHLO localhost
  S: 250-mx.example
  S: 250-ENHANCEDSTATUSCODES
  S: 250 AUTH LOGIN PLAIN CRAM-MD5
)";

}  // namespace

// ------------------------------------------------------------- STARTTLS ----

TEST(opportunistic_starttls_when_offered_plain_when_not_or_refused) {
  ClientConfig may;
  may.starttls_if_offered = true;
  {
    ServerScript t(may);  // offered: used
    t.script(R"(
      S: 220 mx.example ESMTP
      C: EHLO localhost
      S: 250-mx.example
      S: 250 STARTTLS
      C: STARTTLS
      S: 220 Go ahead
    )");
    CHECK(t.c.tls_handshake_due());
  }
  {
    ServerScript t(may);  // not offered: plain text, no error
    t.script(R"(
      S: 220 mx.example ESMTP
      C: EHLO localhost
      S: 250 mx.example
    )");
    CHECK(t.c.ready() && !t.c.failed() && !t.c.tls_active());
  }
  {
    ServerScript t(may);  // offered, then refused (RFC 3207 §4: the client decides)
    t.script(R"(
      S: 220 mx.example ESMTP
      C: EHLO localhost
      S: 250-mx.example
      S: 250 STARTTLS
      C: STARTTLS
      S: 454 4.7.0 TLS not available due to temporary reason
    )");
    CHECK(t.c.ready() && !t.c.failed() && !t.c.tls_active());
  }
}


TEST(starttls_transcript_and_injection_dropped) {
  for (bool byte_at_a_time : {false, true}) {
    ServerScript t(starttls_config());
    t.byte_at_a_time = byte_at_a_time;
    t.script(R"(
      S: 220 mx.example ESMTP
      C: EHLO localhost
      S: 250-mx.example
      S: 250-PIPELINING
      S: 250 STARTTLS
      C: STARTTLS
    )");
    CHECK(t.c.state() == ClientState::StartTls);
    CHECK(!t.c.tls_handshake_due());
    // The 220 and a reply injected behind it, in one read (RFC 3207 §4.2).
    t.S("220 2.0.0 Ready to start TLS\r\n250 fake");
    CHECK(t.c.tls_handshake_due());
    CHECK_EQ(t.c.dropped_before_tls(), std::size_t{10});
    CHECK(t.c.current_timeout() == std::chrono::milliseconds(0));
    CHECK(!t.c.ready());
    t.nothing_written();
    t.S("250 more");
    CHECK_EQ(t.c.dropped_before_tls(), std::size_t{20});
    t.c.tls_established("TLSv1.3 TLS_AES_128_GCM_SHA256");
    CHECK(t.c.tls_active());
    CHECK(!t.c.extensions().pipelining);  // forgotten until the new EHLO reply
    t.script(R"(
      C: EHLO localhost
      S: 250-mx.example
      S: 250 SIZE 500
    )");
    CHECK(t.c.ready());
    CHECK(!t.c.extensions().starttls);
    CHECK_EQ(t.c.extensions().size_limit, std::uint64_t{500});
    CHECK(t.c.transcript().find("S: 250 fake") == std::string::npos);
    CHECK(t.c.transcript().find("-- <TLS established: TLSv1.3 TLS_AES_128_GCM_SHA256>") !=
          std::string::npos);
  }
}

TEST(starttls_not_offered_fails) {
  ServerScript t(starttls_config());
  t.script(R"(
    S: 220 mx.example ESMTP
    C: EHLO localhost
    S: 250-mx.example
    S: 250 PIPELINING
    C: QUIT
    S: 221 bye
  )");
  CHECK(t.c.closed());
  CHECK(t.c.error() == ClientError::Tls);
  CHECK_EQ(t.c.error_text(), std::string("server does not offer STARTTLS"));
  CHECK_EQ(t.c.error_reply().code, 0);
  // HELO only: no extensions, so no STARTTLS either.
  ServerScript h(starttls_config());
  h.script(R"(
    S: 220 old.example
    C: EHLO localhost
    S: 502 what?
    C: HELO localhost
    S: 250 old.example
    C: QUIT
  )");
  CHECK(h.c.error() == ClientError::Tls);
}

TEST(starttls_refused_fails_with_the_reply) {
  ServerScript t(starttls_config());
  t.script(R"(
    S: 220 mx.example ESMTP
    C: EHLO localhost
    S: 250-mx.example
    S: 250 STARTTLS
    C: STARTTLS
    S: 454 TLS not available due to temporary reason
    C: QUIT
    S: 221 bye
  )");
  CHECK(t.c.error() == ClientError::Tls);
  CHECK_EQ(t.c.error_reply().code, 454);
  CHECK(!t.c.tls_handshake_due());
}

TEST(starttls_then_auth_inside_tls) {
  ClientConfig cfg = tim("PLAIN");
  cfg.starttls = true;
  ServerScript t(cfg);
  t.script(R"(
    S: 220 mx.example ESMTP
    C: EHLO localhost
    S: 250-mx.example
    S: 250 STARTTLS
    C: STARTTLS
    S: 220 go ahead
  )");
  t.c.tls_established();
  t.script(R"(
    C: EHLO localhost
    S: 250-mx.example
    S: 250 AUTH PLAIN
    C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm
    S: 235 2.7.0 Authentication successful
  )");
  CHECK(t.c.ready());
  CHECK(t.c.authenticated());
}

// ----------------------------------------------------------------- AUTH ----

TEST(auth_plain_initial_response) {
  TlsScript t(tim("plain"));
  t.script(kAuthEhlo);
  t.script(R"(
    C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm
    S: 235 2.7.0 Authentication successful
  )");
  CHECK(t.c.ready());
  CHECK(t.c.authenticated());
  CHECK_EQ(t.c.auth_mechanism(), std::string("PLAIN"));
  CHECK(t.c.transcript().find("C: AUTH PLAIN <hidden>") != std::string::npos);
  CHECK(t.c.transcript().find("AHRpbQB0") == std::string::npos);
}

TEST(auth_login_exchange) {
  TlsScript t(tim("LOGIN"));
  t.script(kAuthEhlo);
  t.script(R"(
    C: AUTH LOGIN
    S: 334 VXNlcm5hbWU6
    C: dGlt
    S: 334 UGFzc3dvcmQ6
    C: dGFuc3RhYWZ0YW5zdGFhZg==
    S: 235 2.7.0 Authentication successful
  )");
  CHECK(t.c.ready());
  CHECK_EQ(t.c.auth_mechanism(), std::string("LOGIN"));
  CHECK(t.c.transcript().find("dGFuc3RhYWZ0YW5zdGFhZg") == std::string::npos);
}

TEST(auth_cram_md5_rfc2195_example_and_strongest_chosen) {
  TlsScript t(tim());  // no mechanism named: CRAM-MD5 > PLAIN > LOGIN
  t.script(kAuthEhlo);
  // RFC 2195 §2: challenge <1896.697170952@postoffice.reston.mci.net>,
  // answer "tim b913a602c7eda7a495b4e6e7334d3890".
  t.script(R"(
    C: AUTH CRAM-MD5
    S: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+
    C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw
    S: 235 2.7.0 Authentication successful
  )");
  CHECK(t.c.ready());
  CHECK_EQ(t.c.auth_mechanism(), std::string("CRAM-MD5"));
  TlsScript p(tim());
  p.script(R"(
    S: 220 mx.example ESMTP
    C: EHLO localhost
    S: 250-mx.example
    S: 250 AUTH LOGIN PLAIN
    C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm
  )");
}

TEST(auth_refused_without_tls) {
  ServerScript t(tim());
  t.script(kAuthEhlo);
  t.script(R"(
    C: QUIT
    S: 221 bye
  )");
  CHECK(t.c.closed());
  CHECK(t.c.error() == ClientError::Auth);
  CHECK(t.c.error_text().find("without TLS") != std::string::npos);
  CHECK(t.written.find("AUTH") == std::string::npos);
  // Allowed in so many words (the transport's choice for a peer on this host).
  ServerScript allowed(tim("LOGIN"));
  allowed.c.set_allow_plaintext_auth(true);
  allowed.script(kAuthEhlo);
  allowed.C("AUTH LOGIN");
}

TEST(auth_535_ends_the_session_with_the_reply) {
  TlsScript t(tim("PLAIN"));
  t.script(kAuthEhlo);
  t.script(R"(
    C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm
    S: 535 5.7.8 Authentication credentials invalid
    C: QUIT
    S: 221 2.0.0 bye
  )");
  CHECK(t.c.closed());
  CHECK(t.c.error() == ClientError::Auth);
  CHECK_EQ(t.c.error_reply().code, 535);
  CHECK_EQ(t.c.error_reply().enhanced, std::string("5.7.8"));
  CHECK(!t.c.authenticated());
  for (const char* reply : {"534 5.7.9 Authentication mechanism is too weak",
                            "538 5.7.11 Encryption required for requested authentication mechanism",
                            "530 5.7.0 Authentication required"}) {
    TlsScript u(tim("PLAIN"));
    u.script(kAuthEhlo);
    u.C("AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
    u.S(reply);
    u.C("QUIT");
    CHECK(u.c.error() == ClientError::Auth);
    CHECK_EQ(u.c.error_reply().code, (reply[0] - '0') * 100 + (reply[1] - '0') * 10 + (reply[2] - '0'));
  }
}

TEST(auth_unavailable_mechanisms) {
  TlsScript none(tim());
  none.script(R"(
    S: 220 mx.example ESMTP
    C: EHLO localhost
    S: 250 mx.example
    C: QUIT
  )");
  CHECK(none.c.error() == ClientError::Auth);
  CHECK_EQ(none.c.error_text(), std::string("server does not offer AUTH"));
  TlsScript named(tim("CRAM-MD5"));
  named.script(R"(
    S: 220 mx.example ESMTP
    C: EHLO localhost
    S: 250-mx.example
    S: 250 AUTH PLAIN XOAUTH2
    C: QUIT
  )");
  CHECK(named.c.error_text().find("does not offer AUTH CRAM-MD5") != std::string::npos);
  TlsScript unknown(tim());
  unknown.script(R"(
    S: 220 mx.example ESMTP
    C: EHLO localhost
    S: 250-mx.example
    S: 250 AUTH XOAUTH2 GSSAPI
    C: QUIT
  )");
  CHECK(unknown.c.error() == ClientError::Auth);
  bool threw = false;
  try {
    ClientSession bad(tim("DIGEST-MD5"));
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
}

TEST(auth_unexpected_challenge_is_cancelled) {
  TlsScript t(tim("PLAIN"));
  t.script(kAuthEhlo);
  t.script(R"(
    C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm
    S: 334
    C: *
    S: 501 5.7.0 Authentication cancelled
    C: QUIT
  )");
  CHECK(t.c.error() == ClientError::Auth);
  CHECK_EQ(t.c.error_reply().code, 501);
  TlsScript bad(tim("CRAM-MD5"));  // a challenge that is not base64
  bad.script(kAuthEhlo);
  bad.script(R"(
    C: AUTH CRAM-MD5
    S: 334 !!!not base64!!!
    C: *
  )");
}

// ------------------------------------------------- against ServerSession ----

namespace {

// Pumps both ways; at STARTTLS's 220 both sides "do the handshake".
void pump_with_tls(Link& l) {
  for (int i = 0; i < 10; ++i) {
    l.pump();
    if (!l.client.tls_handshake_due()) return;
    l.server.tls_established();
    l.client.tls_established();
  }
}

Config tls_auth_server() {
  Config s;
  s.starttls = true;
  s.auth = true;
  s.auth_cram_md5 = true;
  s.plaintext_auth = false;  // AUTH only inside TLS
  s.auth_failure_delay_ms = 0;
  return s;
}

}  // namespace

TEST(end_to_end_starttls_and_each_mechanism) {
  for (const char* mech : {"", "PLAIN", "LOGIN", "CRAM-MD5"}) {
    ClientConfig c = tim(mech);
    c.starttls = true;
    Link l(tls_auth_server(), c);
    pump_with_tls(l);
    CHECK(l.client.ready());
    CHECK(l.client.tls_active());
    CHECK(l.client.authenticated());
    CHECK_EQ(l.client.auth_mechanism(), std::string(*mech ? mech : "CRAM-MD5"));
    l.client.begin_message("tim@example.com", {"b@example.com"}, "Subject: x\r\n\r\nhi\r\n");
    l.pump();
    CHECK(l.client.result().ok);
    CHECK_EQ(l.h.messages.size(), std::size_t{1});
  }
}

TEST(end_to_end_wrong_password) {
  ClientConfig c = tim("LOGIN");
  c.auth_password = "wrong";
  c.starttls = true;
  Link l(tls_auth_server(), c);
  pump_with_tls(l);
  CHECK(l.client.error() == ClientError::Auth);
  CHECK_EQ(l.client.error_reply().code, 535);
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
