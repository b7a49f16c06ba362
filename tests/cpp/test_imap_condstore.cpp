// Byte-level tests of CONDSTORE and QRESYNC (RFC 7162) and ENABLE (RFC
// 5161), reading like the RFC's transcripts (see imap_conversation.hpp).
#include <string>

#include "imap_conversation.hpp"

TEST(enable_lists_what_it_turned_on) {
  Conversation t(three_messages);
  t.login();
  t.script(R"(
    C: e1 ENABLE CONDSTORE X-UNKNOWN
    S: * ENABLED CONDSTORE
    S: e1 OK ENABLE completed
    C: e2 ENABLE CONDSTORE QRESYNC
    S: * ENABLED QRESYNC
    S: e2 OK ENABLE completed
    C: e3 ENABLE QRESYNC
    S: * ENABLED
    S: e3 OK ENABLE completed
    C: e4 ENABLE
    S: e4 BAD ...
  )");
  CHECK(t.s->condstore());
  CHECK(t.s->qresync());
}

// RFC 7162 §3.1.4: MODSEQ as a FETCH item; §3.1.4.1 CHANGEDSINCE; the
// first STORE after the appends is MODSEQ 5 (three appends made 2..4).
TEST(condstore_fetch_and_changedsince) {
  Conversation t(three_messages);
  t.login();
  t.script(R"(
    C: a1 SELECT INBOX (CONDSTORE)
    S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
    S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
    S: * 3 EXISTS
    S: * 3 RECENT
    S: * OK [UNSEEN 1] First unseen
    S: * OK [UIDVALIDITY ...
    S: * OK [UIDNEXT 4] Predicted next UID
    S: * OK [HIGHESTMODSEQ 4] Highest
    S: a1 OK [READ-WRITE] SELECT completed
    C: a2 FETCH 1:* (UID MODSEQ)
    S: * 1 FETCH (UID 1 MODSEQ (2))
    S: * 2 FETCH (UID 2 MODSEQ (3))
    S: * 3 FETCH (UID 3 MODSEQ (4))
    S: a2 OK FETCH completed
    C: a3 STORE 1 +FLAGS (\Flagged)
    S: * 1 FETCH (UID 1 FLAGS (\Flagged \Recent) MODSEQ (5))
    S: a3 OK STORE completed
    C: a4 FETCH 1:* (FLAGS) (CHANGEDSINCE 3)
    S: * 1 FETCH (MODSEQ (5) FLAGS (\Flagged \Recent))
    S: * 3 FETCH (MODSEQ (4) FLAGS (\Recent))
    S: a4 OK FETCH completed
    C: a5 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 4)
    S: * 1 FETCH (UID 1 MODSEQ (5) FLAGS (\Flagged \Recent))
    S: a5 OK FETCH completed
    C: a6 FETCH 1:* FLAGS (CHANGEDSINCE 5)
    S: a6 OK FETCH completed
    C: a7 STATUS INBOX (HIGHESTMODSEQ MESSAGES)
    S: * STATUS "INBOX" (HIGHESTMODSEQ 5 MESSAGES 3)
    S: a7 OK STATUS completed
  )");
  t.no_more_replies();
}

// RFC 7162 §3.1.3: UNCHANGEDSINCE; what changed after it is left alone and
// named in MODIFIED (sequence numbers for STORE, UIDs for UID STORE);
// .SILENT still reports the new MODSEQ once CONDSTORE is on, and STORE's
// FETCH responses carry the UID then (RFC 7162 §3.1).
TEST(conditional_store) {
  Conversation t(three_messages);
  t.login();
  t.script(R"(
    C: a1 EXAMINE INBOX
    S: * FLAGS ...
    S: * OK [PERMANENTFLAGS ()] Read-only mailbox
    S: * 3 EXISTS
    S: * 0 RECENT
    S: * OK [UNSEEN 1] First unseen
    S: * OK [UIDVALIDITY ...
    S: * OK [UIDNEXT 4] Predicted next UID
    S: * OK [HIGHESTMODSEQ 4] Highest
    S: a1 OK [READ-ONLY] EXAMINE completed
    C: a2 STORE 1 (UNCHANGEDSINCE 4) +FLAGS (\Seen)
    S: a2 NO [READ-ONLY] The mailbox is read-only
    C: a3 SELECT INBOX
    S: * FLAGS ...
    S: * OK [PERMANENTFLAGS ...
    S: * 3 EXISTS
    S: * 3 RECENT
    S: * OK [UNSEEN 1] First unseen
    S: * OK [UIDVALIDITY ...
    S: * OK [UIDNEXT 4] Predicted next UID
    S: * OK [HIGHESTMODSEQ 4] Highest
    S: a3 OK [READ-WRITE] SELECT completed
    C: a4 STORE 1:3 (UNCHANGEDSINCE 3) +FLAGS.SILENT (\Deleted)
    S: * 1 FETCH (UID 1 MODSEQ (5))
    S: * 2 FETCH (UID 2 MODSEQ (6))
    S: a4 OK [MODIFIED 3] Conditional STORE failed
    C: a5 UID STORE 1:3 (UNCHANGEDSINCE 5) -FLAGS (\Deleted)
    S: * 1 FETCH (UID 1 FLAGS (\Recent) MODSEQ (7))
    S: * 3 FETCH (UID 3 FLAGS (\Recent) MODSEQ (4))
    S: a5 OK [MODIFIED 2] Conditional STORE failed
    C: a6 STORE 3 (UNCHANGEDSINCE 0) +FLAGS (\Seen)
    S: a6 OK [MODIFIED 3] Conditional STORE failed
    C: a7 STORE 2 (UNCHANGEDSINCE 6) FLAGS (\Seen)
    S: * 2 FETCH (UID 2 FLAGS (\Seen \Recent) MODSEQ (8))
    S: a7 OK STORE completed
    C: a8 STORE 2 (NOSUCHTHING 6) FLAGS (\Seen)
    S: a8 BAD Unknown STORE modifier NOSUCHTHING
    C: a9 STORE 2 (UNCHANGEDSINCE x) FLAGS (\Seen)
    S: a9 BAD ...
  )");
  t.no_more_replies();
  CHECK_EQ(t.st->by_uid(kBob, "INBOX", 3)->flags, std::uint8_t{0});
}

// RFC 7162 §3.1.5: SEARCH MODSEQ, with the highest MODSEQ found.
TEST(search_modseq) {
  Conversation t(three_messages);
  t.select_inbox();
  t.script(R"(
    C: s1 SEARCH MODSEQ 3
    S: * SEARCH 2 3 (MODSEQ 4)
    S: s1 OK SEARCH completed
    C: s2 UID SEARCH MODSEQ "/flags/\\draft" all 4
    S: * SEARCH 3 (MODSEQ 4)
    S: s2 OK SEARCH completed
    C: s3 SEARCH MODSEQ 9
    S: * SEARCH
    S: s3 OK SEARCH completed
    C: s4 SEARCH RETURN (COUNT MAX) MODSEQ 2
    S: * ESEARCH (TAG "s4") MAX 3 COUNT 3 MODSEQ 4
    S: s4 OK SEARCH completed
    C: s5 SEARCH MODSEQ "/other" all 4
    S: s5 BAD Invalid MODSEQ entry name
    C: s6 FETCH 1 FLAGS
    S: * 1 FETCH (FLAGS (\Recent))
    S: s6 OK FETCH completed
  )");
  t.no_more_replies();
  CHECK(t.s->condstore());
}

// Another session's flag change arrives with its MODSEQ (RFC 7162 §3.1.4).
TEST(unsolicited_fetch_has_modseq) {
  Conversation t(three_messages);
  t.split_invariant = false;
  t.login();
  t.C("a1 ENABLE CONDSTORE");
  t.S("* ENABLED CONDSTORE");
  t.S("a1 OK ENABLE completed");
  t.C("a2 SELECT INBOX");
  while (t.replies.compare(t.pos, 3, "a2 ") != 0) t.S("...");
  t.S("a2 OK [READ-WRITE] SELECT completed");
  Peer other = t.peer();
  talk(other, "o1 LOGIN bob secret");
  talk(other, "o2 SELECT INBOX");
  talk(other, "o3 STORE 2 +FLAGS.SILENT ($Label1)");
  t.script(R"(
    C: a3 NOOP
    S: * 2 FETCH (UID 2 FLAGS (\Seen $Label1 \Recent) MODSEQ (5))
    S: a3 OK NOOP completed
  )");
  t.no_more_replies();
}

namespace {

// A QRESYNC client's first visit: it remembers UIDVALIDITY and the
// HIGHESTMODSEQ; meanwhile another session expunges and flags.
struct Resync {
  Conversation t{three_messages};
  std::uint32_t validity = 0;
  Resync() {
    t.split_invariant = false;  // a fresh store has another UIDVALIDITY
    t.login();
    t.C("q1 ENABLE QRESYNC");
    t.S("* ENABLED QRESYNC");
    t.S("q1 OK ENABLE completed");
    validity = t.st->status(kBob, "INBOX").uidvalidity;
    // Modseq 4 now. Then: 5 = message 3 flagged, 6 = message 1 \Deleted, 7 =
    // its expunge; and a fourth message arrives (8).
    t.st->store(kBob, "INBOX", {3}, store::FlagChange::Add, {"\\Flagged"});
    t.st->store(kBob, "INBOX", {1}, store::FlagChange::Add, {"\\Deleted"});
    t.st->expunge(kBob, "INBOX");
    t.st->append(kBob, "INBOX", message("four"));
  }
};

}  // namespace

// RFC 7162 §3.2.5: SELECT (QRESYNC (uidvalidity modseq)) reports what
// vanished and what changed since, after SELECT's own responses.
TEST(qresync_select) {
  Resync r;
  Conversation& t = r.t;
  const std::string v = std::to_string(r.validity);
  t.C("q2 SELECT INBOX (QRESYNC (" + v + " 4))");
  t.script(R"(
    S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
    S: * OK [PERMANENTFLAGS ...
    S: * 3 EXISTS
    S: * 3 RECENT
    S: * OK [UNSEEN 2] First unseen
    S: * OK [UIDVALIDITY ...
    S: * OK [UIDNEXT 5] Predicted next UID
    S: * OK [HIGHESTMODSEQ 8] Highest
    S: * VANISHED (EARLIER) 1
    S: * 2 FETCH (UID 3 FLAGS (\Flagged \Recent) MODSEQ (5))
    S: * 3 FETCH (UID 4 FLAGS (\Recent) MODSEQ (8))
    S: q2 OK [READ-WRITE] SELECT completed
  )");
  // Known UIDs narrow it; a SELECT of another mailbox says CLOSED first.
  t.C("q3 EXAMINE INBOX (QRESYNC (" + v + " 4 2:3 (1:2 2:3)))");
  t.script(R"(
    S: * OK [CLOSED] Previous mailbox closed
    S: * FLAGS ...
    S: * OK [PERMANENTFLAGS ()] Read-only mailbox
    S: * 3 EXISTS
    S: * 0 RECENT
    S: * OK [UNSEEN 2] First unseen
    S: * OK [UIDVALIDITY ...
    S: * OK [UIDNEXT 5] Predicted next UID
    S: * OK [HIGHESTMODSEQ 8] Highest
    S: * 2 FETCH (UID 3 FLAGS (\Flagged) MODSEQ (5))
    S: q3 OK [READ-ONLY] EXAMINE completed
  )");
  // Another UIDVALIDITY: the cache is void, a plain SELECT.
  t.C("q4 SELECT INBOX (QRESYNC (" + std::to_string(r.validity + 1) + " 4))");
  t.script(R"(
    S: * OK [CLOSED] Previous mailbox closed
    S: * FLAGS ...
    S: * OK [PERMANENTFLAGS ...
    S: * 3 EXISTS
    S: * 0 RECENT
    S: * OK [UNSEEN 2] First unseen
    S: * OK [UIDVALIDITY ...
    S: * OK [UIDNEXT 5] Predicted next UID
    S: * OK [HIGHESTMODSEQ 8] Highest
    S: q4 OK [READ-WRITE] SELECT completed
  )");
  t.no_more_replies();
}

// RFC 7162 §3.2.6 UID FETCH ... (CHANGEDSINCE n VANISHED) and §3.2.10:
// once QRESYNC is on, expunges are reported as VANISHED.
TEST(qresync_vanished) {
  Resync r;
  Conversation& t = r.t;
  t.C("q2 SELECT INBOX");
  while (t.replies.compare(t.pos, 3, "q2 ") != 0) t.S("...");
  t.S("q2 OK [READ-WRITE] SELECT completed");
  t.script(R"(
    C: q3 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 4 VANISHED)
    S: * VANISHED (EARLIER) 1
    S: * 2 FETCH (UID 3 MODSEQ (5) FLAGS (\Flagged \Recent))
    S: * 3 FETCH (UID 4 MODSEQ (8) FLAGS (\Recent))
    S: q3 OK FETCH completed
    C: q4 UID FETCH 2:3 (FLAGS) (CHANGEDSINCE 6 VANISHED)
    S: q4 OK FETCH completed
    C: q5 STORE 1:2 +FLAGS.SILENT (\Deleted)
    S: * 1 FETCH (UID 2 MODSEQ (9))
    S: * 2 FETCH (UID 3 MODSEQ (10))
    S: q5 OK STORE completed
    C: q6 UID EXPUNGE 3
    S: * VANISHED 3
    S: q6 OK EXPUNGE completed
    C: q7 EXPUNGE
    S: * VANISHED 2
    S: q7 OK EXPUNGE completed
    C: q8 FETCH 1:* (UID)
    S: * 1 FETCH (UID 4)
    S: q8 OK FETCH completed
    C: q9 FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)
    S: q9 BAD VANISHED is a UID FETCH modifier
    C: q10 UID FETCH 1 (FLAGS) (VANISHED)
    S: q10 BAD VANISHED needs CHANGEDSINCE
    C: q11 UID FETCH 1 (FLAGS) (CHANGEDSINCE 0 FOO)
    S: q11 BAD Unknown FETCH modifier FOO
  )");
  t.no_more_replies();
}

// What needs ENABLE QRESYNC is refused before it (RFC 7162 §3.2.5, §3.2.6).
TEST(qresync_needs_enable) {
  Conversation t(three_messages);
  t.select_inbox();
  t.script(R"(
    C: b1 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)
    S: b1 BAD VANISHED needs ENABLE QRESYNC first
    C: b2 SELECT INBOX (QRESYNC (1 1))
    S: b2 BAD QRESYNC needs ENABLE QRESYNC first
    C: b3 ENABLE QRESYNC
    S: * ENABLED QRESYNC
    S: b3 OK ENABLE completed
    C: b4 SELECT INBOX (QRESYNC (1 1 1:3 (1:2 1)))
    S: b4 BAD Sequence match data of unequal sizes
    C: b5 SELECT INBOX (QRESYNC (1 0))
    S: b5 BAD Invalid mod-sequence value
    C: b6 SELECT INBOX (FOO)
    S: b6 BAD Unknown SELECT parameter FOO
    C: b7 SELECT INBOX (QRESYNC (1 1)
    S: b7 BAD ...
  )");
  t.no_more_replies();
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
