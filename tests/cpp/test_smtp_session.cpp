// Byte-level tests of the SMTP server state machine, reading like the textbook
// transcript (see smtp_conversation.hpp for the harness).
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "smtp_conversation.hpp"

// ------------------------------------------------------------ happy paths ----

TEST(greeting_and_ehlo) {
  Conversation t;
  ehlo(t);
  t.no_more_replies();
  CHECK(t.s->state() == State::Ready);
  CHECK(t.s->envelope().esmtp);
  CHECK_EQ(t.s->envelope().helo, std::string("client.example"));
}

TEST(textbook_helo_transaction) {
  Conversation t;
  t.script(R"(
    S: 220 localhost ESMTP mailroom
    C: HELO crepes.fr
    S: 250 localhost
    C: MAIL FROM:<alice@crepes.fr>
    S: 250 2.1.0 Ok
    C: RCPT TO:<bob@hamburger.edu>
    S: 250 2.1.5 Ok
    C: DATA
    S: 354 End data with <CR><LF>.<CR><LF>
    C: Do you like ketchup?
    C: How about pickles?
    C: .
    S: 250 2.0.0 Ok: queued
    C: QUIT
    S: 221 2.0.0 Bye
  )");
  t.no_more_replies();
  CHECK(t.s->closed());
  CHECK(t.outputs.back().close_after);
  CHECK_EQ(t.h.messages.size(), 1u);
  CHECK_EQ(t.h.messages[0].message, std::string("Do you like ketchup?\r\nHow about pickles?\r\n"));
  CHECK_EQ(t.h.messages[0].env.mail_from, std::string("alice@crepes.fr"));
  CHECK_EQ(t.h.messages[0].env.rcpt_to.size(), 1u);
  CHECK_EQ(t.h.messages[0].env.helo, std::string("crepes.fr"));
  CHECK(!t.h.messages[0].env.esmtp);
}

TEST(many_messages_per_connection) {
  Conversation t;
  ehlo(t);
  for (int k = 0; k < 3; ++k) {
    t.script(R"(
      C: MAIL FROM:<a@example.com>
      S: 250 2.1.0 Ok
      C: RCPT TO:<b@example.com>
      S: 250 2.1.5 Ok
      C: RCPT TO:<c@example.com>
      S: 250 2.1.5 Ok
      C: DATA
      S: 354 End data with <CR><LF>.<CR><LF>
      C: Subject: hi
      C:
      C: body
      C: .
      S: 250 2.0.0 Ok: queued
    )");
  }
  CHECK_EQ(t.h.messages.size(), 3u);
  CHECK_EQ(t.h.messages[2].env.rcpt_to.size(), 2u);
  CHECK_EQ(t.s->messages_accepted(), 3u);
  CHECK(t.s->state() == State::Ready);
}

TEST(dot_unstuffing_and_empty_message) {
  Conversation t;
  ehlo(t);
  t.raw("MAIL FROM:<>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
  t.script("S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 354 ...");
  t.raw("..leading dot\r\n..\r\n...\r\n. \r\nx.\r\n.\r\n");
  t.S("250 2.0.0 Ok: queued");
  CHECK_EQ(t.h.messages.at(0).message, std::string(".leading dot\r\n.\r\n..\r\n \r\nx.\r\n"));
  CHECK_EQ(t.h.messages.at(0).env.mail_from, std::string());
  t.raw("MAIL FROM:<>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n.\r\n");
  t.script("S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 354 ...\nS: 250 2.0.0 Ok: queued");
  CHECK_EQ(t.h.messages.at(1).message, std::string());
}

TEST(data_keeps_binary_and_dot_cr_not_lf) {
  Conversation t;
  ehlo(t);
  t.raw("MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n");
  t.script("S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 354 ...");
  t.raw(bytes("a\0b\r\n.\r.x\r\n\xff\r\n.\r\r\n.\r\n"));
  t.S("250 2.0.0 Ok: queued");
  t.no_more_replies();  // nothing after the terminator
  CHECK_EQ(t.h.messages.at(0).message, bytes("a\0b\r\n\r.x\r\n\xff\r\n\r\r\n"));
}

// Dot-stuffing then unstuffing gives back the original, for a large message
// with many lines that start with dots.
TEST(dot_stuffing_round_trip) {
  std::string original;
  std::uint32_t x = 7;
  for (int line = 0; line < 20000; ++line) {
    x = x * 1103515245u + 12345u;
    const std::size_t len = (x >> 16) % 90;
    std::string l;
    for (std::size_t k = 0; k < len; ++k) {
      x = x * 1103515245u + 12345u;
      const char alphabet[] = "..\r\n\0abcXYZ \x80";
      l.push_back(alphabet[(x >> 16) % (sizeof alphabet - 1)]);
    }
    // No CRLF inside a line; a leading "." is stuffed.
    std::string clean;
    for (std::size_t k = 0; k < l.size(); ++k)
      if (!(l[k] == '\r' && k + 1 < l.size() && l[k + 1] == '\n')) clean.push_back(l[k]);
    if (!clean.empty() && clean.back() == '\r') clean.pop_back();
    original += clean + "\r\n";
  }
  std::string stuffed;
  bool bol = true;
  for (std::size_t k = 0; k < original.size(); ++k) {
    if (bol && original[k] == '.') stuffed.push_back('.');
    stuffed.push_back(original[k]);
    bol = original[k] == '\n' && k > 0 && original[k - 1] == '\r';
  }
  Conversation t;
  ehlo(t);
  t.raw("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
  t.script("S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 354 ...");
  t.raw(stuffed + ".\r\n");
  t.S("250 2.0.0 Ok: queued");
  CHECK_EQ(t.h.messages.size(), 1u);
  CHECK(t.h.messages.at(0).message == original);
}

TEST(pipelining_replies_in_order) {
  Conversation t;
  t.S("220 localhost ESMTP mailroom");
  t.raw("EHLO c.example\r\nMAIL FROM:<a@example.com> SIZE=100 BODY=8BITMIME\r\n"
        "RCPT TO:<b@example.com>\r\nRCPT TO:<unknown@example.com>\r\nRCPT TO:<c@example.com>\r\n"
        "DATA\r\nhello\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\nNOOP\r\n");
  t.script(kEhlo);
  t.script(R"(
    S: 250 2.1.0 Ok
    S: 250 2.1.5 Ok
    S: 550 5.1.1 No such user
    S: 250 2.1.5 Ok
    S: 354 End data with <CR><LF>.<CR><LF>
    S: 250 2.0.0 Ok: queued
    S: 250 2.0.0 Ok
    S: 250 2.0.0 Ok
    S: 221 2.0.0 Bye
  )");
  t.no_more_replies();
  CHECK_EQ(t.h.messages.at(0).env.rcpt_to.size(), 2u);
  CHECK_EQ(t.h.messages.at(0).env.body, std::string("8BITMIME"));
  CHECK_EQ(t.h.messages.at(0).env.declared_size, 100u);
}

// ------------------------------------------------------------- smuggling ----

// RFC 5321 §4.1.1.4: only CRLF "." CRLF ends the data. Each of these would end
// the message for a lax server, and the pipelined commands after it would
// create a second, smuggled message.
TEST(smuggling_is_not_possible) {
  // {what the client sends, what it is after dot-unstuffing}
  const std::pair<const char*, const char*> ends[] = {
      {"\n.\n", "\n.\n"},       {"\n.\r\n", "\n.\r\n"},   {"\r.\r\n", "\r.\r\n"},
      {"\r\n.\n", "\r\n\n"},    {"\r\n.\r\r\n", "\r\n\r\r\n"}, {"\r\n.\r", "\r\n\r"}};
  for (const auto& [end, unstuffed] : ends) {
    Conversation t;
    ehlo(t);
    t.raw("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    t.script("S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 354 ...");
    const std::string tail =
        "MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\nsmuggled\r\n";
    t.raw(std::string("first message\r\n") + end + tail);
    t.no_more_replies();
    CHECK(t.s->state() == State::Data);
    t.raw(".\r\n");
    t.S("250 2.0.0 Ok: queued");
    t.no_more_replies();
    CHECK_EQ(t.h.messages.size(), 1u);
    CHECK_EQ(t.h.messages.at(0).message, std::string("first message\r\n") + unstuffed + tail);
    CHECK_EQ(t.h.messages.at(0).env.mail_from, std::string("a@example.com"));
  }
}

TEST(bare_newlines_rejected_when_configured) {
  Config c;
  c.reject_bare_newlines = true;
  for (const char* body : {"a\nb\r\n", "a\rb\r\n", "a\r", "x\r\r\n"}) {
    Conversation t(c);
    ehlo(t);
    t.raw("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    t.script("S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 354 ...");
    t.raw(std::string(body) + "\r\n.\r\n");
    t.S("554 5.6.0 Error: message has a bare CR or LF");
    CHECK(t.h.messages.empty());
  }
  Conversation t(c);
  ehlo(t);
  t.raw("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\nclean\r\n\r\n.\r\n");
  t.script("S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 354 ...\nS: 250 2.0.0 Ok: queued");
}

TEST(bare_lf_and_cr_in_commands) {
  Conversation t;
  ehlo(t);
  t.raw("NOOP\n");
  t.S("500 5.5.2 Error: bare LF received; command lines must end with CRLF");
  t.raw("NO\rOP\r\n");
  t.S("500 5.5.2 Error: bare CR received");
  // A bare LF inside what looks like MAIL does not execute it.
  t.raw("MAIL FROM:<a@example.com>\nRCPT TO:<b@example.com>\r\n");
  t.S("500 5.5.2 ...");
  t.S("503 5.5.1 Error: need MAIL command");
  CHECK(t.s->state() == State::Ready);
}

// ---------------------------------------------------------------- limits ----

TEST(command_line_limit) {
  Conversation t;
  ehlo(t);
  t.C("NOOP " + std::string(505, 'x'));  // 512 octets with CRLF
  t.S("250 2.0.0 Ok");
  t.C("NOOP " + std::string(506, 'x'));  // 513
  t.S("500 5.5.6 Error: line too long");
  t.raw("MAIL FROM:<" + std::string(5000, 'a'));
  CHECK(t.s->buffered_bytes() <= 512);
  t.raw(std::string(100000, 'b'));
  CHECK(t.s->buffered_bytes() <= 512);
  t.no_more_replies();
  t.raw("@example.com>\r\nNOOP\r\n");
  t.S("500 5.5.6 Error: line too long");
  t.S("250 2.0.0 Ok");
  CHECK(t.s->state() == State::Ready);
}

TEST(text_line_limit_accept_mode) {
  Conversation t;
  ehlo(t);
  t.raw("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
  t.script("S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 354 ...");
  const std::string longline(5000, 'y');
  t.raw(longline + "\r\n.\r\n");
  t.S("250 2.0.0 Ok: queued");
  CHECK_EQ(t.h.messages.at(0).message, longline + "\r\n");
}

TEST(text_line_limit_reject_mode) {
  Config c;
  c.reject_long_lines = true;
  Conversation t(c);
  ehlo(t);
  t.raw("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
  t.script("S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 354 ...");
  t.raw(std::string(998, 'y') + "\r\n." + std::string(997, 'z') + "\r\n.\r\n");  // 1000 each
  t.S("250 2.0.0 Ok: queued");
  t.raw("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
  t.script("S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 354 ...");
  t.raw(std::string(999, 'y') + "\r\n.\r\n");  // 1001 octets
  t.S("554 5.6.0 Error: message has a line longer than 1000 octets");
  CHECK_EQ(t.h.messages.size(), 1u);
  CHECK(t.s->state() == State::Ready);
}

TEST(recipient_cap) {
  Config c;
  c.max_recipients = 3;
  c.max_errors = 2;  // 452 for too many recipients does not count as an error
  Conversation t(c);
  ehlo(t);
  t.C("MAIL FROM:<a@example.com>");
  t.S("250 2.1.0 Ok");
  for (int k = 0; k < 3; ++k) {
    t.C("RCPT TO:<r" + std::to_string(k) + "@example.com>");
    t.S("250 2.1.5 Ok");
  }
  for (int k = 0; k < 3; ++k) {
    t.C("RCPT TO:<x@example.com>");
    t.S("452 4.5.3 Error: too many recipients");
  }
  t.script("C: DATA\nS: 354 ...\nC: hi\nC: .\nS: 250 2.0.0 Ok: queued");
  CHECK_EQ(t.h.messages.at(0).env.rcpt_to.size(), 3u);
  CHECK(!t.s->closed());
}

TEST(size_checked_at_mail) {
  Conversation t;
  ehlo(t);
  t.script(R"(
    C: MAIL FROM:<a@example.com> SIZE=33554433
    S: 552 5.3.4 Error: message size exceeds fixed maximum message size
    C: MAIL FROM:<a@example.com> SIZE=99999999999999999999999
    S: 501 5.5.4 Error: bad SIZE parameter
    C: MAIL FROM:<a@example.com> SIZE=abc
    S: 501 5.5.4 Error: bad SIZE parameter
    C: MAIL FROM:<a@example.com> SIZE=33554432
    S: 250 2.1.0 Ok
  )");
}

TEST(size_in_flight) {
  Config c;
  c.max_message_size = 100;
  Conversation t(c);
  t.S("220 ...");
  t.C("EHLO x");
  t.S("250-localhost");
  t.S("250-PIPELINING");
  t.S("250-SIZE 100");
  t.S("250-...");
  t.S("250-...");
  t.S("250-...");
  t.S("250-...");
  t.S("250-...");
  t.S("250 BINARYMIME");
  t.raw("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
  t.script("S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 354 ...");
  for (int k = 0; k < 100; ++k) {
    t.raw(std::string(98, 'z') + "\r\n");
    CHECK(t.s->buffered_bytes() <= 100);
  }
  t.no_more_replies();
  t.raw(".\r\n");
  t.S("552 5.3.4 Error: message size exceeds fixed maximum message size");
  CHECK(t.h.messages.empty());
  // Exactly the limit is fine; the next transaction works.
  t.raw("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
  t.script("S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 354 ...");
  t.raw(std::string(98, 'z') + "\r\n.\r\n");
  t.S("250 2.0.0 Ok: queued");
  CHECK_EQ(t.h.messages.at(0).message.size(), 100u);
}

TEST(error_cap_closes_with_421) {
  Config c;
  c.max_errors = 3;
  Conversation t(c);
  t.S("220 ...");
  t.raw("FOO\r\nBAR\r\nMAIL FROM:<a@b.c>\r\nNOOP\r\n");
  t.script(R"(
    S: 500 5.5.2 Error: command not recognized
    S: 500 5.5.2 Error: command not recognized
    S: 503 5.5.1 Error: send HELO/EHLO first
    S: 421 4.7.0 localhost Error: too many errors
  )");
  t.no_more_replies();
  CHECK(t.s->closed());
  CHECK(t.outputs.back().close_after);
  CHECK(t.s->state() == State::Closed);
}

TEST(default_error_cap_is_ten) {
  Conversation t;
  t.S("220 ...");
  for (int k = 0; k < 10; ++k) t.C("XYZZY");
  for (int k = 0; k < 10; ++k) t.S("500 5.5.2 Error: command not recognized");
  t.S("421 4.7.0 localhost Error: too many errors");
  CHECK(t.s->closed());
}

// ------------------------------------------------------------------ BDAT ----

TEST(bdat_chunks) {
  Conversation t;
  ehlo(t);
  t.raw("MAIL FROM:<a@example.com> BODY=BINARYMIME\r\nRCPT TO:<b@example.com>\r\n");
  t.script("S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok");
  const std::string chunk1 = bytes("MAIL FROM:<x@y.z>\r\n.\r\n\0\n");
  t.raw("BDAT " + std::to_string(chunk1.size()) + "\r\n" + chunk1);
  t.S("250 2.0.0 Ok: 24 octets received");
  CHECK(t.s->state() == State::Bdat);
  t.raw("BDAT 7 LAST\r\n\r\nend\r\n");
  t.S("250 2.0.0 Ok: queued");
  t.no_more_replies();
  CHECK_EQ(t.h.messages.at(0).message, chunk1 + "\r\nend\r\n");
  CHECK(t.h.messages.at(0).env.chunked);
  CHECK_EQ(t.h.messages.at(0).env.body, std::string("BINARYMIME"));
  CHECK(t.s->state() == State::Ready);
}

TEST(bdat_zero_last_and_pipelined) {
  Conversation t;
  ehlo(t);
  t.raw("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 3\r\nabcBDAT 0\r\n"
        "BDAT 2\r\ndeBDAT 0 last\r\nNOOP\r\n");
  t.script(R"(
    S: 250 2.1.0 Ok
    S: 250 2.1.5 Ok
    S: 250 2.0.0 Ok: 3 octets received
    S: 250 2.0.0 Ok: 0 octets received
    S: 250 2.0.0 Ok: 2 octets received
    S: 250 2.0.0 Ok: queued
    S: 250 2.0.0 Ok
  )");
  CHECK_EQ(t.h.messages.at(0).message, std::string("abcde"));
}

TEST(bdat_errors_still_consume_the_chunk) {
  Conversation t;
  ehlo(t);
  t.raw("BDAT 12\r\nNOOP\r\nNOOP\r\nNOOP\r\n");
  t.S("503 5.5.1 Error: need MAIL command");
  t.S("250 2.0.0 Ok");
  t.raw("MAIL FROM:<a@example.com>\r\nBDAT 6 LAST\r\nRSET\r\n");
  t.script("S: 250 2.1.0 Ok\nS: 554 5.5.1 Error: no valid recipients");
  t.script(R"(
    C: RSET
    S: 250 2.0.0 Ok
  )");
  CHECK(t.h.messages.empty());
}

// A chunk size that does not parse leaves nothing to resynchronize on: the
// chunk's octets would be read as commands. 501 and close.
TEST(bdat_bad_size_closes) {
  for (const char* bad : {"BDAT x", "BDAT 1 FIRST", "BDAT", "BDAT 123456789012345678901",
                          "BDAT -1 LAST"}) {
    Conversation t;
    ehlo(t);
    t.C(bad);
    t.S("501 5.5.4 Syntax: BDAT chunk-size [LAST]; closing");
    CHECK(t.s->closed());
  }
}

TEST(bdat_and_data_do_not_mix) {
  Conversation t;
  ehlo(t);
  t.raw("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 2\r\nabDATA\r\n"
        "MAIL FROM:<c@example.com>\r\nRCPT TO:<d@example.com>\r\nBDAT 1 LAST\r\nc");
  t.script(R"(
    S: 250 2.1.0 Ok
    S: 250 2.1.5 Ok
    S: 250 2.0.0 Ok: 2 octets received
    S: 503 5.5.1 Error: DATA not allowed during BDAT transfer
    S: 503 5.5.1 Error: nested MAIL command
    S: 503 5.5.1 Error: RCPT not allowed during BDAT transfer
    S: 250 2.0.0 Ok: queued
  )");
  CHECK_EQ(t.h.messages.at(0).message, std::string("abc"));
  CHECK_EQ(t.h.messages.at(0).env.mail_from, std::string("a@example.com"));
  // BODY=BINARYMIME cannot use DATA.
  t.script(R"(
    C: MAIL FROM:<a@example.com> BODY=BINARYMIME
    S: 250 2.1.0 Ok
    C: RCPT TO:<b@example.com>
    S: 250 2.1.5 Ok
    C: DATA
    S: 503 5.5.1 Error: BODY=BINARYMIME needs BDAT
  )");
}

TEST(bdat_size_limit) {
  Config c;
  c.max_message_size = 10;
  Conversation t(c);
  t.S("220 ...");
  t.C("HELO x");
  t.S("250 localhost");
  t.raw("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 8\r\n12345678");
  t.script("S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok\nS: 250 2.0.0 Ok: 8 octets received");
  t.raw("BDAT 5\r\n12345");
  t.S("552 5.3.4 Error: message size exceeds fixed maximum message size");
  t.raw("BDAT 2 LAST\r\nxy");
  t.S("503 5.5.1 Error: need MAIL command");
  CHECK(t.h.messages.empty());
}

// A chunk larger than any message may be (BDAT 18446744073709551615) would
// otherwise be read and thrown away for as long as the client sends: 552 and
// close, before a single octet of it is read.
TEST(bdat_chunk_over_the_limit_closes) {
  for (const char* size : {"11", "1000000", "18446744073709551615", "99999999999999999999"}) {
    Config c;
    c.max_message_size = 10;
    Conversation t(c);
    t.S("220 ...");
    t.C("HELO x");
    t.S("250 localhost");
    t.raw("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n");
    t.script("S: 250 2.1.0 Ok\nS: 250 2.1.5 Ok");
    t.C(std::string("BDAT ") + size + " LAST");
    t.S("552 5.3.4 Error: chunk larger than the maximum message size (10); closing");
    CHECK(t.s->closed());
    CHECK(t.h.messages.empty());
  }
}

TEST(chunking_disabled) {
  Config c;
  c.chunking = false;
  Conversation t(c);
  t.S("220 ...");
  t.C("EHLO x");
  t.script(R"(
    S: 250-localhost
    S: 250-PIPELINING
    S: 250-SIZE 33554432
    S: 250-8BITMIME
    S: 250-SMTPUTF8
    S: 250-ENHANCEDSTATUSCODES
    S: 250 DSN
    C: MAIL FROM:<a@example.com> BODY=BINARYMIME
    S: 501 5.5.4 Error: bad BODY parameter
  )");
  t.raw("BDAT 6\r\nNOOP\r\n");
  t.S("502 5.5.1 Error: command not implemented");
  t.no_more_replies();
}

// -------------------------------------------------------------- SMTPUTF8 ----

TEST(smtputf8) {
  Conversation t;
  ehlo(t);
  t.script(R"(
    C: MAIL FROM:<δοκιμή@παράδειγμα.δοκιμή>
    S: 553 5.6.7 Error: non-ASCII sender address needs SMTPUTF8
    C: MAIL FROM:<a@example.com>
    S: 250 2.1.0 Ok
    C: RCPT TO:<用户@例子.广告>
    S: 553 5.6.7 Error: non-ASCII recipient address needs SMTPUTF8
    C: RSET
    S: 250 2.0.0 Ok
    C: MAIL FROM:<δοκιμή@παράδειγμα.δοκιμή> SMTPUTF8
    S: 250 2.1.0 Ok
    C: RCPT TO:<用户@例子.广告>
    S: 250 2.1.5 Ok
    C: DATA
    S: 354 ...
    C: Subject: ünïcödé
    C: .
    S: 250 2.0.0 Ok: queued
    C: MAIL FROM:<a@example.com> SMTPUTF8=yes
    S: 501 5.5.4 Error: bad SMTPUTF8 parameter
  )");
  t.C("MAIL FROM:<\xff@example.com> SMTPUTF8");
  t.S("553 5.1.7 Error: sender address is not valid UTF-8");
  CHECK(t.h.messages.at(0).env.smtputf8);
  CHECK_EQ(t.h.messages.at(0).env.rcpt_to.at(0), std::string("用户@例子.广告"));
}

TEST(smtputf8_disabled) {
  Config c;
  c.smtputf8 = false;
  Conversation t(c);
  t.S("220 ...");
  t.C("EHLO x");
  for (int k = 0; k < 7; ++k) t.S("250-...");
  t.S("250 BINARYMIME");
  t.script(R"(
    C: MAIL FROM:<a@example.com> SMTPUTF8
    S: 555 5.5.4 Error: MAIL parameter SMTPUTF8 not recognized or not implemented
  )");
}

// ------------------------------------------------------ MAIL/RCPT syntax ----

TEST(mail_and_rcpt_syntax) {
  Config c;
  c.max_errors = 100;
  Conversation t(c);
  ehlo(t);
  t.script(R"(
    C: MAIL FROM:a@example.com
    S: 501 5.5.4 Syntax: MAIL FROM:<address>
    C: MAIL FROM:<a@example.com
    S: 501 5.5.4 Syntax: MAIL FROM:<address>
    C: MAIL TO:<a@example.com>
    S: 501 5.5.4 Syntax: MAIL FROM:<address>
    C: MAIL FROM:<a@example.com>junk
    S: 501 5.5.4 Error: bad parameter syntax
    C: MAIL FROM:<a@-bad-.com>
    S: 501 5.1.7 Error: bad sender address syntax
    C: MAIL FROM:<a..b@example.com>
    S: 501 5.1.7 Error: bad sender address syntax
    C: MAIL FROM:<nodomain>
    S: 501 5.1.7 Error: bad sender address syntax
    C: MAIL FROM:<a@example.com> XYZ=1
    S: 555 5.5.4 Error: MAIL parameter XYZ not recognized or not implemented
    C: MAIL FROM:<a@example.com> BODY=9BIT
    S: 501 5.5.4 Error: bad BODY parameter
    C: mail from: <@relay1.example,@relay2.example:a@example.com> body=7bit
    S: 250 2.1.0 Ok
    C: MAIL FROM:<b@example.com>
    S: 503 5.5.1 Error: nested MAIL command
    C: RCPT TO:<>
    S: 501 5.1.3 Error: bad recipient address syntax
    C: RCPT TO:b@example.com
    S: 501 5.5.4 Syntax: RCPT TO:<address>
    C: RCPT TO:<b@example.com> X-TEST=1
    S: 555 5.5.4 Error: RCPT parameter X-TEST not recognized or not implemented
    C: rcpt to:<Postmaster>
    S: 250 2.1.5 Ok
    C: RCPT TO:<"john doe>"@example.com>
    S: 250 2.1.5 Ok
    C: RCPT TO:<[192.0.2.1]@x>
    S: 501 5.1.3 Error: bad recipient address syntax
    C: RCPT TO:<u@[192.0.2.1]>
    S: 250 2.1.5 Ok
    C: DATA
    S: 354 ...
    C: .
    S: 250 2.0.0 Ok: queued
  )");
  const Envelope& e = t.h.messages.at(0).env;
  CHECK_EQ(e.mail_from, std::string("a@example.com"));
  CHECK_EQ(e.rcpt_to.size(), 3u);
  CHECK_EQ(e.rcpt_to.at(1), std::string("\"john doe>\"@example.com"));
  CHECK_EQ(e.body, std::string("7BIT"));
}

TEST(params_need_ehlo) {
  Conversation t;
  t.script(R"(
    S: 220 ...
    C: HELO x
    S: 250 localhost
    C: MAIL FROM:<a@example.com> SIZE=10
    S: 555 5.5.4 Error: MAIL parameters need EHLO
  )");
}

TEST(command_sequence_errors) {
  Conversation t;
  t.script(R"(
    S: 220 ...
    C: MAIL FROM:<a@example.com>
    S: 503 5.5.1 Error: send HELO/EHLO first
    C: RCPT TO:<a@example.com>
    S: 503 5.5.1 Error: need MAIL command
    C: DATA
    S: 503 5.5.1 Error: need MAIL command
    C: HELO
    S: 501 Syntax: HELO hostname
    C: EHLO
    S: 501 Syntax: EHLO hostname
    C: HELO x
    S: 250 localhost
    C: MAIL FROM:<a@example.com>
    S: 250 2.1.0 Ok
    C: DATA
    S: 554 5.5.1 Error: no valid recipients
    C: RCPT TO:<b@example.com>
    S: 250 2.1.5 Ok
  )");
  CHECK(t.s->state() == State::Rcpt);
  t.script(R"(
    C: DATA extra
    S: 501 5.5.4 Syntax: DATA
    C: HELO again
    S: 250 localhost
  )");
  CHECK(t.s->state() == State::Ready);  // HELO resets the transaction
  CHECK_EQ(t.s->envelope().helo, std::string("again"));
}

TEST(other_commands) {
  Conversation t;
  ehlo(t);
  t.script(R"(
    C: MAIL FROM:<a@example.com>
    S: 250 2.1.0 Ok
    C: RSET
    S: 250 2.0.0 Ok
    C: RSET now
    S: 501 5.5.4 Syntax: RSET
    C: RCPT TO:<b@example.com>
    S: 503 5.5.1 Error: need MAIL command
    C: VRFY bob
    S: 252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery
    C: VRFY
    S: 501 5.5.4 Syntax: VRFY address
    C: noop whatever
    S: 250 2.0.0 Ok
    C: HELP
    S: 214-2.0.0 Commands supported:
    S: 214 2.0.0 HELO EHLO MAIL RCPT DATA BDAT RSET VRFY NOOP HELP QUIT
    C: EXPN staff
    S: 502 5.5.1 Error: command not implemented
    C: STARTTLS
    S: 502 5.5.1 Error: command not implemented
  )");
  CHECK_EQ(t.s->error_count(), 5u);
  t.script(R"(
    C:
    S: 500 5.5.2 Error: command not recognized
    C: QUIT now
    S: 501 5.5.4 Syntax: QUIT
    C: quit
    S: 221 2.0.0 Bye
  )");
  t.raw("NOOP\r\n");
  t.no_more_replies();
}

TEST(help_disabled_and_no_enhanced_codes) {
  Config c;
  c.help = false;
  c.enhancedstatuscodes = false;
  Conversation t(c);
  t.script(R"(
    S: 220 localhost ESMTP mailroom
    C: EHLO x
    S: 250-localhost
    S: 250-PIPELINING
    S: 250-SIZE 33554432
    S: 250-8BITMIME
    S: 250-SMTPUTF8
    S: 250-DSN
    S: 250-CHUNKING
    S: 250 BINARYMIME
    C: HELP
    S: 502 Error: HELP not implemented
    C: MAIL FROM:<a@example.com>
    S: 250 Ok
  )");
}

// ------------------------------------------------------------- handlers ----

TEST(handler_decisions) {
  Conversation t;
  ehlo(t);
  t.script(R"(
    C: MAIL FROM:<spammer@example.com>
    S: 550 5.7.1 Sender blocked
    C: MAIL FROM:<slow@example.com>
    S: 250 2.1.0 Ok
    C: RCPT TO:<unknown@example.com>
    S: 550 5.1.1 No such user
    C: RCPT TO:<throw@example.com>
    S: 451 4.3.0 Error: local error in processing
    C: RCPT TO:<custom@example.com>
    S: 251 2.1.5 User not local; will forward
    C: DATA
    S: 354 ...
    C: REJECT-ME
    C: .
    S: 554 5.7.1 Content rejected
    C: EHLO blocked.example
    S: 550 Go away
  )");
  bool delayed = false;
  for (const Output& o : t.outputs) delayed |= (o.delay_ms == 1500 && o.code == 250);
  CHECK(delayed);
  CHECK_EQ(t.s->messages_accepted(), 0u);
  t.script(R"(
    C: MAIL FROM:<a@example.com>
    S: 250 2.1.0 Ok
    C: RCPT TO:<bye@example.com>
    S: 421 4.7.0 localhost Error: closing transmission channel
  )");
  CHECK(t.s->closed());
}

struct Refuser : Recorder {
  Decision on_connect(std::string_view) override { return Decision::reject(554, "", "No thanks"); }
};

TEST(connect_refused) {
  Config c;
  Refuser h;
  ServerSession s(c, h, "peer");
  CHECK_EQ(s.greeting().bytes, std::string("554 No thanks\r\n"));
  std::vector<Output> out;
  s.feed("EHLO x\r\nMAIL FROM:<a@b.c>\r\nQUIT\r\n", out);
  CHECK_EQ(out.size(), 3u);
  CHECK_EQ(out.at(0).bytes, std::string("503 5.5.1 Error: service not available, send QUIT\r\n"));
  CHECK_EQ(out.at(2).bytes, std::string("221 2.0.0 Bye\r\n"));
  CHECK(s.closed());
}

struct Verifier : Recorder {
  Decision on_connect(std::string_view peer) override {
    if (peer == "banned") return Decision::disconnect();
    return {};
  }
  Decision on_vrfy(std::string_view arg) override {
    if (arg == "bob") {
      Decision d;
      d.reply = Reply(250, "2.1.5", "Bob <bob@example.com>");
      return d;
    }
    return Decision::reject(550, "5.1.1", "No such user here");
  }
};

TEST(vrfy_enabled_and_custom_greeting) {
  Config c;
  c.vrfy = true;
  c.hostname = "mx.example.org";
  c.greeting_text = "ESMTP ready";
  Verifier h;
  ServerSession s(c, h, "192.0.2.7");
  CHECK_EQ(s.greeting().bytes, std::string("220 mx.example.org ESMTP ready\r\n"));
  std::vector<Output> out;
  s.feed("VRFY bob\r\nVRFY alice\r\nHELO x\r\n", out);
  CHECK_EQ(out.size(), 3u);
  CHECK_EQ(out.at(0).bytes, std::string("250 2.1.5 Bob <bob@example.com>\r\n"));
  CHECK_EQ(out.at(1).bytes, std::string("550 5.1.1 No such user here\r\n"));
  CHECK_EQ(out.at(2).bytes, std::string("250 mx.example.org\r\n"));
  ServerSession banned(c, h, "banned");
  const Output g = banned.greeting();
  CHECK_EQ(g.bytes, std::string("421 mx.example.org Service not available, closing transmission channel\r\n"));
  CHECK(g.close_after);
  CHECK(banned.closed());
  out.clear();
  banned.feed("EHLO x\r\n", out);
  CHECK(out.empty());
}

TEST(helo_rejected_by_handler) {
  Conversation t;
  t.script(R"(
    S: 220 ...
    C: HELO blocked.example
    S: 550 Go away
    C: MAIL FROM:<a@example.com>
    S: 503 5.5.1 Error: send HELO/EHLO first
  )");
  CHECK(t.s->state() == State::Connected);
}

TEST(timeout) {
  Conversation t;
  ehlo(t);
  std::vector<Output> out;
  t.s->on_timeout(out);
  CHECK_EQ(out.size(), 1u);
  CHECK_EQ(out.at(0).bytes, std::string("421 4.4.2 localhost Error: timeout exceeded\r\n"));
  CHECK(out.at(0).close_after);
  CHECK(t.s->closed());
  out.clear();
  t.s->on_timeout(out);
  CHECK(out.empty());
}

TEST(starttls_drops_injected_commands) {
  Config c;
  c.starttls = true;
  Conversation t(c);
  t.S("220 ...");
  t.C("EHLO x");
  for (int k = 0; k < 9; ++k) t.S("250-...");
  t.S("250 STARTTLS");
  t.split_invariant = false;
  t.raw("STARTTLS\r\nMAIL FROM:<evil@example.com>\r\n");
  t.S("220 2.0.0 Ready to start TLS");
  t.raw("RCPT TO:<evil@example.com>\r\n");  // still before the handshake
  t.no_more_replies();
  CHECK(t.outputs.back().start_tls);
  CHECK(t.s->state() == State::Connected);
  t.s->tls_established();
  t.script(R"(
    C: MAIL FROM:<a@example.com>
    S: 503 5.5.1 Error: send HELO/EHLO first
    C: STARTTLS
    S: 503 5.5.1 Error: TLS already active
  )");
}

// ------------------------------------------------------------- AUTH ----

Config auth_config() {
  Config c;
  c.auth = true;
  c.auth_cram_md5 = true;
  c.auth_failure_delay_ms = 0;
  c.max_transcript_bytes = 8192;
  return c;
}

void ehlo_auth(Conversation& t) {
  t.S("220 ...");
  t.C("EHLO x");
  for (int k = 0; k < 9; ++k) t.S("250-...");
  t.S("250 AUTH PLAIN LOGIN CRAM-MD5");
}

TEST(auth_plain_login_and_cram_md5) {
  // RFC 4616 §2 PLAIN with an initial response; base64("\0tim\0tanstaaftanstaaf").
  {
    Conversation t(auth_config());
    ehlo_auth(t);
    t.script(R"(
      C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm
      S: 235 2.7.0 Authentication successful
      C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm
      S: 503 5.5.1 Error: already authenticated
    )");
    CHECK_EQ(t.s->auth_user(), std::string("tim"));
    CHECK(t.s->transcript().find("dGFu") == std::string::npos);  // credentials masked
  }
  // PLAIN without an initial response: an empty 334 challenge.
  {
    Conversation t(auth_config());
    ehlo_auth(t);
    t.C("AUTH PLAIN");
    t.S("334 ");
    t.C("AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
    t.S("235 2.7.0 Authentication successful");
  }
  // LOGIN: "Username:" and "Password:" challenges.
  {
    Conversation t(auth_config());
    ehlo_auth(t);
    t.script(R"(
      C: AUTH LOGIN
      S: 334 VXNlcm5hbWU6
      C: dGlt
      S: 334 UGFzc3dvcmQ6
      C: dGFuc3RhYWZ0YW5zdGFhZg==
      S: 235 2.7.0 Authentication successful
    )");
    CHECK(t.s->transcript().find("dGFuc3") == std::string::npos);
  }
  // CRAM-MD5, the example of RFC 2195 §2.
  {
    Conversation t(auth_config());
    ehlo_auth(t);
    t.script(R"(
      C: AUTH CRAM-MD5
      S: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+
      C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw
      S: 235 2.7.0 Authentication successful
      C: MAIL FROM:<tim@example.com>
      S: 250 2.1.0 Ok
    )");
  }
}

TEST(auth_failures_and_errors) {
  Conversation t(auth_config());
  ehlo_auth(t);
  t.script(R"(
    C: AUTH
    S: 501 5.5.4 Syntax: AUTH mechanism [initial-response]
    C: AUTH GSSAPI
    S: 504 5.5.4 Unrecognized authentication type
    C: AUTH PLAIN !!!
    S: 501 5.5.2 Cannot decode response
    C: AUTH LOGIN
    S: 334 VXNlcm5hbWU6
    C: *
    S: 501 5.0.0 Authentication cancelled
    C: AUTH CRAM-MD5 dGlt
    S: 501 5.5.4 Error: CRAM-MD5 takes no initial response
    C: AUTH PLAIN AGJvb20AeA==
    S: 454 4.7.0 Temporary authentication failure
    C: AUTH PLAIN AHRpbQB3cm9uZw==
    S: 535 5.7.8 Authentication credentials invalid
    C: AUTH PLAIN AHRpbQB3cm9uZw==
    S: 535 5.7.8 Authentication credentials invalid
    C: AUTH PLAIN AHRpbQB3cm9uZw==
    S: 535 5.7.8 Authentication credentials invalid
    S: 421 4.7.0 localhost Too many failed logins, closing connection
  )");
  CHECK(t.s->closed());
}

TEST(auth_policy) {
  // Not offered and refused before TLS when clear text is not allowed.
  Config c = auth_config();
  c.plaintext_auth = false;
  c.starttls = true;
  c.auth_required = true;
  Conversation t(c);
  t.S("220 ...");
  t.C("EHLO x");
  for (int k = 0; k < 9; ++k) t.S("250-...");
  t.S("250 STARTTLS");
  t.script(R"(
    C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm
    S: 538 5.7.11 Encryption required for requested authentication mechanism
    C: MAIL FROM:<a@example.com>
    S: 530 5.7.0 Authentication required
  )");
  // HELO clients cannot AUTH; MAIL inside a transaction blocks it.
  Conversation h(auth_config());
  h.script(R"(
    S: 220 localhost ESMTP mailroom
    C: HELO x
    S: 250 localhost
    C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm
    S: 503 5.5.1 Error: send EHLO first
    C: EHLO x
  )");
  Config r = auth_config();
  r.require_tls = true;
  r.starttls = true;
  Conversation q(r);
  q.S("220 ...");
  q.C("EHLO x");
  for (int k = 0; k < 10; ++k) q.S("250-...");
  q.S("250 AUTH PLAIN LOGIN CRAM-MD5");
  q.script(R"(
    C: MAIL FROM:<a@example.com>
    S: 530 5.7.0 Must issue a STARTTLS command first
    C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm
    S: 530 5.7.0 Must issue a STARTTLS command first
  )");
}

// What a refused AUTH may be followed by is masked all the same: the lines a
// SASL exchange would be waiting for, and AUTH's arguments however separated.
TEST(auth_refused_then_credentials_are_masked) {
  Config c = auth_config();
  c.plaintext_auth = false;
  c.starttls = true;
  Conversation t(c);
  t.S("220 ...");
  t.C("EHLO x");
  for (int k = 0; k < 9; ++k) t.S("250-...");
  t.S("250 STARTTLS");
  t.script(R"(
    C: AUTH LOGIN
    S: 538 5.7.11 Encryption required for requested authentication mechanism
    C: dGltQGV4YW1wbGUub3Jn
    S: 500 5.5.2 Error: command not recognized
    C: c2VjcmV0LXB3
    S: 500 5.5.2 Error: command not recognized
    C: NOOP
    S: 250 2.0.0 Ok
  )");
  t.raw("AUTH\tPLAIN AHRpbQBzZWNyZXQtcHc=\r\n");
  t.S("500 5.5.2 Error: command not recognized");
  const std::string& tr = t.s->transcript();
  CHECK(tr.find("dGltQGV4YW1wbGUub3Jn") == std::string::npos);
  CHECK(tr.find("c2VjcmV0LXB3") == std::string::npos);
  CHECK(tr.find("AHRpbQBzZWNyZXQtcHc=") == std::string::npos);
  CHECK(tr.find("C: AUTH LOGIN") != std::string::npos);
  CHECK(tr.find("C: NOOP") != std::string::npos);  // a bare command after them shows
}

// RFC 5321 §4.1.1.1: EHLO/HELO take a domain or an address literal; what goes
// into Received: can hold no control characters and no "(...)".
TEST(helo_argument_must_be_a_domain_or_address_literal) {
  for (const char* ok : {"mx.example.org", "localhost", "[127.0.0.1]", "[IPv6:::1]",
                         "DESKTOP_01", "mx.example.org.", "b\xc3\xbc" "cher.example"}) {
    Conversation t;
    t.S("220 ...");
    t.C(std::string("HELO ") + ok);
    t.S("250 localhost");
  }
  for (const char* bad : {"n\x01ul\x1b[31m", "mx.bank.example ([10.1.2.3])", "a..b", "-a.b",
                          "[(10.1.2.3)]", "a b", "(x)", "[1.2.3.4"}) {
    Conversation t;
    t.S("220 ...");
    t.raw(std::string("EHLO ") + bad + "\r\n");
    t.S("501 5.5.4 Error: the argument must be a domain name or an address literal");
    t.C("MAIL FROM:<a@example.com>");
    t.S("503 5.5.1 Error: send HELO/EHLO first");
  }
}

// RFC 5321 §4.5.3.1: refused at RCPT (not later at DATA for everyone).
TEST(path_lengths_are_checked_at_mail_and_rcpt) {
  Conversation t;
  ehlo(t);
  const std::string local65(65, 'L'), local64(64, 'L');
  const std::string domain256 = std::string(251, 'd') + ".test";
  t.C("MAIL FROM:<" + local65 + "@example.org>");
  t.S("501 5.1.7 Error: bad sender address: the local part is longer than 64 octets (RFC 5321 "
      "4.5.3.1.1)");
  t.C("MAIL FROM:<a@example.org>");
  t.S("250 2.1.0 Ok");
  t.C("RCPT TO:<" + std::string(300, 'L') + "@example.org>");
  t.S("501 5.1.3 Error: bad recipient address: the local part is longer than 64 octets (RFC "
      "5321 4.5.3.1.1)");
  t.C("RCPT TO:<x@" + domain256 + ">");
  t.S("501 5.1.3 ...");
  t.C("RCPT TO:<" + local64 + "@example.org>");
  t.S("250 2.1.5 Ok");
  const std::string label(60, 'e');
  t.C("RCPT TO:<" + local64 + "@" + label + "." + label + "." + label + "." +
      std::string(10, 'f') + ">");
  t.S("501 5.1.3 Error: bad recipient address: the path is longer than 256 octets (RFC 5321 "
      "4.5.3.1.3)");
}

TEST(auth_long_lines) {
  // RFC 4954 §4: AUTH lines may reach 12288 octets; past that, 500 5.5.6.
  Conversation t(auth_config());
  ehlo_auth(t);
  t.C("AUTH PLAIN " + std::string(1000, 'A'));
  t.S("501 5.5.2 Invalid PLAIN response");
  t.C("AUTH LOGIN");
  t.S("334 VXNlcm5hbWU6");
  t.C(std::string(20000, 'A'));
  t.S("500 5.5.6 Authentication Exchange line is too long");
  t.C("NOOP");
  t.S("250 2.0.0 Ok");
}

TEST(implicit_tls_session) {
  Config c = auth_config();
  c.starttls = true;
  c.plaintext_auth = false;
  Recorder h;
  ServerSession s(c, h, "192.0.2.1:1234");
  s.tls_established();  // before the greeting: an implicit-TLS listener
  s.greeting();
  std::vector<Output> out;
  s.feed("EHLO x\r\nSTARTTLS\r\n", out);
  CHECK_EQ(out.size(), 2u);
  CHECK(out[0].bytes.find("STARTTLS") == std::string::npos);
  CHECK(out[0].bytes.find("AUTH PLAIN") != std::string::npos);
  CHECK_EQ(out[1].code, 503);
  CHECK(s.envelope().tls);
}

// ----------------------------------------------------------- transcript ----

TEST(transcript) {
  Config c;
  c.max_transcript_bytes = 4096;
  Conversation t(c);
  t.S("220 ...");
  t.raw("HELO x\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
  t.raw(std::string(1234, 'm') + "\r\n.\r\nQUIT\r\n");
  const std::string want =
      "S: 220 localhost ESMTP mailroom\n"
      "C: HELO x\n"
      "S: 250 localhost\n"
      "C: MAIL FROM:<a@example.com>\n"
      "S: 250 2.1.0 Ok\n"
      "C: RCPT TO:<b@example.com>\n"
      "S: 250 2.1.5 Ok\n"
      "C: DATA\n"
      "S: 354 End data with <CR><LF>.<CR><LF>\n"
      "C: <message data: 1236 octets>\n"
      "C: .\n"
      "S: 250 2.0.0 Ok: queued\n"
      "C: QUIT\n"
      "S: 221 2.0.0 Bye\n";
  CHECK_EQ(t.s->transcript(), want);
  CHECK(!t.s->transcript_truncated());
}

TEST(transcript_summarizes_bdat) {
  Config c;
  c.max_transcript_bytes = 4096;
  Conversation t(c);
  t.raw("EHLO x\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 4 LAST\r\nab\r\n");
  const std::string& tr = t.s->transcript();
  CHECK(tr.find("C: BDAT 4 LAST\nC: <chunk data: 4 octets>\nS: 250 2.0.0 Ok: queued\n") !=
        std::string::npos);
  CHECK(tr.find("ab") == std::string::npos);
}

TEST(transcript_is_capped) {
  Config c;
  c.max_transcript_bytes = 200;
  Conversation t(c);
  for (int k = 0; k < 100; ++k) t.C("NOOP \x01 bell");
  CHECK(t.s->transcript().size() <= 200);
  CHECK(t.s->transcript_truncated());
  CHECK(t.s->transcript().find("C: NOOP \\x01 bell\n") != std::string::npos);
  const std::string& tr = t.s->transcript();
  CHECK_EQ(tr.substr(tr.size() - 23), std::string("[transcript truncated]\n"));
  Conversation off;  // default: no transcript
  off.C("NOOP");
  CHECK(off.s->transcript().empty());
}

// ------------------------------------------------------------ pure parts ----

TEST(reply_wire) {
  CHECK_EQ(Reply(250, "2.0.0", "Ok").wire(), std::string("250 2.0.0 Ok\r\n"));
  CHECK_EQ(Reply(250, "", std::vector<std::string>{"a", "b"}).wire(),
           std::string("250-a\r\n250 b\r\n"));
  CHECK_EQ(Reply(550, "5.0.0", "x\r\n250 injected").wire(),
           std::string("550 5.0.0 x  250 injected\r\n"));
  CHECK_EQ(Reply(7, "", "bad code").wire(), std::string("451 bad code\r\n"));
  CHECK_EQ(Reply().wire(), std::string("451 \r\n"));
}

TEST(utf8_validation) {
  CHECK(valid_utf8("plain"));
  CHECK(valid_utf8("δοκιμή 用户 \xf0\x9f\x93\xa7"));
  CHECK(!valid_utf8("\xc0\xaf"));          // overlong
  CHECK(!valid_utf8("\xed\xa0\x80"));      // surrogate
  CHECK(!valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  CHECK(!valid_utf8("\xe2\x82"));          // truncated
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
