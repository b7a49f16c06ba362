// The DSN extension (RFC 3461) in the SMTP state machines: RET, ENVID,
// NOTIFY and ORCPT on the server (transcripts, the RFC's replies for bad
// input) and on the client (what goes on the wire, and the rule when the
// server does not offer DSN), plus xtext.
#include <stdexcept>

#include "mailroom/smtp/dsn_parameters.hpp"
#include "smtp_client_script.hpp"

namespace {

const char* kDsnEhlo = R"(
  S: 220 mx.example ESMTP
  C: EHLO localhost
  S: 250-mx.example
  S: 250-PIPELINING
  S: 250-ENHANCEDSTATUSCODES
  S: 250 DSN
)";

const char* kNoDsnEhlo = R"(
  S: 220 mx.example ESMTP
  C: EHLO localhost
  S: 250-mx.example
  S: 250-PIPELINING
  S: 250 ENHANCEDSTATUSCODES
)";

MessageOptions hdrs_success_delay(std::size_t rcpts) {
  MessageOptions o;
  o.transfer = Transfer::Data;
  o.dsn.ret = "HDRS";
  o.dsn.envid = "QQ314159+x=y";
  o.dsn.has_envid = true;
  RecipientDsn r;
  r.notify = kNotifySuccess | kNotifyDelay;
  r.orcpt_type = "rfc822";
  r.orcpt = "Bob@Example.ORG";
  o.rcpt_dsn.assign(rcpts, r);
  return o;
}

}  // namespace

// ---------------------------------------------------------------- xtext ----

TEST(xtext_round_trip) {
  std::string out;
  CHECK(xtext_decode("a+2Bb+3Dc", out));
  CHECK_EQ(out, std::string("a+b=c"));
  CHECK_EQ(xtext_encode("a+b=c d\xc3\xa9"), std::string("a+2Bb+3Dc+20d+C3+A9"));
  CHECK(!xtext_decode("a+2b", out));   // lower-case hex is not xtext
  CHECK(!xtext_decode("a+2", out));    // cut short
  CHECK(!xtext_decode("a=b", out));    // "=" must be encoded
  CHECK(!xtext_decode("a b", out));    // so must a space
  CHECK(xtext_decode("", out) && out.empty());
}

TEST(notify_values) {
  unsigned n = 0;
  CHECK(parse_notify("NEVER", n) && n == kNotifyNever);
  CHECK(parse_notify("success,Delay", n) && n == (kNotifySuccess | kNotifyDelay));
  CHECK_EQ(notify_text(n), std::string("SUCCESS,DELAY"));
  CHECK(!parse_notify("NEVER,SUCCESS", n));
  CHECK(!parse_notify("SUCCESS,SUCCESS", n));
  CHECK(!parse_notify("SUCCESS,", n));
  CHECK(!parse_notify("", n));
  CHECK(!parse_notify("SOMETIMES", n));
  CHECK(wants_report(0, ReportAction::Failed) && wants_report(0, ReportAction::Delayed));
  CHECK(!wants_report(0, ReportAction::Delivered));
  CHECK(!wants_report(kNotifyNever, ReportAction::Failed));
  CHECK(!wants_report(kNotifySuccess, ReportAction::Failed));
  CHECK(wants_report(kNotifySuccess, ReportAction::Relayed));
}

// --------------------------------------------------------------- server ----

TEST(server_dsn_transcript) {
  Conversation t;
  ehlo(t);
  t.script(R"(
    C: MAIL FROM:<alice@crepes.fr> RET=HDRS ENVID=QQ314159+2Bx
    S: 250 2.1.0 Ok
    C: RCPT TO:<bob@hamburger.edu> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;Bob+40Hamburger.EDU
    S: 250 2.1.5 Ok
    C: RCPT TO:<carol@hamburger.edu> NOTIFY=NEVER
    S: 250 2.1.5 Ok
    C: RCPT TO:<dave@hamburger.edu>
    S: 250 2.1.5 Ok
    C: DATA
    S: 354 ...
    C: Subject: ketchup
    C:
    C: How about pickles?
    C: .
    S: 250 2.0.0 Ok: queued
  )");
  CHECK_EQ(t.h.messages.size(), 1u);
  if (t.h.messages.empty()) return;
  const Envelope& env = t.h.messages[0].env;
  CHECK_EQ(env.dsn.ret, std::string("HDRS"));
  CHECK(env.dsn.has_envid);
  CHECK_EQ(env.dsn.envid, std::string("QQ314159+x"));
  CHECK_EQ(env.rcpt_dsn.size(), 3u);
  if (env.rcpt_dsn.size() != 3) return;
  CHECK_EQ(env.rcpt_dsn[0].notify, unsigned(kNotifySuccess | kNotifyDelay));
  CHECK_EQ(env.rcpt_dsn[0].orcpt_type, std::string("rfc822"));
  CHECK_EQ(env.rcpt_dsn[0].orcpt, std::string("Bob@Hamburger.EDU"));
  CHECK_EQ(env.rcpt_dsn[1].notify, unsigned(kNotifyNever));
  CHECK(env.rcpt_dsn[2].empty());
}

TEST(server_dsn_bad_input) {
  Config c;
  c.max_errors = 0;
  Conversation t(c);
  ehlo(t);
  const std::string envid101(101, 'e');
  t.script(R"(
    C: MAIL FROM:<a@b.example> RET=FULL RET=HDRS
    S: 501 5.5.4 Error: bad RET parameter
    C: MAIL FROM:<a@b.example> RET=EVERYTHING
    S: 501 5.5.4 Error: bad RET parameter
    C: MAIL FROM:<a@b.example> RET
    S: 501 5.5.4 Error: bad RET parameter
    C: MAIL FROM:<a@b.example> ENVID=a+2g
    S: 501 5.5.4 Error: bad ENVID parameter
    C: MAIL FROM:<a@b.example> ENVID=x ENVID=y
    S: 501 5.5.4 Error: bad ENVID parameter
    C: MAIL FROM:<a@b.example> ENVID=+0D+0A
    S: 501 5.5.4 Error: bad ENVID parameter
    C: MAIL FROM:<a@b.example> NOTIFY=SUCCESS
    S: 555 5.5.4 Error: MAIL parameter NOTIFY not recognized or not implemented
  )");
  t.C("MAIL FROM:<a@b.example> ENVID=" + envid101);
  t.S("501 5.5.4 Error: bad ENVID parameter");
  t.C("MAIL FROM:<a@b.example> ENVID=" + std::string(100, 'e'));
  t.S("250 2.1.0 Ok");
  t.script(R"(
    C: RCPT TO:<b@c.example> NOTIFY=NEVER,SUCCESS
    S: 501 5.5.4 Error: bad NOTIFY parameter
    C: RCPT TO:<b@c.example> NOTIFY=SUCCESS NOTIFY=DELAY
    S: 501 5.5.4 Error: bad NOTIFY parameter
    C: RCPT TO:<b@c.example> NOTIFY=
    S: 501 5.5.4 Error: bad parameter syntax
    C: RCPT TO:<b@c.example> ORCPT=b@c.example
    S: 501 5.5.4 Error: bad ORCPT parameter
    C: RCPT TO:<b@c.example> ORCPT=rfc822;b+4
    S: 501 5.5.4 Error: bad ORCPT parameter
    C: RCPT TO:<b@c.example> ORCPT=rfc822;b@c ORCPT=rfc822;d@e
    S: 501 5.5.4 Error: bad ORCPT parameter
    C: RCPT TO:<b@c.example> RET=HDRS
    S: 555 5.5.4 Error: RCPT parameter RET not recognized or not implemented
    C: RCPT TO:<b@c.example> XYZZY=1
    S: 555 5.5.4 Error: RCPT parameter XYZZY not recognized or not implemented
    C: DATA
    S: 554 5.5.1 Error: no valid recipients
  )");
  CHECK(t.h.messages.empty());
}

TEST(server_dsn_off_and_helo) {
  Config c;
  c.dsn = false;
  Conversation t(c);
  t.S("220 ...");
  t.C("HELO x");
  t.script(R"(
    S: 250 localhost
    C: MAIL FROM:<a@b.example> RET=HDRS
    S: 555 5.5.4 Error: MAIL parameters need EHLO
    C: MAIL FROM:<a@b.example>
    S: 250 2.1.0 Ok
    C: RCPT TO:<b@c.example> NOTIFY=SUCCESS
    S: 555 5.5.4 Error: RCPT parameters need EHLO
    C: EHLO x
  )");
  for (int k = 0; k < 7; ++k) t.S("250-...");
  t.S("250 BINARYMIME");  // no DSN among them
  t.script(R"(
    C: MAIL FROM:<a@b.example> ENVID=x
    S: 555 5.5.4 Error: MAIL parameter ENVID not recognized or not implemented
    C: MAIL FROM:<a@b.example>
    S: 250 2.1.0 Ok
    C: RCPT TO:<b@c.example> NOTIFY=SUCCESS
    S: 555 5.5.4 Error: RCPT parameter NOTIFY not recognized or not implemented
  )");
  CHECK(t.replies.find("DSN") == std::string::npos);
}

TEST(server_dsn_forgotten_after_rset) {
  Conversation t;
  ehlo(t);
  t.script(R"(
    C: MAIL FROM:<a@b.example> RET=FULL ENVID=one
    S: 250 2.1.0 Ok
    C: RCPT TO:<b@c.example> NOTIFY=FAILURE
    S: 250 2.1.5 Ok
    C: RSET
    S: 250 2.0.0 Ok
    C: MAIL FROM:<a@b.example>
    S: 250 2.1.0 Ok
    C: RCPT TO:<b@c.example>
    S: 250 2.1.5 Ok
    C: DATA
    S: 354 ...
    C: .
    S: 250 2.0.0 Ok: queued
  )");
  CHECK_EQ(t.h.messages.size(), 1u);
  if (t.h.messages.empty()) return;
  CHECK(t.h.messages[0].env.dsn.empty());
  CHECK_EQ(t.h.messages[0].env.rcpt_dsn.size(), 1u);
  CHECK(t.h.messages[0].env.rcpt_dsn.at(0).empty());
}

// --------------------------------------------------------------- client ----

TEST(client_sends_dsn_parameters) {
  ServerScript t;
  t.script(kDsnEhlo);
  CHECK(t.c.extensions().dsn);
  t.c.begin_message("alice@crepes.fr", {"bob@hamburger.edu"}, "Subject: x\r\n\r\nhi\r\n",
                    hdrs_success_delay(1));
  t.script(R"(
    C: MAIL FROM:<alice@crepes.fr> RET=HDRS ENVID=QQ314159+2Bx+3Dy
    C: RCPT TO:<bob@hamburger.edu> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;Bob@Example.ORG
    C: DATA
    S: 250 2.1.0 Ok
    S: 250 2.1.5 Ok
    S: 354 go ahead
    C: Subject: x
    C:
    C: hi
    C: .
    S: 250 2.0.0 Ok
  )");
  CHECK(t.c.result().ok);
  CHECK(!t.c.result().dsn_dropped);
}

TEST(client_refuses_dsn_without_the_extension) {
  ServerScript t;
  t.script(kNoDsnEhlo);
  t.c.begin_message("alice@crepes.fr", {"bob@hamburger.edu"}, "hi\r\n", hdrs_success_delay(1));
  CHECK(t.c.message_done());
  CHECK(!t.c.result().ok);
  CHECK(t.c.result().error.find("DSN") != std::string::npos);
  t.nothing_written();
  // dsn_optional: sent without them, and the result says so.
  MessageOptions o = hdrs_success_delay(1);
  o.dsn_optional = true;
  t.c.begin_message("alice@crepes.fr", {"bob@hamburger.edu"}, "hi\r\n", o);
  t.script(R"(
    C: MAIL FROM:<alice@crepes.fr>
    C: RCPT TO:<bob@hamburger.edu>
    C: DATA
    S: 250 2.1.0 Ok
    S: 250 2.1.5 Ok
    S: 354 go ahead
    C: hi
    C: .
    S: 250 2.0.0 Ok
  )");
  CHECK(t.c.result().ok);
  CHECK(t.c.result().dsn_dropped);
}

TEST(client_checks_dsn_values) {
  ServerScript t;
  t.script(kDsnEhlo);
  auto throws = [&](MessageOptions o, std::size_t rcpts = 1) {
    std::vector<std::string> to(rcpts, "bob@hamburger.edu");
    try {
      t.c.begin_message("alice@crepes.fr", to, "hi\r\n", o);
    } catch (const std::invalid_argument&) {
      return true;
    }
    return false;
  };
  MessageOptions o = hdrs_success_delay(1);
  o.dsn.ret = "hdrs";
  CHECK(throws(o));
  o = hdrs_success_delay(1);
  o.dsn.envid = std::string(40, ' ');  // 120 octets as xtext
  CHECK(throws(o));
  o = hdrs_success_delay(1);
  o.rcpt_dsn[0].notify = kNotifyNever | kNotifySuccess;
  CHECK(throws(o));
  o = hdrs_success_delay(1);
  o.rcpt_dsn[0].orcpt_type.clear();
  CHECK(throws(o));
  CHECK(throws(hdrs_success_delay(1), 2));  // one entry for two recipients
  t.nothing_written();
  CHECK(t.c.ready());
}

TEST(client_and_server_agree_on_dsn) {
  Link l(Config{}, ClientConfig{});
  l.pump();
  CHECK(l.client.ready() && l.client.extensions().dsn);
  MessageOptions o = hdrs_success_delay(2);
  o.rcpt_dsn[1] = RecipientDsn{};
  o.rcpt_dsn[1].notify = kNotifyNever;
  o.dsn.envid = "id with spaces & + = signs";
  l.client.begin_message("alice@crepes.fr", {"bob@hamburger.edu", "carol@hamburger.edu"},
                         "Subject: x\r\n\r\nhi\r\n", o);
  l.pump();
  CHECK(l.client.result().ok);
  CHECK_EQ(l.h.messages.size(), 1u);
  if (l.h.messages.empty()) return;
  const Envelope& env = l.h.messages[0].env;
  CHECK_EQ(env.dsn.envid, o.dsn.envid);
  CHECK_EQ(env.dsn.ret, std::string("HDRS"));
  CHECK_EQ(env.rcpt_dsn.size(), 2u);
  if (env.rcpt_dsn.size() != 2) return;
  CHECK_EQ(env.rcpt_dsn[0].orcpt, std::string("Bob@Example.ORG"));
  CHECK_EQ(env.rcpt_dsn[1].notify, unsigned(kNotifyNever));
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
