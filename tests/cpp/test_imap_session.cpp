// Byte-level tests of the IMAP server state machine, reading like the RFC's
// transcripts (see imap_conversation.hpp for the harness).
#include <string>

#include "imap_conversation.hpp"
#include "mailroom/mime/codecs.hpp"

// ------------------------------------------------------------ happy paths ----

TEST(textbook_session) {
  Conversation t(three_messages);
  t.script(R"(
    S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE CHILDREN SPECIAL-USE CONDSTORE QRESYNC ESEARCH SEARCHRES LIST-EXTENDED LIST-STATUS STATUS=SIZE SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY MULTIAPPEND UTF8=ACCEPT NOTIFY CATENATE APPENDLIMIT=67108864 AUTH=PLAIN AUTH=LOGIN] localhost IMAP4rev1 server ready
    C: a1 LOGIN bob secret
    S: a1 OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE CHILDREN SPECIAL-USE CONDSTORE QRESYNC ESEARCH SEARCHRES LIST-EXTENDED LIST-STATUS STATUS=SIZE SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY MULTIAPPEND UTF8=ACCEPT NOTIFY CATENATE APPENDLIMIT=67108864] Logged in
    C: a2 SELECT inbox
    S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
    S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
    S: * 3 EXISTS
    S: * 3 RECENT
    S: * OK [UNSEEN 1] First unseen
    S: * OK [UIDVALIDITY ...
    S: * OK [UIDNEXT 4] Predicted next UID
    S: * OK [HIGHESTMODSEQ ...
    S: a2 OK [READ-WRITE] SELECT completed
    C: a3 FETCH 1:* (UID FLAGS INTERNALDATE)
    S: * 1 FETCH (UID 1 FLAGS (\Recent) INTERNALDATE "01-Jan-2024 10:00:00 +0000")
    S: * 2 FETCH (UID 2 FLAGS (\Seen \Recent) INTERNALDATE "01-Jan-2024 10:00:00 +0000")
    S: * 3 FETCH (UID 3 FLAGS (\Recent) INTERNALDATE "01-Feb-2024 10:00:00 +0000")
    S: a3 OK FETCH completed
    C: a4 STORE 1 +FLAGS (\Deleted)
    S: * 1 FETCH (FLAGS (\Deleted \Recent))
    S: a4 OK STORE completed
    C: a5 SEARCH UNSEEN
    S: * SEARCH 1 3
    S: a5 OK SEARCH completed
    C: a6 EXPUNGE
    S: * 1 EXPUNGE
    S: a6 OK EXPUNGE completed
    C: a7 UID SEARCH ALL
    S: * SEARCH 2 3
    S: a7 OK SEARCH completed
    C: a7b SEARCH NEW
    S: * SEARCH 2
    S: a7b OK SEARCH completed
    C: a7c STATUS INBOX (RECENT MESSAGES)
    S: * STATUS "INBOX" (RECENT 0 MESSAGES 2)
    S: a7c OK STATUS completed
    C: a8 LOGOUT
    S: * BYE localhost IMAP4rev1 server logging out
    S: a8 OK LOGOUT completed
  )");
  t.no_more_replies();
  CHECK(t.s->closed());
  CHECK(t.outputs.back().close_after);
  CHECK_EQ(t.st->messages(kBob, "INBOX").size(), 2u);
}

TEST(fetch_body_sections) {
  Conversation t(three_messages);
  t.select_inbox();
  const std::string m1 = message("one");
  t.C("b1 FETCH 1 (RFC822.SIZE BODY.PEEK[HEADER.FIELDS (Subject)])");
  t.S("* 1 FETCH (RFC822.SIZE " + std::to_string(m1.size()) +
      " BODY[HEADER.FIELDS (SUBJECT)] {16}");
  t.script(R"(
    S: Subject: one
    S:
    S: )
    S: b1 OK FETCH completed
    C: b2 FETCH 1 BODY[TEXT]<1.3>
    S: * 1 FETCH (FLAGS (\Seen \Recent) BODY[TEXT]<1> {3}
    S: ell)
    S: b2 OK FETCH completed
    C: b3 UID FETCH 3 (BODY.PEEK[1] ENVELOPE)
    S: * 3 FETCH (UID 3 BODY[1] {7}
    S: third
    S:  ENVELOPE ("Mon, 1 Jan 2024 10:00:00 +0000" "three" (("Alice" NIL "alice" "example.test")) (("Alice" NIL "alice" "example.test")) (("Alice" NIL "alice" "example.test")) ((NIL NIL "bob" "example.test")) NIL NIL NIL "<three@example.test>"))
    S: b3 OK FETCH completed
    C: b4 FETCH 2 BODYSTRUCTURE
    S: * 2 FETCH (BODYSTRUCTURE ("TEXT" "PLAIN" ("charset" "us-ascii") NIL NIL "7BIT" 13 1 NIL NIL NIL NIL))
    S: b4 OK FETCH completed
    C: b5 FETCH 2 BODY[]
  )");
  const std::string m2 = message("two", "second body\r\n", "Carol <carol@example.test>");
  t.S("* 2 FETCH (BODY[] {" + std::to_string(m2.size()) + "}");
  t.S("From: Carol <carol@example.test>");
  // The whole message came from the store's own string.
  const Output& whole = t.outputs.at(t.outputs.size() - 2);
  CHECK(whole.body != nullptr);
  CHECK_EQ(whole.tail, std::string_view(")\r\n"));
}

TEST(multipart_structure_and_parts) {
  Conversation t([](store::MailStore& st) {
    st.append(kBob, "INBOX",
              "From: a@example.test\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
              "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
              "preamble\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n"
              "--b\r\nContent-Type: application/pdf; name=x.pdf\r\n"
              "Content-Disposition: attachment; filename=x.pdf\r\n"
              "Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n");
  });
  t.select_inbox();
  t.script(R"(
    C: c1 FETCH 1 BODYSTRUCTURE
    S: * 1 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" ("charset" "utf-8") NIL NIL "7BIT" 2 0 NIL NIL NIL NIL)("APPLICATION" "PDF" ("name" "x.pdf") NIL NIL "BASE64" 8 NIL ("attachment" ("filename" "x.pdf")) NIL NIL) "MIXED" ("boundary" "b") NIL NIL NIL))
    S: c1 OK FETCH completed
    C: c2 FETCH 1 (BODY.PEEK[2.MIME] BODY.PEEK[2])
    S: * 1 FETCH (BODY[2.MIME] {129}
    S: Content-Type: application/pdf; name=x.pdf
    S: Content-Disposition: attachment; filename=x.pdf
    S: Content-Transfer-Encoding: base64
    S:
    S:  BODY[2] {8}
    S: JVBERg==)
    S: c2 OK FETCH completed
    C: c3 FETCH 1 BODY.PEEK[3]
    S: * 1 FETCH (BODY[3] "")
    S: c3 OK FETCH completed
    C: c4 SEARCH BODY HI
    S: * SEARCH 1
    S: c4 OK SEARCH completed
  )");
}

TEST(append_with_literals) {
  Conversation t;
  t.login();
  const std::string m = "Subject: new\r\n\r\nbody\r\n";
  t.C("d1 APPEND Drafts (\\Draft $Label) \"05-Mar-2024 09:30:00 +0100\" {" +
      std::to_string(m.size()) + "}");
  t.S("+ Ready for literal data");
  t.raw(m + "\r\n");
  t.S("d1 OK [APPENDUID ...");
  t.C("d2 APPEND INBOX {" + std::to_string(m.size()) + "+}");
  t.raw(m + "\r\n");
  t.S("d2 OK [APPENDUID ...");
  t.script(R"(
    C: d3 APPEND Nowhere {1+}
    C: x
    S: d3 NO [TRYCREATE] No such mailbox
    C: d4 APPEND INBOX {0}
    S: + Ready for literal data
    C:
    S: d4 NO [CANNOT] An empty message is not stored
    C: d5 APPEND INBOX (\Recent \Bogus) {1+}
    C: x
    S: d5 BAD not a system flag...
  )");
  const auto drafts = t.st->messages(kBob, "Drafts");
  CHECK_EQ(drafts.size(), 1u);
  CHECK_EQ(drafts.at(0)->internal_date, 1709627400);  // 08:30 UTC
  CHECK_EQ(int(drafts.at(0)->flags), int(store::kDraft));
  CHECK_EQ(t.st->messages(kBob, "INBOX").size(), 1u);
  CHECK_EQ(t.s->messages_appended(), 2u);
}

TEST(folders_list_create_rename_delete) {
  Conversation t;
  t.login();
  t.script(R"(
    C: e1 CREATE Work/2024/
    S: e1 OK CREATE completed
    C: e2 CREATE work/2024
    S: e2 OK CREATE completed
    C: e3 CREATE Work/2024
    S: e3 NO [ALREADYEXISTS] Mailbox exists
    C: e4 LIST "" *
    S: * LIST (\HasNoChildren \Archive) "/" "Archive"
    S: * LIST (\HasNoChildren \Drafts) "/" "Drafts"
    S: * LIST (\HasNoChildren) "/" "INBOX"
    S: * LIST (\HasNoChildren \Junk) "/" "Junk"
    S: * LIST (\HasNoChildren \Sent) "/" "Sent"
    S: * LIST (\HasNoChildren \Trash) "/" "Trash"
    S: * LIST (\HasChildren) "/" "Work"
    S: * LIST (\HasNoChildren) "/" "Work/2024"
    S: * LIST (\HasChildren) "/" "work"
    S: * LIST (\HasNoChildren) "/" "work/2024"
    S: e4 OK LIST completed
    C: e5 LIST "" %
    S: * LIST (\HasNoChildren \Archive) "/" "Archive"
    S: * LIST (\HasNoChildren \Drafts) "/" "Drafts"
    S: * LIST (\HasNoChildren) "/" "INBOX"
    S: * LIST (\HasNoChildren \Junk) "/" "Junk"
    S: * LIST (\HasNoChildren \Sent) "/" "Sent"
    S: * LIST (\HasNoChildren \Trash) "/" "Trash"
    S: * LIST (\HasChildren) "/" "Work"
    S: * LIST (\HasChildren) "/" "work"
    S: e5 OK LIST completed
    C: e6 LIST Work %
    S: * LIST (\HasNoChildren) "/" "Work/2024"
    S: e6 OK LIST completed
    C: e7 LIST "" ""
    S: * LIST (\Noselect) "/" ""
    S: e7 OK LIST completed
    C: e8 RENAME Work/2024 Work/2025
    S: e8 OK RENAME completed
    C: e9 RENAME Nope Other
    S: e9 NO [NONEXISTENT] No such mailbox
    C: e10 DELETE INBOX
    S: e10 NO [CANNOT] ...
    C: e11 DELETE Work/2025
    S: e11 OK DELETE completed
    C: e12 DELETE Work/2025
    S: e12 NO [NONEXISTENT] No such mailbox
    C: e13 SUBSCRIBE Sent
    S: e13 OK SUBSCRIBE completed
    C: e14 LSUB "" *
    S: * LSUB () "/" "Sent"
    S: e14 OK LSUB completed
    C: e15 STATUS Sent (MESSAGES UIDNEXT UNSEEN)
    S: * STATUS "Sent" (MESSAGES 0 UIDNEXT 1 UNSEEN 0)
    S: e15 OK STATUS completed
    C: e16 CREATE ../../etc
    S: e16 NO [CANNOT] ...
    C: e17 SELECT ../x
    S: e17 NO [CANNOT] ...
    C: e18 NAMESPACE
    S: * NAMESPACE (("" "/")) NIL NIL
    S: e18 OK NAMESPACE completed
  )");
}

TEST(copy_and_move_with_uidplus) {
  Conversation t(three_messages);
  t.select_inbox();
  t.script(R"(
    C: f1 UID COPY 1:2 Archive
    S: f1 OK [COPYUID V 1:2 1:2] COPY completed
    C: f2 MOVE 3 Trash
    S: * OK [COPYUID V 3 1] Moved
    S: * 3 EXPUNGE
    S: f2 OK MOVE completed
    C: f3 COPY 1 Nowhere
    S: f3 NO [TRYCREATE] No such mailbox
    C: f4 COPY 9 Archive
    S: f4 BAD Invalid sequence number (no such message)
    C: f5 UID MOVE 7:9 Archive
    S: f5 OK MOVE completed (no messages)
  )");
  CHECK_EQ(t.st->messages(kBob, "Archive").size(), 2u);
  CHECK_EQ(t.st->messages(kBob, "Trash").size(), 1u);
  CHECK_EQ(t.st->messages(kBob, "INBOX").size(), 2u);
}

TEST(search_keys) {
  Conversation t(three_messages);
  t.select_inbox();
  t.script(R"(
    C: g1 SEARCH FROM carol
    S: * SEARCH 2
    S: g1 OK SEARCH completed
    C: g2 SEARCH OR SUBJECT one SUBJECT three
    S: * SEARCH 1 3
    S: g2 OK SEARCH completed
    C: g3 SEARCH NOT SEEN SINCE 15-Jan-2024
    S: * SEARCH 3
    S: g3 OK SEARCH completed
    C: g4 SEARCH CHARSET UTF-8 (BODY "SECOND") 1:*
    S: * SEARCH 2
    S: g4 OK SEARCH completed
    C: g5 SEARCH BEFORE 1-Feb-2024 ON 1-Jan-2024
    S: * SEARCH 1 2
    S: g5 OK SEARCH completed
    C: g6 SEARCH HEADER Message-ID <two@ LARGER 10 SMALLER 100000
    S: * SEARCH 2
    S: g6 OK SEARCH completed
    C: g7 SEARCH CHARSET KOI8-R ALL
    S: g7 NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset
    C: g8 SEARCH BOGUS
    S: g8 BAD Unknown search key BOGUS
    C: g9 SEARCH (SEEN
    S: g9 BAD ...
    C: g10 UID SEARCH UID 2:* KEYWORD $x
    S: * SEARCH
    S: g10 OK SEARCH completed
    C: g11 SEARCH SENTON 1-Jan-2024 TEXT alice
    S: * SEARCH 1 3
    S: g11 OK SEARCH completed
  )");
}

// ------------------------------------------------------------- logins ----

TEST(authenticate_plain_and_login) {
  Conversation t;
  t.script(R"(
    S: * OK [CAPABILITY ...
    C: h1 AUTHENTICATE PLAIN AGJvYgB3cm9uZw==
    S: h1 NO [AUTHENTICATIONFAILED] Authentication failed
    C: h2 AUTHENTICATE LOGIN
    S: + VXNlcm5hbWU6
    C: Ym9i
    S: + UGFzc3dvcmQ6
    C: *
    S: h2 BAD Authentication cancelled
    C: h3 AUTHENTICATE PLAIN
    S: + ...
    C: AGJvYgBzZWNyZXQ=
    S: h3 OK [CAPABILITY ...
    C: h4 LOGIN bob secret
    S: h4 BAD Already authenticated
  )");
  CHECK_EQ(t.s->account(), std::string(kBob));
}

TEST(authenticate_cram_md5) {
  Config c = test_config();
  c.auth_cram_md5 = true;
  Conversation t({}, c);
  const std::string challenge = "<1896.697170952@postoffice.example.net>";
  const std::string response =
      mailroom::mime::base64_encode("bob " + mailroom::cram_md5_digest(challenge, "secret"), 0);
  t.S("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE "
      "CHILDREN SPECIAL-USE CONDSTORE QRESYNC ESEARCH SEARCHRES LIST-EXTENDED LIST-STATUS STATUS=SIZE SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY MULTIAPPEND UTF8=ACCEPT NOTIFY CATENATE APPENDLIMIT=67108864 AUTH=PLAIN AUTH=LOGIN AUTH=CRAM-MD5] localhost "
      "IMAP4rev1 server ready");
  t.script(R"(
    C: c1 AUTHENTICATE CRAM-MD5 Ym9i
    S: c1 BAD CRAM-MD5 takes no initial response
    C: c2 AUTHENTICATE CRAM-MD5
    S: + PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+
    C: Ym9iIDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw
    S: c2 NO [AUTHENTICATIONFAILED] Authentication failed
    C: c3 AUTHENTICATE CRAM-MD5
    S: + PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+
    C: Ym9iIG5vdGhleA==
    S: c3 BAD Invalid CRAM-MD5 response
  )");
  // mutt sends a space and nothing after it: no initial response (as
  // Dovecot reads it), not an empty one.
  t.C("c4 AUTHENTICATE CRAM-MD5 ");
  t.S("+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+");
  t.C(response);
  t.S("c4 OK [CAPABILITY ...");
  CHECK(t.s->state() == State::Authenticated);
}

TEST(login_failures_close) {
  Conversation t;
  t.script(R"(
    S: * OK ...
    C: i1 LOGIN bob wrong
    S: i1 NO [AUTHENTICATIONFAILED] Authentication failed
    C: i2 LOGIN down x
    S: i2 NO [UNAVAILABLE] Temporary authentication failure
    C: i3 LOGIN thrower x
    S: i3 NO [UNAVAILABLE] Temporary authentication failure
    C: i4 LOGIN "bob" {5}
    S: + Ready for literal data
    C: wrong
    S: i4 NO [AUTHENTICATIONFAILED] Authentication failed
    C: i5 LOGIN bob wrong
    S: i5 NO [AUTHENTICATIONFAILED] Authentication failed
    S: * BYE Too many authentication failures
  )");
  t.no_more_replies();
  CHECK(t.s->closed());
}

TEST(logindisabled_outside_tls) {
  Config c = test_config();
  c.plaintext_auth = false;
  c.starttls = true;
  Conversation t({}, c);
  t.split_invariant = false;  // STARTTLS: the handshake comes between feeds
  t.script(R"(
    S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE CHILDREN SPECIAL-USE CONDSTORE QRESYNC ESEARCH SEARCHRES LIST-EXTENDED LIST-STATUS STATUS=SIZE SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY MULTIAPPEND UTF8=ACCEPT NOTIFY CATENATE APPENDLIMIT=67108864 STARTTLS LOGINDISABLED] localhost IMAP4rev1 server ready
    C: j1 LOGIN bob secret
    S: j1 NO [PRIVACYREQUIRED] Plaintext authentication is not allowed without TLS
    C: j2 AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=
    S: j2 NO [PRIVACYREQUIRED] Plaintext authentication is not allowed without TLS
  )");
  // Pipelined after STARTTLS: dropped, never run (CVE-2011-0411).
  t.raw("j3 STARTTLS\r\nj4 LOGIN bob secret\r\n");
  t.S("j3 OK Begin TLS negotiation now");
  t.no_more_replies();
  CHECK(t.outputs.back().start_tls);
  t.s->tls_established();
  t.script(R"(
    C: j5 CAPABILITY
    S: * CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE CHILDREN SPECIAL-USE CONDSTORE QRESYNC ESEARCH SEARCHRES LIST-EXTENDED LIST-STATUS STATUS=SIZE SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY MULTIAPPEND UTF8=ACCEPT NOTIFY CATENATE APPENDLIMIT=67108864 AUTH=PLAIN AUTH=LOGIN
    S: j5 OK CAPABILITY completed
    C: j6 LOGIN bob secret
    S: j6 OK [CAPABILITY ...
  )");
}

// --------------------------------------------------------------- bad input ----

TEST(bad_input_answers) {
  Config c = test_config();
  c.max_errors = 0;
  Conversation t(three_messages, c);
  t.script(R"(
    S: * OK ...
    C: +bad
    S: * BAD Invalid tag
    C: k1
    S: k1 BAD Missing command
    C: k2 FROB
    S: k2 BAD Unknown command FROB
    C: k3 SELECT INBOX
    S: k3 BAD Log in first
    C: k4 FETCH 1 FLAGS
    S: k4 BAD Log in first
    C: k5 LOGIN bob secret
    S: k5 OK ...
    C: k6 FETCH 1 FLAGS
    S: k6 BAD No mailbox selected
    C: k7 SELECT INBOX
    S: * FLAGS ...
    S: * OK [PERMANENTFLAGS ...
    S: * 3 EXISTS
    S: * 3 RECENT
    S: * OK [UNSEEN 1] First unseen
    S: * OK [UIDVALIDITY ...
    S: * OK [UIDNEXT 4] Predicted next UID
    S: * OK [HIGHESTMODSEQ ...
    S: k7 OK [READ-WRITE] SELECT completed
    C: k8 FETCH 0 FLAGS
    S: k8 BAD Expected a number from 1 to 4294967295
    C: k9 FETCH 4 FLAGS
    S: k9 BAD Invalid sequence number (no such message)
    C: k10 FETCH 1:* (FLAGS
    S: k10 BAD ...
    C: k11 FETCH 1 BODY[4.HEADERX]
    S: k11 BAD Invalid section HEADERX
    C: k12 FETCH $ FLAGS
    S: k12 OK FETCH completed
    C: k13 STORE 1 FLAGS (\Recent2)
    S: k13 BAD ...
  )");
  // 8-bit octets outside a literal, in a session without UTF8=ACCEPT.
  t.C("k14 SELECT \"caf\xe9\"");
  t.S("k14 BAD 8-bit octet in a quoted string (use a literal)");
  t.C("k15 SELECT caf\xe9");
  t.S("k15 BAD Unexpected text after the arguments");
  t.C("k16 FETCH 1 (FLAGS))");
  t.S("k16 BAD Unexpected text after the arguments");
  t.C("k17 SEARCH ((SEEN)");
  t.S("k17 BAD ...");
  t.C("k18 FETCH *:* FLAGS");
  t.S("* 3 FETCH (FLAGS (\\Recent))");
  t.S("k18 OK FETCH completed");
  t.C("k19 NOOP");
  t.S("k19 OK NOOP completed");
  CHECK_EQ(t.st->messages(kBob, "INBOX").size(), 3u);
}

TEST(oversized_lines_and_literals) {
  Config c = test_config();
  c.max_command_line = 100;
  c.max_command_size = 300;
  c.max_literal = 1000;
  Conversation t({}, c);
  t.login();
  t.C("l1 NOOP " + std::string(200, 'x'));
  t.S("l1 BAD [TOOBIG] Line too long");
  t.C(std::string(300, 'y'));
  t.S("* BYE Line too long");
  t.no_more_replies();
  CHECK(t.s->closed());

  Conversation u({}, c);
  u.login();
  u.script(R"(
    C: m1 LOGIN {400}
    S: m1 NO [TOOBIG] Literal too big
    C: m2 APPEND INBOX {1001}
    S: m2 NO [TOOBIG] Literal too big
    C: m3 NOOP
    S: m3 OK NOOP completed
    C: m4 APPEND INBOX {5000+}
    S: m4 BAD [TOOBIG] Literal too big
    S: * BYE [TOOBIG] Literal too big, closing
  )");
  u.no_more_replies();
  CHECK(u.s->closed());
  CHECK(u.st->messages(kBob, "INBOX").empty());
}

// Found by fuzz_imap_session: the tag of an overlong line or of a refused
// literal must not depend on how the bytes arrived, nor be anything but a tag.
TEST(tags_of_refused_lines) {
  Config c = test_config();
  c.max_command_line = 40;
  c.max_literal = 10;
  c.max_command_size = 100;
  Conversation t({}, c);
  t.S("* OK ...");
  t.C("a2" + std::string(50, 'F') + " NOOP");  // its space comes after the limit
  t.S("* BYE Line too long");
  Conversation u({}, c);
  u.S("* OK ...");
  u.raw("\r\tbb {200}\r\n");  // no tag: a CR and a tab where it should be
  u.S("* BYE [TOOBIG] Literal too big, closing");
  u.no_more_replies();
}

TEST(too_many_errors_bye) {
  Config c = test_config();
  c.max_errors = 3;
  Conversation t({}, c);
  t.script(R"(
    S: * OK ...
    C: n1 X
    S: n1 BAD Unknown command X
    C: n2 X
    S: n2 BAD Unknown command X
    C: n3 X
    S: n3 BAD Unknown command X
    S: * BYE Too many errors
    C: n4 NOOP
  )");
  t.no_more_replies();
}

TEST(pipelined_commands_answer_in_order) {
  Conversation t(three_messages);
  t.login();
  t.raw("p1 SELECT INBOX\r\np2 FETCH 1 UID\r\np3 NOOP\r\np4 LOGOUT\r\n");
  while (t.pos < t.replies.size() && t.replies.compare(t.pos, 3, "p1 ") != 0) t.S("...");
  t.script(R"(
    S: p1 OK [READ-WRITE] SELECT completed
    S: * 1 FETCH (UID 1)
    S: p2 OK FETCH completed
    S: p3 OK NOOP completed
    S: * BYE ...
    S: p4 OK LOGOUT completed
  )");
  t.no_more_replies();
}

TEST(reply_rules_answer_instead_of_the_command) {
  Conversation t(three_messages);
  t.split_invariant = false;  // the rules change between commands
  t.select_inbox();
  t.h->ruled = "UID STORE";
  t.h->rule.status = "NO";
  t.h->rule.text = "[UNAVAILABLE] Try later";
  t.script(R"(
    C: v1 UID STORE 1 +FLAGS (\Deleted)
    S: v1 NO [UNAVAILABLE] Try later
    C: v2 STORE 1 +FLAGS (\Flagged)
    S: * 1 FETCH (FLAGS (\Flagged \Recent))
    S: v2 OK STORE completed
  )");
  CHECK_EQ(int(t.st->by_uid(kBob, "INBOX", 1)->flags), int(store::kFlagged));  // not \Deleted
  t.h->ruled = "NOOP";
  t.h->rule = {};
  t.h->rule.delay_ms = 250;  // only a delay: the command runs, its output waits
  t.C("v3 NOOP");
  t.S("v3 OK NOOP completed");
  CHECK_EQ(t.outputs.back().delay_ms, 250u);
  t.h->rule.disconnect = true;
  t.C("v4 NOOP");
  t.no_more_replies();
  CHECK(t.outputs.back().close_after && t.outputs.back().bytes.empty());
  CHECK(t.s->closed());
}

// ------------------------------------------------------ modified UTF-7 ----

TEST(folder_names_in_modified_utf7) {
  Conversation t;
  t.login();
  // RFC 3501 §5.1.3: UTF-8 in the store, modified UTF-7 on the wire.
  t.script(R"(
    C: u1 CREATE Entw&APw-rfe/&ZeVnLIqe-
    S: u1 OK CREATE completed
    C: u2 LIST Entw&APw-rfe *
    S: * LIST (\HasNoChildren) "/" "Entw&APw-rfe/&ZeVnLIqe-"
    S: u2 OK LIST completed
    C: u3 CREATE Q&-A
    S: u3 OK CREATE completed
    C: u4 STATUS "Q&-A" (MESSAGES)
    S: * STATUS "Q&-A" (MESSAGES 0)
    S: u4 OK STATUS completed
    C: u5 CREATE &AGE-
    S: u5 BAD Invalid mailbox name...
    C: u6 SELECT &U,BTFw
    S: u6 BAD Invalid mailbox name...
  )");
  CHECK(t.st->status(kBob, "Entw\xc3\xbcrfe/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e").uidnext == 1);
  CHECK(t.st->status(kBob, "Q&A").messages == 0);
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
