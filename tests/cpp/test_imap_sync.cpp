// Byte-level tests of many IMAP sessions on one folder: each keeps its own
// view and learns of the others' changes by the rules of RFC 9051 §7.5.1
// (see imap_conversation.hpp for the harness). Each script runs twice, with
// the same transcript: once comparing the whole view with the folder, once
// looking up only the changes the handler noted (as the server's do).
#include <string>
#include <vector>

#include "imap_conversation.hpp"

// --------------------------------------------- many sessions on one folder ----

static void two_sessions_see_each_other_script(bool notes) {
  Conversation t(three_messages);
  if (notes) t.note_changes();
  t.split_invariant = false;
  t.select_inbox();
  Peer other = t.peer();
  talk(other, "o1 LOGIN bob secret");
  talk(other, "o2 SELECT INBOX");
  CHECK_EQ(t.h->watched, std::string("INBOX"));
  // The other session flags message 2 and expunges message 1.
  CHECK_EQ(talk(other, "o3 STORE 2 +FLAGS.SILENT (\\Flagged)"), std::string("o3 OK STORE completed\r\n"));
  // Messages 1..3 are \Recent in the first session, which selected first.
  CHECK_EQ(talk(other, "o4 STORE 1 +FLAGS (\\Deleted)"),
           std::string("* 1 FETCH (FLAGS (\\Deleted))\r\no4 OK STORE completed\r\n"));
  CHECK_EQ(talk(other, "o5 EXPUNGE"), std::string("* 1 EXPUNGE\r\no5 OK EXPUNGE completed\r\n"));
  t.st->append(kBob, "INBOX", message("four"));
  t.changed();  // not idling: nothing yet
  t.no_more_replies();
  // RFC 9051 §7.5.1: no EXPUNGE during FETCH; the numbers stay put, and
  // the expunged message is shown as this session last knew it.
  t.script(R"(
    C: q1 FETCH 1:* (UID FLAGS)
    S: * 2 FETCH (UID 2 FLAGS (\Seen \Flagged \Recent))
    S: * 4 EXISTS
    S: * 4 RECENT
    S: * 1 FETCH (UID 1 FLAGS (\Recent))
    S: * 2 FETCH (UID 2 FLAGS (\Seen \Flagged \Recent))
    S: * 3 FETCH (UID 3 FLAGS (\Recent))
    S: * 4 FETCH (UID 4 FLAGS (\Recent))
    S: q1 OK FETCH completed
    C: q2 NOOP
    S: * 1 EXPUNGE
    S: q2 OK NOOP completed
  )");
  t.no_more_replies();
  CHECK_EQ(t.s->exists(), 3u);
  // And the other way: this session's STORE reaches the other one.
  t.script(R"(
    C: q3 UID STORE 4 FLAGS (\Answered $Done)
    S: * 3 FETCH (UID 4 FLAGS (\Answered $Done \Recent))
    S: q3 OK STORE completed
  )");
  std::vector<Output> out;
  other.s->store_changed(out);
  CHECK(out.empty());
  // Message 4 is new to it: EXISTS, and its flags come when it fetches them.
  // ... and not \Recent here: the first session learnt of it first.
  CHECK_EQ(talk(other, "o6 NOOP"),
           std::string("* 3 EXISTS\r\n* 0 RECENT\r\no6 OK NOOP completed\r\n"));
  CHECK_EQ(talk(other, "o7 FETCH 3 FLAGS"),
           std::string("* 3 FETCH (FLAGS (\\Answered $Done))\r\no7 OK FETCH completed\r\n"));
  t.script(R"(
    C: q4 STORE 3 -FLAGS ($Done)
    S: * 3 FETCH (FLAGS (\Answered \Recent))
    S: q4 OK STORE completed
  )");
  CHECK_EQ(talk(other, "o8 NOOP"),
           std::string("* 3 FETCH (UID 4 FLAGS (\\Answered))\r\no8 OK NOOP completed\r\n"));
}
TEST(two_sessions_see_each_other) {
  two_sessions_see_each_other_script(false);
  two_sessions_see_each_other_script(true);
}

// RFC 3501 §2.3.2: a message is \Recent in the one session that learns of
// it first; EXAMINE claims none.
static void recent_belongs_to_the_first_session_script(bool notes) {
  Conversation t(three_messages);
  if (notes) t.note_changes();
  t.split_invariant = false;
  t.login();
  Peer other = t.peer();
  talk(other, "o1 LOGIN bob secret");
  CHECK(talk(other, "o2 EXAMINE INBOX").find("* 0 RECENT\r\n") != std::string::npos);
  t.C("x1 SELECT INBOX");
  CHECK(t.replies.find("* 3 RECENT\r\n") != std::string::npos);
  t.pos = t.replies.size();
  CHECK(talk(other, "o3 SELECT INBOX").find("* 0 RECENT\r\n") != std::string::npos);
  CHECK_EQ(talk(other, "o4 SEARCH RECENT"), std::string("* SEARCH\r\no4 OK SEARCH completed\r\n"));
  t.script(R"(
    C: x2 SEARCH NEW
    S: * SEARCH 1 3
    S: x2 OK SEARCH completed
    C: x3 SEARCH OLD
    S: * SEARCH
    S: x3 OK SEARCH completed
  )");
  t.st->append(kBob, "INBOX", message("four"));
  CHECK_EQ(talk(other, "o5 NOOP"),
           std::string("* 4 EXISTS\r\n* 1 RECENT\r\no5 OK NOOP completed\r\n"));
  t.changed();
  t.script(R"(
    C: x4 FETCH 4 FLAGS
    S: * 4 EXISTS
    S: * 3 RECENT
    S: * 4 FETCH (FLAGS ())
    S: x4 OK FETCH completed
  )");
}
TEST(recent_belongs_to_the_first_session) {
  recent_belongs_to_the_first_session_script(false);
  recent_belongs_to_the_first_session_script(true);
}

static void idle_wakes_on_store_change_script(bool notes) {
  Conversation t(three_messages);
  if (notes) t.note_changes();
  t.split_invariant = false;
  t.select_inbox();
  t.C("r1 IDLE");
  t.S("+ idling");
  t.no_more_replies();
  t.st->append(kBob, "INBOX", message("four"));
  t.changed();
  t.S("* 4 EXISTS");
  t.S("* 4 RECENT");
  t.st->store(kBob, "INBOX", {1}, store::FlagChange::Add, {"\\Deleted"});
  t.st->expunge(kBob, "INBOX");
  t.changed();
  t.S("* 1 EXPUNGE");
  t.script(R"(
    C: DONE
    S: r1 OK IDLE terminated
    C: r2 IDLE
    S: + idling
    C: NOTDONE
    S: r2 BAD Expected DONE
  )");
}
TEST(idle_wakes_on_store_change) {
  idle_wakes_on_store_change_script(false);
  idle_wakes_on_store_change_script(true);
}

static void fetch_holds_expunges_uid_fetch_does_not_script(bool notes) {
  Conversation t(three_messages);
  if (notes) t.note_changes();
  t.split_invariant = false;
  t.select_inbox();
  t.st->store(kBob, "INBOX", {3}, store::FlagChange::Add, {"\\Deleted"});
  t.st->expunge(kBob, "INBOX");
  t.changed();
  t.script(R"(
    C: s1 FETCH 3 UID
    S: * 3 FETCH (UID 3)
    S: s1 OK FETCH completed
    C: s2 STORE 1:* +FLAGS.SILENT (\Seen)
    S: s2 OK STORE completed
    C: s3 SEARCH SEEN
    S: * SEARCH 1 2
    S: s3 OK SEARCH completed
    C: s4 UID FETCH 3 UID
    S: * 3 FETCH (UID 3)
    S: * 3 EXPUNGE
    S: s4 OK FETCH completed
  )");
  t.no_more_replies();
}
TEST(fetch_holds_expunges_uid_fetch_does_not) {
  fetch_holds_expunges_uid_fetch_does_not_script(false);
  fetch_holds_expunges_uid_fetch_does_not_script(true);
}

static void selected_folder_deleted_by_another_session_script(bool notes) {
  Conversation t;
  if (notes) t.note_changes();
  t.split_invariant = false;
  t.login();
  t.script(R"(
    C: w1 CREATE Work
    S: w1 OK CREATE completed
    C: w2 SELECT Work
  )");
  while (t.pos < t.replies.size() && t.replies.compare(t.pos, 3, "w2 ") != 0) t.S("...");
  t.S("w2 OK [READ-WRITE] SELECT completed");
  Peer other = t.peer();
  talk(other, "o1 LOGIN bob secret");
  CHECK_EQ(talk(other, "o2 DELETE Work"), std::string("o2 OK DELETE completed\r\n"));
  t.changed();
  t.script(R"(
    C: w3 NOOP
    S: * BYE Mailbox was deleted or renamed
    S: w3 OK NOOP completed
  )");
  t.no_more_replies();
  CHECK(t.s->closed());
  CHECK(t.outputs.back().close_after);
}
TEST(selected_folder_deleted_by_another_session) {
  selected_folder_deleted_by_another_session_script(false);
  selected_folder_deleted_by_another_session_script(true);
}

// QRESYNC (RFC 7162 §3.2.10): VANISHED instead of EXPUNGE, and the MODSEQ
// of each flag change another session made; an expunge held back through a
// FETCH and a STORE comes with the next NOOP.
static std::string qresync_script(bool notes) {
  Conversation t(three_messages);
  t.split_invariant = false;
  if (notes) t.note_changes();
  t.login();
  t.C("e1 ENABLE QRESYNC");
  t.C("e2 SELECT INBOX");
  Peer other = t.peer();
  talk(other, "o1 LOGIN bob secret");
  talk(other, "o2 SELECT INBOX");
  talk(other, "o3 STORE 2 +FLAGS.SILENT (\\Flagged)");
  talk(other, "o4 STORE 1 +FLAGS.SILENT (\\Deleted)");
  talk(other, "o5 EXPUNGE");
  t.st->append(kBob, "INBOX", message("four"));
  t.changed();
  t.C("e3 FETCH 1:* (FLAGS)");
  t.C("e4 STORE 3 +FLAGS (\\Seen)");
  talk(other, "o6 UID STORE 2 -FLAGS.SILENT (\\Flagged)");
  t.C("e5 NOOP");
  talk(other, "o7 UID STORE 4 +FLAGS.SILENT (\\Deleted)");
  talk(other, "o8 EXPUNGE");
  t.C("e6 UID FETCH 1:* (FLAGS)");
  t.C("e7 NOOP");
  CHECK_EQ(t.s->exists(), 2u);
  return mask_validity(t.replies.substr(t.replies.find("e2 OK")));
}

TEST(qresync_vanished_and_modseq) {
  const std::string whole = qresync_script(false), noted = qresync_script(true);
  CHECK_EQ(noted, whole);
  CHECK(whole.find("* VANISHED 1\r\n") != std::string::npos);
  CHECK(whole.find("* VANISHED 4\r\n") != std::string::npos);
  CHECK(whole.find("EXPUNGE") == std::string::npos);
  CHECK(whole.find("* 1 FETCH (UID 2 FLAGS (\\Seen \\Recent) MODSEQ (") != std::string::npos);
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
