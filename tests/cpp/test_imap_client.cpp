// Byte-level tests of the IMAP client state machine and its response parser:
// the server side is scripted ("S: ..." lines fed to the client, "C: ..."
// lines expected from it), as RFC 9051's examples are written.
#include <stdexcept>

#include "conversation.hpp"
#include "mailroom/imap/arguments.hpp"  // SyntaxError
#include "mailroom/imap/client_session.hpp"
#include "mailroom/imap/sequence_set.hpp"

namespace imap = mailroom::imap;
using imap::Arg;

namespace {

struct ImapScript {
  imap::ClientSession c;
  std::string written;
  std::size_t pos = 0;
  bool byte_at_a_time = false;

  explicit ImapScript(imap::ClientConfig cfg = {}) : c(std::move(cfg)) {
    c.set_allow_plaintext_auth(true);
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
  imap::Completion next() {
    auto r = c.next_completion();
    CHECK(r.has_value());
    return r ? *r : imap::Completion{};
  }
};

}  // namespace

TEST(imap_client_textbook_session) {
  for (bool bytewise : {false, true}) {
    ImapScript t;
    t.byte_at_a_time = bytewise;
    t.c.login("bob", "secret");  // queued until the greeting
    t.nothing_written();
    t.script(R"(
      S: * OK [CAPABILITY IMAP4rev1 IDLE] IMAP4rev1 Service Ready
      C: a1 LOGIN bob secret
      S: a1 OK [CAPABILITY IMAP4rev1 IDLE MOVE UIDPLUS] LOGIN completed
    )");
    auto g = t.next();
    CHECK_EQ(g.id, 0u);
    CHECK(g.status == imap::Status::Ok);
    auto login = t.next();
    CHECK_EQ(login.id, 1u);
    CHECK(t.c.has_capability("MOVE"));
    CHECK(t.c.transcript().find("secret") == std::string::npos);
    t.c.command("SELECT", {Arg::mailbox("INBOX")});
    t.script(R"(
      C: a2 SELECT INBOX
      S: * 172 EXISTS
      S: * OK [UIDVALIDITY 3857529045] UIDs valid
      S: * OK [UIDNEXT 4392] Predicted next UID
      S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
      S: * OK [PERMANENTFLAGS (\Deleted \Seen \*)] Limited
      S: a2 OK [READ-WRITE] SELECT completed
    )");
    auto sel = t.next();
    CHECK_EQ(sel.code.name, std::string("READ-WRITE"));
    CHECK_EQ(sel.untagged.size(), std::size_t{5});
    CHECK(sel.untagged[0].kind == imap::UntaggedKind::Exists);
    CHECK_EQ(sel.untagged[0].number, 172u);
    CHECK_EQ(sel.untagged[1].code.name, std::string("UIDVALIDITY"));
    CHECK_EQ(sel.untagged[1].code.argument, std::string("3857529045"));
    CHECK_EQ(sel.untagged[3].words.size(), std::size_t{5});
    CHECK_EQ(sel.untagged[4].code.argument, std::string("(\\Deleted \\Seen \\*)"));
  }
}

TEST(imap_client_pipelined_fetch_with_literals) {
  ImapScript t;
  t.S("* OK ready");
  t.next();
  // Three UID FETCHes go out at once (RFC 9051 §5.5), before any answer.
  t.c.command("UID FETCH", {Arg::raw("1:2"), Arg::raw("(UID FLAGS BODY.PEEK[])")});
  t.c.command("UID FETCH", {Arg::raw("3"), Arg::raw("(UID FLAGS BODY.PEEK[])")});
  t.c.command("UID FETCH", {Arg::raw("4"), Arg::raw("(UID FLAGS BODY.PEEK[])")});
  t.script(R"(
    C: a1 UID FETCH 1:2 (UID FLAGS BODY.PEEK[])
    C: a2 UID FETCH 3 (UID FLAGS BODY.PEEK[])
    C: a3 UID FETCH 4 (UID FLAGS BODY.PEEK[])
  )");
  t.feed("* 1 FETCH (UID 1 FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
         "RFC822.SIZE 12 BODY[] {12}\r\nSubject: a\r\n)\r\n"
         "* 2 FETCH (UID 2 FLAGS () BODY[] {5}\r\n{3}\r\n)\r\n"  // a literal that looks like one
         "a1 OK done\r\n");
  auto first = t.next();
  CHECK_EQ(first.untagged.size(), std::size_t{2});
  const auto& f = first.untagged[0].fetch;
  CHECK_EQ(f.uid, 1u);
  CHECK_EQ(f.flags.size(), std::size_t{1});
  CHECK_EQ(f.body, std::string("Subject: a\r\n"));
  CHECK_EQ(f.size, 12u);
  CHECK_EQ(f.internal_date, std::int64_t{837596665});  // 1996-07-17 09:44:25 UTC
  CHECK_EQ(first.untagged[1].fetch.body, std::string("{3}\r\n"));
  CHECK(first.untagged[1].fetch.has_flags);
  // Completions may come out of order; each finds its command by its tag.
  t.S("a3 NO [SERVERBUG] gone");
  t.S("a2 OK done");
  auto third = t.next();
  CHECK_EQ(third.id, 3u);
  CHECK(third.status == imap::Status::No);
  CHECK_EQ(third.code.name, std::string("SERVERBUG"));
  CHECK_EQ(t.next().id, 2u);
}

TEST(imap_client_synchronizing_literal_waits_for_continuation) {
  ImapScript t;
  t.S("* OK ready");
  t.next();
  t.c.command("APPEND", {Arg::mailbox("Sent"), Arg::raw("(\\Seen)"), Arg::literal("Hi\r\n")});
  t.c.command("NOOP");
  t.script(R"(
    C: a1 APPEND Sent (\Seen) {4}
  )");
  t.nothing_written();  // neither the message nor NOOP before the "+"
  t.script(R"(
    S: + Ready for literal data
    C: Hi
    C:
    C: a2 NOOP
    S: a1 OK [APPENDUID 38505 3955] APPEND completed
  )");
  auto r = t.next();
  CHECK_EQ(r.code.argument, std::string("38505 3955"));
}

TEST(imap_client_literal_plus_and_sasl_ir) {
  ImapScript t;
  t.S("* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN] ready");
  t.next();
  t.c.authenticate_plain("tim", "tanstaaftanstaaf");
  t.c.command("APPEND", {Arg::mailbox("Entw\xc3\xbcrfe"), Arg::literal("Hi\r\n")});
  t.script(R"(
    C: a1 AUTHENTICATE PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm
  )");
  t.S("a1 OK done");
  t.script(R"(
    C: a2 APPEND Entw&APw-rfe {4+}
    C: Hi
    C:
  )");
}

TEST(imap_client_authenticate_without_sasl_ir) {
  ImapScript t;
  t.S("* OK ready");
  t.next();
  t.c.authenticate_plain("tim", "tanstaaftanstaaf");
  t.script(R"(
    C: a1 AUTHENTICATE PLAIN
    S: +
    C: AHRpbQB0YW5zdGFhZnRhbnN0YWFm
    S: a1 NO [AUTHENTICATIONFAILED] Invalid credentials
  )");
  auto r = t.next();
  CHECK(r.status == imap::Status::No);
  CHECK_EQ(r.code.name, std::string("AUTHENTICATIONFAILED"));
  CHECK(t.c.transcript().find("AHRpbQ") == std::string::npos);
}

TEST(imap_client_plaintext_login_refused_outside_tls) {
  imap::ClientSession c;
  bool thrown = false;
  try {
    c.login("bob", "secret");
  } catch (const imap::PlaintextAuthRefused&) {
    thrown = true;
  }
  CHECK(thrown);
}

TEST(imap_client_list_status_search) {
  ImapScript t;
  t.S("* OK ready");
  t.next();
  t.c.command("LIST", {Arg::mailbox(""), Arg::mailbox("*")});
  t.script(R"(
    C: a1 LIST "" "*"
    S: * LIST (\HasNoChildren) "/" INBOX
    S: * LIST (\HasNoChildren \Sent) "/" "Gesendete &AQk-"
    S: * LIST (\Noselect) NIL {4}
    S: Tree
    S: a1 OK done
  )");
  auto l = t.next();
  CHECK_EQ(l.untagged.size(), std::size_t{3});
  CHECK_EQ(l.untagged[1].list.name, std::string("Gesendete \xc4\x89"));
  CHECK_EQ(l.untagged[1].list.attributes[1], std::string("\\Sent"));
  CHECK_EQ(l.untagged[2].list.delimiter, std::string());
  CHECK_EQ(l.untagged[2].list.name, std::string("Tree"));
  t.c.command("STATUS", {Arg::mailbox("INBOX"), Arg::raw("(MESSAGES UIDNEXT)")});
  t.script(R"(
    C: a2 STATUS INBOX (MESSAGES UIDNEXT)
    S: * STATUS INBOX (MESSAGES 231 UIDNEXT 44292)
    S: a2 OK done
    S: * SEARCH 2 84 882
  )");
  auto s = t.next();
  CHECK_EQ(s.untagged[0].status.size(), std::size_t{2});
  CHECK_EQ(s.untagged[0].status[1].second, 44292u);
  // Untagged responses while nothing is in flight are unsolicited.
  auto u = t.c.next_unsolicited();
  CHECK(u.has_value());
  CHECK_EQ(u->numbers.size(), std::size_t{3});
}

TEST(imap_client_condstore_and_vanished) {
  auto u = imap::parse_untagged("VANISHED (EARLIER) 41,43:45");
  CHECK(u.kind == imap::UntaggedKind::Vanished);
  CHECK(u.earlier);
  CHECK_EQ(u.numbers.size(), std::size_t{4});
  auto f = imap::parse_untagged("7 FETCH (UID 9 MODSEQ (12121231000) FLAGS (\\Seen))");
  CHECK_EQ(f.fetch.modseq, std::uint64_t{12121231000});
  CHECK_EQ(f.fetch.uid, 9u);
  auto e = imap::parse_untagged("ESEARCH (TAG \"a5\") UID ALL 1:3,7 COUNT 4");
  CHECK_EQ(e.numbers.size(), std::size_t{4});
  auto s = imap::parse_untagged("SEARCH 2 5 (MODSEQ 917162500)");
  CHECK_EQ(s.modseq, std::uint64_t{917162500});
  // A server's "1:4294967295" does not expand past the limit.
  bool refused = false;
  try {
    imap::parse_untagged("VANISHED 1:4294967295", 1000);
  } catch (const imap::SyntaxError&) {
    refused = true;
  }
  CHECK(refused);
  CHECK_EQ(imap::compact_set({1, 2, 3, 5, 7, 8}), std::string("1:3,5,7:8"));
}

TEST(imap_client_idle) {
  ImapScript t;
  t.S("* OK [CAPABILITY IMAP4rev1 IDLE] ready");
  t.next();
  t.c.idle();
  t.script(R"(
    C: a1 IDLE
    S: + idling
  )");
  CHECK(t.c.idling());
  t.S("* 4 EXISTS");
  t.S("* 2 FETCH (FLAGS (\\Seen))");
  t.S("* 1 EXPUNGE");
  int events = 0;
  while (auto u = t.c.next_unsolicited()) ++events;
  CHECK_EQ(events, 3);
  t.c.idle_done();
  t.script(R"(
    C: DONE
    S: a1 OK IDLE terminated
  )");
  CHECK_EQ(t.next().command, std::string("IDLE"));
  CHECK(!t.c.idling());
}

TEST(imap_client_bad_input_ends_the_session) {
  {  // garbage
    ImapScript t;
    t.S("* OK ready");
    t.S("HTTP/1.1 400 Bad Request");
    CHECK(t.c.failed());
    CHECK(t.c.error() == imap::ClientError::Protocol);
  }
  {  // an overlong line
    imap::ClientConfig cfg;
    cfg.max_line = 100;
    ImapScript t(cfg);
    t.S("* OK " + std::string(200, 'x'));
    CHECK(t.c.failed());
    CHECK(t.c.error_text().find("longer than 100") != std::string::npos);
  }
  {  // a literal over the limit, refused before its octets come
    imap::ClientConfig cfg;
    cfg.max_literal = 1000;
    ImapScript t(cfg);
    t.S("* OK ready");
    t.next();
    t.c.command("UID FETCH", {Arg::raw("1"), Arg::raw("BODY.PEEK[]")});
    t.S("* 1 FETCH (UID 1 BODY[] {5000}");
    CHECK(t.c.failed());
    CHECK(t.c.error_text().find("limit of 1000") != std::string::npos);
  }
  {  // dropped in the middle of a literal
    ImapScript t;
    t.S("* OK ready");
    t.next();
    t.c.command("UID FETCH", {Arg::raw("1"), Arg::raw("BODY.PEEK[]")});
    t.feed("* 1 FETCH (UID 1 BODY[] {100}\r\nSubject: half");
    t.c.on_eof();
    CHECK(t.c.error() == imap::ClientError::ConnectionLost);
    CHECK(t.c.error_text().find("middle of a literal") != std::string::npos);
  }
  {  // a malformed FETCH, a tag for no command, a BYE greeting
    ImapScript t;
    t.S("* OK ready");
    t.S("* 1 FETCH (UID x)");
    CHECK(t.c.error() == imap::ClientError::Protocol);
    ImapScript u;
    u.S("* OK ready");
    u.S("a9 OK what");
    CHECK(u.c.error() == imap::ClientError::Protocol);
    ImapScript v;
    v.S("* BYE too busy");
    CHECK(v.c.error() == imap::ClientError::Refused);
    CHECK(v.next().status == imap::Status::Bye);
  }
  {  // a control character in a raw argument is refused locally
    ImapScript t;
    bool thrown = false;
    try {
      t.c.command("SEARCH", {Arg::raw("TEXT x\r\nA1 LOGOUT")});
    } catch (const std::invalid_argument&) {
      thrown = true;
    }
    CHECK(thrown);
  }
}

TEST(imap_client_braces_that_are_no_literal) {
  // Found by fuzz_imap_client: a line ending in '}' with no '{' before it.
  ImapScript t;
  t.S("* OK ready");
  t.next();
  t.c.command("NOOP");
  t.S("* OK }");
  t.S("* OK {}");
  t.S("* OK {x}");
  t.S("a1 OK done");
  auto r = t.next();
  CHECK_EQ(r.untagged.size(), std::size_t{3});
  CHECK(!t.c.failed());
}

TEST(imap_client_logout) {
  ImapScript t;
  t.S("* OK ready");
  t.next();
  t.c.command("LOGOUT");
  t.script(R"(
    C: a1 LOGOUT
    S: * BYE logging out
    S: a1 OK LOGOUT completed
  )");
  CHECK(t.c.closed());
  CHECK(!t.c.failed());
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
