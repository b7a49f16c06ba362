// Byte-level tests of ESEARCH (RFC 4731), SEARCHRES (RFC 5182) and the
// IMAP4rev2 session rules (RFC 9051 Appendix E) that ENABLE IMAP4rev2 turns
// on (see imap_conversation.hpp for the harness).
#include <string>

#include "imap_conversation.hpp"

// RFC 4731 §3.1: RETURN (MIN MAX ALL COUNT); RETURN () is ALL; with no
// match only COUNT is left.
TEST(esearch_return_options) {
  Conversation t(three_messages);
  t.select_inbox();
  t.script(R"(
    C: s1 SEARCH RETURN (MIN MAX COUNT) UNSEEN
    S: * ESEARCH (TAG "s1") MIN 1 MAX 3 COUNT 2
    S: s1 OK SEARCH completed
    C: s2 UID SEARCH RETURN () ALL
    S: * ESEARCH (TAG "s2") UID ALL 1:3
    S: s2 OK SEARCH completed
    C: s3 SEARCH RETURN (ALL COUNT MIN) KEYWORD $Nothing
    S: * ESEARCH (TAG "s3") COUNT 0
    S: s3 OK SEARCH completed
    C: s4 SEARCH RETURN (ALL) CHARSET UTF-8 OR 1 3
    S: * ESEARCH (TAG "s4") ALL 1,3
    S: s4 OK SEARCH completed
    C: s5 SEARCH RETURN (FIRST) ALL
    S: s5 BAD Unknown SEARCH return option FIRST
    C: s6 SEARCH RETURN MIN ALL
    S: s6 BAD ...
    C: s7 SEARCH UNSEEN
    S: * SEARCH 1 3
    S: s7 OK SEARCH completed
  )");
  t.no_more_replies();
}

// RFC 5182: SAVE keeps the result as "$" for later commands (as a sequence
// set and in SEARCH); SAVE alone answers no ESEARCH; an expunged message
// leaves it; SELECT and a failed SEARCH ... SAVE empty it.
TEST(searchres_saved_result) {
  Conversation t(three_messages);
  t.select_inbox();
  t.script(R"(
    C: r1 SEARCH RETURN (SAVE) UNSEEN
    S: r1 OK SEARCH completed
    C: r2 FETCH $ (UID)
    S: * 1 FETCH (UID 1)
    S: * 3 FETCH (UID 3)
    S: r2 OK FETCH completed
    C: r3 UID SEARCH RETURN (COUNT SAVE) $ SUBJECT three
    S: * ESEARCH (TAG "r3") UID COUNT 1
    S: r3 OK SEARCH completed
    C: r4 UID FETCH $ (UID)
    S: * 3 FETCH (UID 3)
    S: r4 OK FETCH completed
    C: r5 SEARCH RETURN (SAVE MIN MAX) ALL
    S: * ESEARCH (TAG "r5") MIN 1 MAX 3
    S: r5 OK SEARCH completed
    C: r6 SEARCH UID $
    S: * SEARCH 1 3
    S: r6 OK SEARCH completed
    C: r7 STORE $ +FLAGS.SILENT (\Deleted)
    S: r7 OK STORE completed
    C: r8 UID EXPUNGE 1
    S: * 1 EXPUNGE
    S: r8 OK EXPUNGE completed
    C: r9 FETCH $ (UID)
    S: * 2 FETCH (UID 3)
    S: r9 OK FETCH completed
    C: r10 SEARCH RETURN (SAVE) CHARSET KOI8-R ALL
    S: r10 NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset
    C: r11 FETCH $ (UID)
    S: r11 OK FETCH completed
    C: r12 SEARCH RETURN (SAVE) ALL
    S: r12 OK SEARCH completed
    C: r13 SEARCH RETURN (SAVE) NOSUCHKEY
    S: r13 BAD Unknown search key NOSUCHKEY
    C: r14 SEARCH $
    S: * SEARCH
    S: r14 OK SEARCH completed
    C: r15 SEARCH RETURN (SAVE) ALL
    S: r15 OK SEARCH completed
    C: r16 UNSELECT
    S: r16 OK UNSELECT completed
    C: r17 SELECT INBOX
  )");
  while (t.replies.compare(t.pos, 4, "r17 ") != 0) t.S("...");
  t.script(R"(
    S: r17 OK [READ-WRITE] SELECT completed
    C: r18 UID SEARCH UID $
    S: * SEARCH
    S: r18 OK SEARCH completed
    C: r19 FETCH $:4 (UID)
    S: r19 BAD ...
  )");
  t.no_more_replies();
}

// RFC 9051 Appendix E, as ENABLE IMAP4rev2 turns it on: no \Recent (no
// RECENT response, no flag, no UNSEEN code at SELECT); SEARCH answers with
// ESEARCH; SELECT names the mailbox in a LIST response (§6.3.2) and, of
// another mailbox, says CLOSED first; CAPABILITY lists both.
TEST(imap4rev2_session_rules) {
  Conversation t(three_messages);
  t.login();
  t.script(R"(
    C: v1 ENABLE IMAP4rev2
    S: * ENABLED IMAP4rev2
    S: v1 OK ENABLE completed
    C: v2 SELECT INBOX
    S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
    S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
    S: * 3 EXISTS
    S: * OK [UIDVALIDITY ...
    S: * OK [UIDNEXT 4] Predicted next UID
    S: * OK [HIGHESTMODSEQ 4] Highest
    S: * LIST (\HasNoChildren) "/" "INBOX"
    S: v2 OK [READ-WRITE] SELECT completed
    C: v3 FETCH 1:2 FLAGS
    S: * 1 FETCH (FLAGS ())
    S: * 2 FETCH (FLAGS (\Seen))
    S: v3 OK FETCH completed
    C: v4 SEARCH UNSEEN
    S: * ESEARCH (TAG "v4") ALL 1,3
    S: v4 OK SEARCH completed
    C: v5 UID SEARCH KEYWORD $Nothing
    S: * ESEARCH (TAG "v5") UID
    S: v5 OK SEARCH completed
    C: v5b SEARCH OR RECENT NEW
    S: v5b BAD IMAP4rev2 has no RECENT search key (RFC 9051 Appendix E)
    C: v5c SEARCH OLD
    S: v5c BAD IMAP4rev2 has no OLD search key (RFC 9051 Appendix E)
    C: v6 APPEND INBOX {5+}
    C: hello
    S: * 4 EXISTS
    S: v6 OK [APPENDUID V 4] APPEND completed
    C: v7 EXAMINE Sent
    S: * OK [CLOSED] Previous mailbox closed
    S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
    S: * OK [PERMANENTFLAGS ()] Read-only mailbox
    S: * 0 EXISTS
    S: * OK [UIDVALIDITY ...
    S: * OK [UIDNEXT 1] Predicted next UID
    S: * OK [HIGHESTMODSEQ 1] Highest
    S: * LIST (\HasNoChildren \Sent) "/" "Sent"
    S: v7 OK [READ-ONLY] EXAMINE completed
    C: v8 CAPABILITY
    S: * CAPABILITY IMAP4rev1 IMAP4rev2 ...
    S: v8 OK CAPABILITY completed
  )");
  t.no_more_replies();
  CHECK(t.s->imap4rev2());
}

// What only IMAP4rev1 has, refused once a session enabled IMAP4rev2 (RFC
// 9051 Appendix E; §6.3.11's status-att has no RECENT) and still answered
// for a rev1 session on the same server.
TEST(imap4rev1_only_commands_after_enable_imap4rev2) {
  Conversation t(three_messages);
  t.select_inbox();
  t.script(R"(
    C: r1 CHECK
    S: r1 OK CHECK completed
    C: r2 STATUS Sent (RECENT)
    S: * STATUS "Sent" (RECENT 0)
    S: r2 OK STATUS completed
    C: r3 FETCH 1 RFC822.HEADER
    S: * 1 FETCH (RFC822.HEADER {142}
    S: From: Alice <alice@example.test>
    S: To: bob@example.test
    S: Subject: one
    S: Date: Mon, 1 Jan 2024 10:00:00 +0000
    S: Message-ID: <one@example.test>
    S: 
    S: )
    S: r3 OK FETCH completed
    C: r4 LSUB "" *
    S: r4 OK LSUB completed
    C: r5 ENABLE IMAP4rev2
    S: * ENABLED IMAP4rev2
    S: r5 OK ENABLE completed
    C: r6 CHECK
    S: r6 BAD IMAP4rev2 has no CHECK command (RFC 9051 Appendix E)
    C: r7 LSUB "" *
    S: r7 BAD IMAP4rev2 has no LSUB command (RFC 9051 Appendix E)
    C: r8 STATUS Sent (MESSAGES RECENT)
    S: r8 BAD IMAP4rev2 has no STATUS item RECENT
    C: r9 FETCH 1 RFC822
    S: r9 BAD IMAP4rev2 has no RFC822, RFC822.HEADER or RFC822.TEXT; use BODY[], BODY[HEADER], BODY[TEXT]
    C: r10 FETCH 1 (UID RFC822.TEXT)
    S: r10 BAD IMAP4rev2 has no RFC822, RFC822.HEADER or RFC822.TEXT; use BODY[], BODY[HEADER], BODY[TEXT]
    C: r11 FETCH 1 (RFC822.SIZE)
    S: * 1 FETCH (RFC822.SIZE 149)
    S: r11 OK FETCH completed
    C: r12 NOOP
    S: r12 OK NOOP completed
  )");
  t.no_more_replies();
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
