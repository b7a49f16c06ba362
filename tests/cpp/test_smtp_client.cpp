// Byte-level tests of the SMTP client state machine: the server side is
// scripted ("S: ..." lines fed to the client, "C: ..." lines expected from
// it), plus end-to-end runs against smtp::ServerSession in memory.
#include <stdexcept>

#include "smtp_client_script.hpp"

namespace {

const char* kFullEhlo = R"(
  S: 220 mx.example ESMTP
  C: EHLO localhost
  S: 250-mx.example
  S: 250-PIPELINING
  S: 250-SIZE 1000
  S: 250-8BITMIME
  S: 250-SMTPUTF8
  S: 250-ENHANCEDSTATUSCODES
  S: 250-CHUNKING
  S: 250-BINARYMIME
  S: 250-AUTH PLAIN login
  S: 250-AUTH=CRAM-MD5
  S: 250 STARTTLS
)";

// DATA on a server that offers CHUNKING and PIPELINING (Auto would use BDAT).
const MessageOptions kData{Transfer::Data};

const char* kPlainEhlo = R"(
  S: 220 mx.example ESMTP
  C: EHLO localhost
  S: 250 mx.example
)";

}  // namespace

// ------------------------------------------------------------ greeting ----

TEST(client_ehlo_extensions) {
  ServerScript t;
  CHECK(t.c.state() == ClientState::Greeting);
  t.nothing_written();
  t.script(kFullEhlo);
  CHECK(t.c.ready());
  const Extensions& e = t.c.extensions();
  CHECK(e.esmtp && e.pipelining && e.size && e.eightbitmime && e.smtputf8 && e.chunking &&
        e.binarymime && e.starttls && e.enhancedstatuscodes);
  CHECK_EQ(e.size_limit, std::uint64_t{1000});
  CHECK_EQ(e.auth.size(), 3u);
  CHECK_EQ(e.auth.at(1), std::string("LOGIN"));
  CHECK_EQ(e.auth.at(2), std::string("CRAM-MD5"));
  CHECK_EQ(e.keywords.size(), 10u);
  CHECK_EQ(t.c.greeting().lines.at(0), std::string("mx.example ESMTP"));
}

TEST(client_helo_fallback_textbook) {
  ServerScript t;
  t.script(R"(
    S: 220 hamburger.edu
    C: EHLO localhost
    S: 502 Command not implemented
    C: HELO localhost
    S: 250 Hello crepes.fr, pleased to meet you
  )");
  CHECK(t.c.ready());
  CHECK(!t.c.extensions().esmtp);
  t.c.begin_message("alice@crepes.fr", {"bob@hamburger.edu"},
                    "Do you like ketchup?\nHow about pickles?\n");
  t.script(R"(
    C: MAIL FROM:<alice@crepes.fr>
    S: 250 alice@crepes.fr... Sender ok
    C: RCPT TO:<bob@hamburger.edu>
    S: 250 bob@hamburger.edu ... Recipient ok
    C: DATA
    S: 354 Enter mail, end with "." on a line by itself
    C: Do you like ketchup?
    C: How about pickles?
    C: .
  )");
  CHECK(!t.c.message_done());
  t.S("250 Message accepted for delivery");
  CHECK(t.c.message_done());
  CHECK(t.c.result().ok);
  CHECK_EQ(t.c.result().data.code, 250);
  CHECK_EQ(t.c.result().rcpts.at(0).second.code, 250);
  t.c.quit();
  t.script("C: QUIT\nS: 221 hamburger.edu closing connection");
  CHECK(t.c.closed());
  CHECK(!t.c.failed());
}

TEST(client_greeting_refused) {
  ServerScript t;
  t.script("S: 554 mx.example no service\nC: QUIT\nS: 221 bye");
  CHECK(t.c.closed());
  CHECK(t.c.error() == ClientError::Refused);
}

TEST(client_ehlo_refused_other_than_500_502) {
  ServerScript t;
  t.script("S: 220 x\nC: EHLO localhost\nS: 550 no\nC: QUIT\nS: 221 bye");
  CHECK(t.c.error() == ClientError::Refused);
  CHECK(t.c.closed());
}

// ---------------------------------------------------------- pipelining ----

TEST(client_pipelines_mail_rcpts_data) {
  ServerScript t;
  t.script(kFullEhlo);
  t.c.begin_message("a@example.com", {"b@example.com", "nobody@example.com", "c@example.com"},
                    "Subject: x\r\n\r\nbody\r\n", kData);
  // One write: MAIL, the RCPTs and DATA.
  const std::string w = t.c.take_output();
  CHECK_EQ(w, std::string("MAIL FROM:<a@example.com> SIZE=20\r\nRCPT TO:<b@example.com>\r\n"
                          "RCPT TO:<nobody@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n"));
  t.c.feed("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No such user\r\n250 2.1.5 Ok\r\n");
  CHECK(t.c.take_output().empty());
  CHECK(t.c.current_timeout() == ClientTimeouts{}.data_init);
  t.c.feed("354 go ahead\r\n");
  CHECK_EQ(t.c.take_output(), std::string("Subject: x\r\n\r\nbody\r\n.\r\n"));
  CHECK(t.c.current_timeout() == ClientTimeouts{}.data_term);
  t.c.feed("250 2.0.0 queued as 12345\r\n");
  const SendResult& r = t.c.result();
  CHECK(r.ok);
  CHECK_EQ(r.mail.enhanced, std::string("2.1.0"));
  CHECK_EQ(r.rcpts.at(1).second.code, 550);
  CHECK_EQ(r.rcpts.at(1).second.enhanced, std::string("5.1.1"));
  CHECK_EQ(r.rcpts.at(1).second.lines.at(0), std::string("No such user"));
  CHECK_EQ(r.accepted_rcpts(), 2u);
  CHECK_EQ(r.data.lines.at(0), std::string("queued as 12345"));
  CHECK(t.c.ready());
  CHECK_EQ(t.c.messages_sent(), 1u);
}

TEST(client_pipelined_all_rcpts_refused_data_refused_then_rset) {
  ServerScript t;
  t.script(kFullEhlo);
  t.c.begin_message("a@example.com", {"x@example.com"}, "hi\r\n", kData);
  t.script(R"(
    C: MAIL FROM:<a@example.com> SIZE=4
    C: RCPT TO:<x@example.com>
    C: DATA
    S: 250 2.1.0 Ok
    S: 550 5.1.1 No
    S: 554 5.5.1 No valid recipients
    C: RSET
  )");
  CHECK(!t.c.message_done());
  CHECK(t.c.state() == ClientState::Reset);
  t.S("250 2.0.0 Ok");
  CHECK(t.c.message_done());
  CHECK(!t.c.result().ok);
  CHECK_EQ(t.c.result().error, std::string("no recipient accepted"));
  CHECK(t.c.ready());
}

TEST(client_pipelined_354_without_recipient_sends_dot_then_rset) {
  ServerScript t;
  t.script(kFullEhlo);
  t.c.begin_message("a@example.com", {"x@example.com"}, "secret content\r\n", kData);
  t.script(R"(
    C: MAIL FROM:<a@example.com> SIZE=16
    C: RCPT TO:<x@example.com>
    C: DATA
    S: 250 2.1.0 Ok
    S: 550 5.1.1 No
    S: 354 go ahead anyway
    C: .
    S: 554 5.5.1 No valid recipients
    C: RSET
    S: 250 2.0.0 Ok
  )");
  CHECK(t.written.find("secret") == std::string::npos);
  CHECK(t.c.message_done());
  CHECK(!t.c.result().ok);
}

TEST(client_pipelined_mail_refused_no_rset) {
  ServerScript t;
  t.script(kFullEhlo);
  t.c.begin_message("spammer@example.com", {"x@example.com"}, "x\r\n", kData);
  t.script(R"(
    C: MAIL FROM:<spammer@example.com> SIZE=3
    C: RCPT TO:<x@example.com>
    C: DATA
    S: 550 5.7.1 Sender blocked
    S: 503 5.5.1 need MAIL
    S: 503 5.5.1 need RCPT
  )");
  t.nothing_written();
  CHECK(t.c.message_done());
  CHECK_EQ(t.c.result().error, std::string("MAIL refused: 550 5.7.1 Sender blocked"));
  CHECK(t.c.ready());
}

TEST(client_without_pipelining_waits_for_each_reply) {
  ServerScript t;
  t.script(kPlainEhlo);
  t.c.begin_message("a@example.com", {"b@example.com", "c@example.com"}, "x");
  t.script("C: MAIL FROM:<a@example.com>");
  t.nothing_written();
  t.script(R"(
    S: 250 ok
    C: RCPT TO:<b@example.com>
    S: 450 try later
    C: RCPT TO:<c@example.com>
    S: 250 ok
    C: DATA
    S: 354 go
    C: x
    C: .
    S: 451 local error
  )");
  CHECK(t.c.message_done());
  CHECK(!t.c.result().ok);
  CHECK_EQ(t.c.result().error, std::string("message refused: 451 local error"));
  t.nothing_written();  // the transaction ended with the reply to "."
  // The next message on the same connection.
  t.c.begin_message("", {"b@example.com"}, "y\n");
  t.script("C: MAIL FROM:<>\nS: 250 ok\nC: RCPT TO:<b@example.com>\nS: 550 no\nC: RSET\nS: 250 ok");
  CHECK(t.c.ready());
  CHECK_EQ(t.c.result().error, std::string("no recipient accepted"));
}

// ------------------------------------------------------------- content ----

TEST(client_dot_stuffing_and_lf_normalization) {
  ServerScript t;
  t.script(kPlainEhlo);
  t.c.begin_message("a@example.com", {"b@example.com"}, "a\n.b\r\n..\n.\n\nlast");
  t.script("C: MAIL FROM:<a@example.com>\nS: 250 ok\nC: RCPT TO:<b@example.com>\nS: 250 ok\n"
           "C: DATA\nS: 354 go");
  t.pull();
  CHECK_EQ(t.written.substr(t.pos), std::string("a\r\n..b\r\n...\r\n..\r\n\r\nlast\r\n.\r\n"));
}

TEST(append_dot_stuffed_cases) {
  std::string out;
  append_dot_stuffed(out, "");
  CHECK_EQ(out, std::string(".\r\n"));
  out.clear();
  append_dot_stuffed(out, ".\r\n");
  CHECK_EQ(out, std::string("..\r\n.\r\n"));
  out.clear();
  append_dot_stuffed(out, "x.\n.", false, false);
  CHECK_EQ(out, std::string("x.\r\n.\r\n"));
  CHECK(needs_binarymime(bytes("a\0b")));
  CHECK(needs_binarymime("a\rb\r\n"));
  CHECK(needs_binarymime("a\r"));
  CHECK(!needs_binarymime("a\r\nb\n\xff"));
  // A large message: one pass, same as line-by-line stuffing.
  std::string big;
  for (int i = 0; i < 20000; ++i) big += (i % 3 == 0) ? ".dot line\r\n" : "plain text line\n";
  out.clear();
  append_dot_stuffed(out, big);
  std::string want;
  for (int i = 0; i < 20000; ++i) want += (i % 3 == 0) ? "..dot line\r\n" : "plain text line\r\n";
  want += ".\r\n";
  CHECK(out == want);
}

TEST(client_size_8bitmime_smtputf8_parameters) {
  ServerScript t;
  t.script(kFullEhlo);
  t.c.begin_message("jöran@example.com", {"用户@例子.广告"}, "caf\xc3\xa9\n", kData);
  t.script(R"(
    C: MAIL FROM:<jöran@example.com> SIZE=7 BODY=8BITMIME SMTPUTF8
    C: RCPT TO:<用户@例子.广告>
    C: DATA
  )");
}

TEST(client_local_refusals_send_nothing) {
  ServerScript t;
  t.script(kPlainEhlo);  // no extensions at all
  const std::vector<std::string> to{"b@example.com"};
  t.c.begin_message("a@example.com", to, "caf\xc3\xa9\r\n");
  CHECK(t.c.message_done());
  CHECK(!t.c.result().ok);
  CHECK(t.c.result().error.find("8BITMIME") != std::string::npos);
  t.c.begin_message("jöran@example.com", to, "x\r\n");
  CHECK(t.c.result().error.find("SMTPUTF8") != std::string::npos);
  t.c.begin_message("a@example.com", to, bytes("a\0b\r\n"));
  CHECK(t.c.result().error.find("BINARYMIME") != std::string::npos);
  MessageOptions o;
  o.bdat = true;
  t.c.begin_message("a@example.com", to, "x\r\n", o);
  CHECK(t.c.result().error.find("CHUNKING") != std::string::npos);
  t.nothing_written();
  CHECK(t.c.ready());

  ServerScript s;  // SIZE 1000
  s.script(kFullEhlo);
  s.c.begin_message("a@example.com", to, std::string(999, 'x'));  // 1001 with CRLF
  CHECK(s.c.message_done());
  CHECK(s.c.result().error.find("SIZE limit of 1000") != std::string::npos);
  s.nothing_written();
}

TEST(client_rejects_injection) {
  ServerScript t;
  t.script(kFullEhlo);
  const auto throws = [&](auto f) {
    try {
      f();
    } catch (const std::invalid_argument&) {
      return true;
    }
    return false;
  };
  CHECK(throws([&] { t.c.begin_message("a@example.com>\r\nRSET", {"b@example.com"}, "x"); }));
  CHECK(throws([&] { t.c.begin_message("a@example.com", {"b@example.com\nDATA"}, "x"); }));
  CHECK(throws([&] { t.c.begin_message("a@example.com", {"b@example.com", bytes("c@x\0")}, "x"); }));
  CHECK(throws([&] { t.c.begin_message("a@example.com", {"b@example.com> NOTIFY=x"}, "x"); }));
  CHECK(throws([&] { t.c.begin_message("not an address", {"b@example.com"}, "x"); }));
  CHECK(throws([&] { t.c.begin_message("a@example.com", {}, "x"); }));
  CHECK(throws([&] { t.c.begin_message("\xff@example.com", {"b@example.com"}, "x"); }));
  MessageOptions o;
  o.mail_params = {"RET=HDRS\r\nRSET"};
  CHECK(throws([&] { t.c.begin_message("a@example.com", {"b@example.com"}, "x", o); }));
  t.nothing_written();
  CHECK(t.c.ready());
  bool logic = false;
  t.c.begin_message("a@example.com", {"b@example.com"}, "x", kData);  // waits for 354
  try {
    t.c.begin_message("a@example.com", {"b@example.com"}, "x");
  } catch (const std::logic_error&) {
    logic = true;
  }
  CHECK(logic);
}

TEST(client_bdat_binary_and_requested) {
  ClientConfig cfg;
  cfg.bdat_chunk_size = 4;
  ServerScript t(cfg);
  t.script(kFullEhlo);
  t.c.begin_message("a@example.com", {"b@example.com"}, bytes("ab\0cd\re"));
  t.script(R"(
    C: MAIL FROM:<a@example.com> SIZE=7 BODY=BINARYMIME
    C: RCPT TO:<b@example.com>
    S: 250 2.1.0 Ok
    S: 250 2.1.5 Ok
  )");
  t.pull();
  CHECK_EQ(t.written.substr(t.pos), bytes("BDAT 4\r\nab\0cBDAT 3 LAST\r\nd\re"));
  t.pos = t.written.size();
  t.c.feed("250 2.0.0 4 octets\r\n");
  CHECK(!t.c.message_done());
  t.c.feed("250 2.0.0 queued\r\n");
  CHECK(t.c.result().ok);
  CHECK(t.c.ready());
  // Text content by BDAT on request: normalized, not stuffed, no terminator.
  MessageOptions o;
  o.bdat = true;
  t.c.begin_message("a@example.com", {"b@example.com"}, ".x\n", o);
  t.script("C: MAIL FROM:<a@example.com> SIZE=4\nC: RCPT TO:<b@example.com>\n"
           "S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nC: BDAT 4 LAST\nC: .x");
  t.S("554 5.6.0 no");
  t.script("C: RSET\nS: 250 2.0.0 Ok");
  CHECK(!t.c.result().ok);
  CHECK_EQ(t.c.result().data.code, 554);
}

// ------------------------------------------ BDAT in the pipelined group ----

TEST(client_bdat_group_one_round_trip) {
  ServerScript t;
  t.script(kFullEhlo);
  // Auto: the server offers CHUNKING and PIPELINING, so one write carries
  // MAIL, RCPT and the whole content as the last chunk (RFC 3030 §4.2).
  const std::uint64_t id =
      t.c.begin_message("a@example.com", {"b@example.com"}, "Subject: x\r\n\r\n.body\n");
  CHECK_EQ(id, std::uint64_t{1});
  CHECK_EQ(t.c.take_output(), std::string("MAIL FROM:<a@example.com> SIZE=21\r\n"
                                          "RCPT TO:<b@example.com>\r\n"
                                          "BDAT 21 LAST\r\nSubject: x\r\n\r\n.body\r\n"));
  CHECK(!t.c.message_done());
  CHECK(t.c.current_timeout() == ClientTimeouts{}.mail);
  t.c.feed("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
  CHECK(t.c.current_timeout() == ClientTimeouts{}.data_term);
  t.c.feed("250 2.0.0 queued as 1\r\n");
  CHECK(t.c.message_done());
  CHECK(t.c.result().ok);
  CHECK_EQ(t.c.result().id, id);
  CHECK_EQ(t.c.result().data.lines.at(0), std::string("queued as 1"));
  CHECK(t.c.ready());
  t.nothing_written();
  const auto r = t.c.next_result();
  CHECK(r.has_value() && r->ok && r->id == id);
  CHECK(!t.c.next_result().has_value());

  // Several chunks: all in the same write.
  ClientConfig cfg;
  cfg.bdat_chunk_size = 4;
  ServerScript u(cfg);
  u.script(kFullEhlo);
  u.c.begin_message("a@example.com", {"b@example.com"}, "abcdef\r\n");
  CHECK_EQ(u.c.take_output(), std::string("MAIL FROM:<a@example.com> SIZE=8\r\n"
                                          "RCPT TO:<b@example.com>\r\nBDAT 4\r\nabcdBDAT 4 LAST\r\n"
                                          "ef\r\n"));
  u.c.feed("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 4 octets\r\n250 2.0.0 queued\r\n");
  CHECK(u.c.result().ok);
  CHECK(u.c.ready());
}

TEST(client_bdat_group_all_rcpts_refused) {
  ServerScript t;
  t.script(kFullEhlo);
  t.c.begin_message("a@example.com", {"x@example.com", "y@example.com"}, "hi\r\n");
  t.script(R"(
    C: MAIL FROM:<a@example.com> SIZE=4
    C: RCPT TO:<x@example.com>
    C: RCPT TO:<y@example.com>
    C: BDAT 4 LAST
    C: hi
    S: 250 2.1.0 Ok
    S: 550 5.1.1 No such user
    S: 450 4.2.1 Try later
    S: 554 5.5.1 Error: no valid recipients
    C: RSET
  )");
  CHECK(!t.c.message_done());
  CHECK(t.c.state() == ClientState::Reset);
  t.S("250 2.0.0 Ok");
  CHECK(t.c.message_done());
  const SendResult& r = t.c.result();
  CHECK(!r.ok);
  CHECK_EQ(r.error, std::string("no recipient accepted"));
  CHECK_EQ(r.mail.code, 250);
  CHECK_EQ(r.rcpts.at(0).second.enhanced, std::string("5.1.1"));
  CHECK_EQ(r.rcpts.at(1).second.code, 450);
  CHECK_EQ(r.data.code, 554);
  CHECK(t.c.ready());
  // The session carries on; a 503 to the chunk is handled the same way.
  t.c.begin_message("a@example.com", {"x@example.com"}, "again\r\n");
  t.script(R"(
    C: MAIL FROM:<a@example.com> SIZE=7
    C: RCPT TO:<x@example.com>
    C: BDAT 7 LAST
    C: again
    S: 250 2.1.0 Ok
    S: 550 5.1.1 No such user
    S: 503 5.5.1 Error: need RCPT command
    C: RSET
    S: 250 2.0.0 Ok
  )");
  CHECK_EQ(t.c.result().data.code, 503);
  CHECK(!t.c.result().ok);
  t.c.begin_message("a@example.com", {"b@example.com"}, "ok\r\n");
  t.script("C: MAIL FROM:<a@example.com> SIZE=4\nC: RCPT TO:<b@example.com>\nC: BDAT 4 LAST\n"
           "C: ok\nS: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 250 2.0.0 Ok");
  CHECK(t.c.result().ok);
  CHECK_EQ(t.c.messages_sent(), 1u);
}

// ------------------------------------------------ messages in flight ----

TEST(client_pipelined_batch_middle_mail_refused) {
  ServerScript t;
  t.script(kFullEhlo);
  CHECK(t.c.can_begin_message());
  CHECK_EQ(t.c.begin_message("a@example.com", {"b@example.com"}, "one\r\n"), std::uint64_t{1});
  CHECK(t.c.can_begin_message());  // everything of message 1 is written
  CHECK_EQ(t.c.begin_message("spammer@example.com", {"b@example.com"}, "two\r\n"),
           std::uint64_t{2});
  CHECK_EQ(t.c.begin_message("a@example.com", {"c@example.com"}, "three\r\n"), std::uint64_t{3});
  CHECK_EQ(t.c.in_flight(), 3u);
  // One write for the three; each message after a BDAT one starts with RSET.
  t.script(R"(
    C: MAIL FROM:<a@example.com> SIZE=5
    C: RCPT TO:<b@example.com>
    C: BDAT 5 LAST
    C: one
    C: RSET
    C: MAIL FROM:<spammer@example.com> SIZE=5
    C: RCPT TO:<b@example.com>
    C: BDAT 5 LAST
    C: two
    C: RSET
    C: MAIL FROM:<a@example.com> SIZE=7
    C: RCPT TO:<c@example.com>
    C: BDAT 7 LAST
    C: three
    S: 250 2.1.0 Ok
    S: 250 2.1.5 Ok
    S: 250 2.0.0 queued 1
  )");
  CHECK_EQ(t.c.results_pending(), 1u);
  CHECK_EQ(t.c.in_flight(), 2u);
  t.script(R"(
    S: 250 2.0.0 Ok
    S: 550 5.7.1 Sender blocked
    S: 503 5.5.1 need MAIL
    S: 503 5.5.1 need MAIL
  )");
  CHECK_EQ(t.c.results_pending(), 2u);
  t.script(R"(
    S: 250 2.0.0 Ok
    S: 250 2.1.0 Ok
    S: 250 2.1.5 Ok
    S: 250 2.0.0 queued 3
  )");
  t.nothing_written();  // no RSET of its own: MAIL was refused
  CHECK(t.c.message_done());
  CHECK(t.c.ready());
  const auto r1 = t.c.next_result();
  const auto r2 = t.c.next_result();
  const auto r3 = t.c.next_result();
  CHECK(!t.c.next_result().has_value());
  CHECK(r1 && r1->id == 1 && r1->ok && r1->data.lines.at(0) == "queued 1");
  CHECK(r2 && r2->id == 2 && !r2->ok);
  CHECK_EQ(r2->error, std::string("MAIL refused: 550 5.7.1 Sender blocked"));
  CHECK_EQ(r2->rcpts.at(0).second.code, 503);
  CHECK(r3 && r3->id == 3 && r3->ok && r3->data.lines.at(0) == "queued 3");
  CHECK_EQ(t.c.messages_sent(), 2u);
}

TEST(client_pipelined_batch_middle_recipients_refused_reset_by_the_next) {
  ClientConfig cfg;
  cfg.max_in_flight = 2;
  ServerScript t(cfg);
  t.script(kFullEhlo);
  t.c.begin_message("a@example.com", {"x@example.com"}, "1\r\n");
  t.c.begin_message("a@example.com", {"b@example.com"}, "2\r\n");
  CHECK(!t.c.can_begin_message());  // max_in_flight
  bool logic = false;
  try {
    t.c.begin_message("a@example.com", {"b@example.com"}, "3\r\n");
  } catch (const std::logic_error&) {
    logic = true;
  }
  CHECK(logic);
  t.script(R"(
    C: MAIL FROM:<a@example.com> SIZE=3
    C: RCPT TO:<x@example.com>
    C: BDAT 3 LAST
    C: 1
    C: RSET
    C: MAIL FROM:<a@example.com> SIZE=3
    C: RCPT TO:<b@example.com>
    C: BDAT 3 LAST
    C: 2
    S: 250 2.1.0 Ok
    S: 550 5.1.1 No such user
    S: 554 5.5.1 no valid recipients
  )");
  // Message 1 needs a reset, but the RSET that starts message 2 is it.
  t.nothing_written();
  CHECK_EQ(t.c.results_pending(), 1u);
  CHECK(!t.c.can_begin_message());  // one in flight + one uncollected
  const auto r1 = t.c.next_result();
  CHECK(r1 && r1->error == "no recipient accepted");
  CHECK(t.c.can_begin_message());
  // A local refusal queued behind message 2 keeps its place in the order.
  t.c.begin_message("a@example.com", {"b@example.com"}, std::string(2000, 'x'));
  CHECK(!t.c.message_done());
  t.script("S: 250 2.0.0 Ok\nS: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 250 2.0.0 Ok");
  t.nothing_written();
  CHECK(t.c.ready());
  const auto r2 = t.c.next_result();
  const auto r3 = t.c.next_result();
  CHECK(r2 && r2->id == 2 && r2->ok);
  CHECK(r3 && r3->id == 3 && !r3->ok && r3->error.find("SIZE") != std::string::npos);
}

TEST(client_pipelined_data_messages_after_the_dot) {
  ServerScript t;
  t.script(kFullEhlo);
  t.c.begin_message("a@example.com", {"b@example.com"}, "one\r\n", kData);
  CHECK(!t.c.can_begin_message());  // waiting for the 354
  t.script(R"(
    C: MAIL FROM:<a@example.com> SIZE=5
    C: RCPT TO:<b@example.com>
    C: DATA
    S: 250 2.1.0 Ok
    S: 250 2.1.5 Ok
    S: 354 go
    C: one
    C: .
  )");
  // RFC 2920 §3.1: the next transaction may follow the "." at once, and a
  // DATA message that got its 354 needs no reset.
  CHECK(t.c.can_begin_message());
  t.c.begin_message("a@example.com", {"c@example.com"}, "two\r\n", kData);
  t.script(R"(
    C: MAIL FROM:<a@example.com> SIZE=5
    C: RCPT TO:<c@example.com>
    C: DATA
    S: 250 2.0.0 queued 1
    S: 250 2.1.0 Ok
    S: 250 2.1.5 Ok
    S: 354 go
    C: two
    C: .
    S: 451 4.3.0 try later
  )");
  CHECK(t.c.ready());
  CHECK(t.c.next_result()->ok);
  const auto r2 = t.c.next_result();
  CHECK(r2 && !r2->ok && r2->data.code == 451);
}

TEST(client_session_end_fails_every_message_in_flight) {
  ServerScript t;
  t.script(kFullEhlo);
  t.c.begin_message("a@example.com", {"b@example.com"}, "1\r\n");
  t.c.begin_message("a@example.com", {"b@example.com"}, "2\r\n");
  t.c.feed("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n");
  t.c.feed("421 4.3.2 going down\r\n");
  CHECK(t.c.closed());
  CHECK(t.c.message_done());
  const auto r1 = t.c.next_result();
  const auto r2 = t.c.next_result();
  CHECK(r1 && r1->ok);
  CHECK(r2 && !r2->ok && r2->mail.code == 421);
}

// ------------------------------------------------------- error handling ----

TEST(client_protocol_errors) {
  const char* bad[] = {"hello\r\n", "2200 x\r\n", "22\r\n", "220_x\r\n", "620 x\r\n",
                       "220-a\r\n221 b\r\n", "220 a\rb\r\n"};
  for (const char* b : bad) {
    ClientSession c;
    c.feed(b);
    CHECK(c.failed());
    CHECK(c.closed());
    CHECK(c.error() == ClientError::Protocol);
  }
  ClientSession ok;  // tolerated: bare LF, code alone
  ok.feed("220\n");
  CHECK(!ok.failed());
  CHECK_EQ(ok.take_output(), std::string("EHLO localhost\r\n"));
  ClientConfig cfg;
  cfg.max_reply_line = 50;
  ClientSession longline(cfg);
  longline.feed("220 " + std::string(100, 'x'));
  CHECK(longline.error() == ClientError::Protocol);
  CHECK(longline.buffered_bytes() <= 50);
  ClientSession unexpected;
  unexpected.feed("220 x\r\n250 a\r\n250 b\r\n");
  CHECK(unexpected.error() == ClientError::Protocol);
}

TEST(client_421_mid_transaction) {
  ServerScript t;
  t.script(kFullEhlo);
  t.c.begin_message("a@example.com", {"b@example.com"}, "x");
  t.S("250 2.1.0 Ok");
  t.S("421 4.3.2 shutting down");
  CHECK(t.c.closed());
  CHECK(t.c.error() == ClientError::ServiceClosing);
  CHECK(t.c.message_done());
  CHECK(!t.c.result().ok);
  CHECK_EQ(t.c.result().rcpts.at(0).second.code, 421);
  t.c.feed("250 late\r\n");  // ignored once closed
  CHECK(t.c.error() == ClientError::ServiceClosing);
}

TEST(client_timeouts_and_eof) {
  ClientConfig cfg;
  cfg.timeouts.greeting = std::chrono::seconds(7);
  ServerScript t(cfg);
  CHECK(t.c.current_timeout() == std::chrono::seconds(7));
  t.script(kPlainEhlo);
  CHECK(t.c.current_timeout() == std::chrono::milliseconds(0));
  t.c.begin_message("a@example.com", {"b@example.com"}, "x");
  CHECK(t.c.current_timeout() == std::chrono::minutes(5));
  t.S("250 ok");
  CHECK(t.c.current_timeout() == std::chrono::minutes(5));
  t.S("250 ok");
  CHECK(t.c.current_timeout() == std::chrono::minutes(2));
  t.c.on_timeout();
  CHECK(t.c.error() == ClientError::Timeout);
  CHECK(t.c.message_done());
  CHECK(t.c.closed());

  ServerScript e;
  e.script(kPlainEhlo);
  e.c.on_eof();
  CHECK(e.c.error() == ClientError::ConnectionLost);
  ServerScript q;
  q.script(kPlainEhlo);
  q.c.quit();
  q.C("QUIT");
  q.c.on_eof();
  CHECK(q.c.closed());
  CHECK(!q.c.failed());
}

TEST(client_quit_after_message_in_flight) {
  ServerScript t;
  t.script(kPlainEhlo);
  t.c.begin_message("a@example.com", {"b@example.com"}, "x");
  t.c.quit();
  t.script("C: MAIL FROM:<a@example.com>\nS: 250 ok\nC: RCPT TO:<b@example.com>\nS: 250 ok\n"
           "C: DATA\nS: 354 go\nC: x\nC: .\nS: 250 ok\nC: QUIT\nS: 221 bye");
  CHECK(t.c.result().ok);
  CHECK(t.c.closed());
}

TEST(client_byte_at_a_time_and_transcript) {
  ClientConfig cfg;
  cfg.max_transcript_bytes = 4096;
  ServerScript t(cfg);
  t.byte_at_a_time = true;
  t.script(kFullEhlo);
  t.c.begin_message("a@example.com", {"b@example.com"}, "secret body\r\n", kData);
  t.script("C: MAIL FROM:<a@example.com> SIZE=13\nC: RCPT TO:<b@example.com>\nC: DATA\n"
           "S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 354 go\nC: secret body\nC: .\nS: 250 2.0.0 Ok");
  CHECK(t.c.result().ok);
  const std::string& tr = t.c.transcript();
  CHECK(tr.find("S: 220 mx.example ESMTP\nC: EHLO localhost\nS: 250-mx.example\n") == 0);
  CHECK(tr.find("C: <message data: 13 octets>\nC: .\nS: 250 2.0.0 Ok\n") != std::string::npos);
  CHECK(tr.find("secret") == std::string::npos);
}

// ------------------------------------------- end to end with the server ----

namespace {

std::string normalized(std::string_view content) {
  std::string out;
  append_dot_stuffed(out, content, false, false);
  return out;
}

}  // namespace

TEST(client_end_to_end_with_server) {
  ClientConfig ccfg;
  ccfg.bdat_chunk_size = 1000;
  Link l(Config{}, ccfg);
  l.pump();
  CHECK(l.client.ready());
  CHECK(l.client.extensions().pipelining);

  struct Case {
    std::string from;
    std::vector<std::string> to;
    std::string content;
    bool bdat;
    std::string body;
  };
  std::string big;
  for (int i = 0; i < 5000; ++i) big += i % 5 == 0 ? ".line\n" : "..line " + std::to_string(i) + "\r\n";
  const std::vector<Case> cases = {
      {"a@example.com", {"b@example.com", "unknown@example.com", "c@example.com"},
       "Subject: dots\r\n\r\n.\r\n..\r\n.x\nend", false, "7BIT"},
      {"", {"b@example.com"}, "", false, "7BIT"},
      {"jöran@example.com", {"用户@例子.广告"}, "caf\xc3\xa9 \xe2\x82\xac\n", false, "8BITMIME"},
      {"a@example.com", {"b@example.com"}, bytes("bin\0ary\r\rdata\n.\r\n"), false, "BINARYMIME"},
      {"a@example.com", {"b@example.com"}, big, true, "7BIT"},
      {"a@example.com", {"b@example.com"}, big, false, "7BIT"},
  };
  std::size_t delivered = 0;
  for (const Case& k : cases) {
    MessageOptions o;
    o.transfer = k.bdat ? Transfer::Bdat : Transfer::Data;
    l.client.begin_message(k.from, k.to, k.content, o);
    l.pump();
    CHECK(l.client.message_done());
    CHECK(l.client.result().ok);
    CHECK(l.client.ready());
    CHECK_EQ(l.h.messages.size(), ++delivered);
    if (l.h.messages.size() != delivered) break;
    const Delivered& d = l.h.messages.back();
    const bool binary = needs_binarymime(k.content);
    CHECK(d.message == (binary ? k.content : normalized(k.content)));
    CHECK_EQ(d.env.mail_from, k.from);
    CHECK_EQ(d.env.body, k.body);
    CHECK_EQ(d.env.chunked, k.bdat || binary);
    CHECK_EQ(d.env.smtputf8, k.body == "8BITMIME");
    CHECK_EQ(d.env.declared_size, d.message.size());
  }
  // The rejected recipient of the first message.
  // (Recorder refuses "unknown@...".)
  CHECK_EQ(l.h.messages.at(0).env.rcpt_to.size(), 2u);

  // Refusals travel back: sender blocked, all recipients unknown, content rejected.
  l.client.begin_message("spammer@example.com", {"b@example.com"}, "x");
  l.pump();
  CHECK(!l.client.result().ok);
  CHECK_EQ(l.client.result().mail.code, 550);
  l.client.begin_message("a@example.com", {"unknown@example.com"}, "x");
  l.pump();
  CHECK(!l.client.result().ok);
  CHECK_EQ(l.client.result().rcpts.at(0).second.enhanced, std::string("5.1.1"));
  l.client.begin_message("a@example.com", {"b@example.com"}, "REJECT-ME\n");
  l.pump();
  CHECK(!l.client.result().ok);
  CHECK_EQ(l.client.result().data.code, 554);
  CHECK(l.client.ready());
  l.client.begin_message("a@example.com", {"b@example.com"}, "after the refusals\n");
  l.pump();
  CHECK(l.client.result().ok);

  l.client.quit();
  l.pump();
  CHECK(l.client.closed());
  CHECK(l.server.closed());
  CHECK(!l.client.failed());
}

TEST(client_end_to_end_pipelined_batch) {
  ClientConfig ccfg;
  ccfg.max_in_flight = 4;
  ccfg.bdat_chunk_size = 100;
  Config scfg;
  scfg.max_errors = 1000;  // refusals on purpose
  Link l(scfg, ccfg);
  l.pump();
  CHECK(l.client.ready());
  struct Case {
    std::string from;
    std::vector<std::string> to;
    std::string content;
    bool ok;
  };
  std::vector<Case> cases;
  for (int i = 0; i < 40; ++i) {
    std::string content = "Subject: " + std::to_string(i) + "\r\n\r\n.dot\n";
    for (int k = 0; k < i * 7; ++k) content += "line " + std::to_string(k) + "\n";
    if (i % 10 == 3) cases.push_back({"spammer@example.com", {"b@example.com"}, content, false});
    else if (i % 10 == 5) cases.push_back({"a@example.com", {"unknown@example.com"}, content, false});
    else if (i % 10 == 7) cases.push_back({"a@example.com", {"b@example.com"}, "REJECT-ME\n", false});
    else cases.push_back({"a@example.com", {"b@example.com", "unknown@example.com"}, content, true});
  }
  std::vector<SendResult> results;
  std::size_t next = 0;
  for (int round = 0; round < 1000 && results.size() < cases.size(); ++round) {
    while (next < cases.size() && l.client.can_begin_message()) {
      const Case& k = cases[next];
      CHECK_EQ(l.client.begin_message(k.from, k.to, k.content), std::uint64_t(next + 1));
      ++next;
    }
    CHECK(l.client.in_flight() <= 4u);
    l.pump();
    while (auto r = l.client.next_result()) results.push_back(std::move(*r));
  }
  CHECK_EQ(results.size(), cases.size());
  std::size_t delivered = 0;
  for (std::size_t i = 0; i < results.size() && i < cases.size(); ++i) {
    CHECK_EQ(results[i].id, std::uint64_t(i + 1));
    CHECK_EQ(results[i].ok, cases[i].ok);
    if (cases[i].content == "REJECT-ME\n") {  // the Recorder sees it, then refuses it
      CHECK_EQ(results[i].data.code, 554);
      ++delivered;
    }
    if (!cases[i].ok) continue;
    CHECK_EQ(results[i].rcpts.at(1).second.code, 550);
    const Delivered& d = l.h.messages.at(delivered++);
    CHECK(d.message == normalized(cases[i].content));
    CHECK(d.env.chunked);
    CHECK_EQ(d.env.rcpt_to.size(), 1u);
  }
  CHECK_EQ(l.h.messages.size(), delivered);
  CHECK(l.client.ready());
  l.client.quit();
  l.pump();
  CHECK(l.client.closed());
  CHECK(!l.client.failed());
}

TEST(client_end_to_end_without_pipelining_and_size_limit) {
  Config s;
  s.pipelining = false;
  s.max_message_size = 100;
  s.eightbitmime = false;
  Link l(s, ClientConfig{});
  l.pump();
  CHECK(!l.client.extensions().pipelining);
  CHECK_EQ(l.client.extensions().size_limit, std::uint64_t{100});
  l.client.begin_message("a@example.com", {"b@example.com", "c@example.com"}, "..\n.\n");
  l.pump();
  CHECK(l.client.result().ok);
  CHECK_EQ(l.h.messages.at(0).message, std::string("..\r\n.\r\n"));
  l.client.begin_message("a@example.com", {"b@example.com"}, std::string(200, 'x'));
  CHECK(l.client.message_done());
  CHECK(!l.client.result().ok);
  l.client.begin_message("a@example.com", {"b@example.com"}, "\xe2\x82\xac");
  CHECK(l.client.result().error.find("8BITMIME") != std::string::npos);
  CHECK(l.client.ready());
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
