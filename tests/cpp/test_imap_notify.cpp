// Byte-level tests of NOTIFY (RFC 5465): NOTIFY SET and NONE, the filters,
// the events, the STATUS and LIST responses for other mailboxes, the
// selected mailbox's news with fetch attributes, SELECTED-DELAYED, bad
// input and the bounded queue (see imap_conversation.hpp for the harness).
// The store's changes reach the session's handler as the server's event
// bus brings them (the change hook here).
#include <string>
#include <vector>

#include "imap_conversation.hpp"

namespace {

// Changes in the store queued for the session, as ImapSessions does.
void notify_from_store(Conversation& t) {
  t.split_invariant = false;  // the store changes between feeds
  Accounts* h = t.h.get();
  t.st->set_change_hook([h](const store::StoreChange& c) {
    h->notifications().push(mailroom::imap::mailbox_change(c));
  });
}

void deleted(store::MailStore& st, const char* folder, std::uint32_t uid) {
  st.store(kBob, folder, {uid}, store::FlagChange::Add, {"\\Deleted"});
  st.expunge(kBob, folder);
}

}  // namespace

TEST(notify_other_mailboxes) {
  Conversation t(three_messages);
  notify_from_store(t);
  t.login();
  t.script(R"(
    C: n1 NOTIFY SET STATUS (INBOXES (MessageNew MessageExpunge FlagChange)) (SUBTREE Work (MessageNew MessageExpunge MailboxName)) (PERSONAL (MailboxName SubscriptionChange))
    S: * STATUS "INBOX" (MESSAGES 3 UIDNEXT 4 UIDVALIDITY V UNSEEN 2)
    S: n1 OK NOTIFY completed
  )");
  // Another session delivers, flags and expunges in INBOX; STATUS tells.
  t.st->append(kBob, "INBOX", message("four"));
  t.changed();
  t.S("* STATUS \"INBOX\" (MESSAGES 4 UIDNEXT 5 UIDVALIDITY V UNSEEN 3)");
  deleted(*t.st, "INBOX", 1);
  t.changed();
  t.S("* STATUS \"INBOX\" (MESSAGES 3 UIDNEXT 5 UIDVALIDITY V UNSEEN 2)");
  // Sent is in no group but PERSONAL's, which asks for names only.
  t.st->append(kBob, "Sent", message("sent"));
  t.changed();
  t.no_more_replies();
  // Mailboxes made, renamed, deleted (RFC 5465 §5.4), and a subscription.
  t.st->create_folder(kBob, "Work/2024");
  t.changed();
  t.S("* LIST () \"/\" \"Work\"");
  t.S("* LIST () \"/\" \"Work/2024\"");
  t.st->append(kBob, "Work/2024", message("report"));
  t.changed();
  t.S("* STATUS \"Work/2024\" (MESSAGES 1 UIDNEXT 2 UIDVALIDITY V)");
  t.st->rename_folder(kBob, "Work/2024", "Work/Done");
  t.st->delete_folder(kBob, "Work/Done");
  t.h->notifications().push({MailboxChange::Kind::Subscribed, "Sent", ""});
  t.changed();
  t.S("* LIST () \"/\" \"Work/Done\" (\"OLDNAME\" (\"Work/2024\"))");
  t.S("* LIST (\\NonExistent) \"/\" \"Work/Done\"");
  t.S("* LIST (\\Subscribed) \"/\" \"Sent\"");
  // NOTIFY NONE: nothing more.
  t.script(R"(
    C: n2 NOTIFY NONE
    S: n2 OK NOTIFY completed
  )");
  CHECK(!t.s->notifying());
  t.st->append(kBob, "INBOX", message("five"));
  t.changed();
  t.no_more_replies();
}

TEST(notify_selected_with_fetch_attributes) {
  Conversation t(three_messages);
  notify_from_store(t);
  t.select_inbox();
  t.script(R"(
    C: n1 NOTIFY SET (SELECTED (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) MessageExpunge FlagChange)) (MAILBOXES Sent (MessageNew MessageExpunge))
    S: n1 OK NOTIFY completed
  )");
  // A delivery: EXISTS at once, not at the next command, with the fetch
  // attributes asked for (RFC 5465 §5.2).
  t.st->append(kBob, "INBOX", message("four"));
  t.changed();
  t.S("* 4 EXISTS");
  t.S("* 4 RECENT");
  t.S("* 4 FETCH (UID 4 BODY[HEADER.FIELDS (SUBJECT)] {17}");
  t.S("Subject: four");
  t.S("");
  t.S(")");
  // Flags at once; an expunge waits for a command (RFC 9051 §7.5.1).
  t.st->store(kBob, "INBOX", {2}, store::FlagChange::Add, {"\\Flagged"});
  t.changed();
  t.S("* 2 FETCH (UID 2 FLAGS (\\Seen \\Flagged \\Recent))");
  deleted(*t.st, "INBOX", 1);
  t.changed();
  t.no_more_replies();
  t.script(R"(
    C: n2 NOOP
    S: * 1 EXPUNGE
    S: n2 OK NOOP completed
  )");
  // Sent: STATUS; Drafts: in no group.
  t.st->append(kBob, "Drafts", message("draft"));
  t.st->append(kBob, "Sent", message("sent"));
  t.changed();
  t.S("* STATUS \"Sent\" (MESSAGES 1 UIDNEXT 2 UIDVALIDITY V)");
  t.no_more_replies();
  // In IDLE, the expunge too.
  t.script(R"(
    C: n3 IDLE
    S: + idling
  )");
  deleted(*t.st, "INBOX", 2);
  t.changed();
  t.S("* 1 EXPUNGE");
  t.script(R"(
    C: DONE
    S: n3 OK IDLE terminated
  )");
  t.no_more_replies();
}

// RFC 5465 §6.1: SELECTED-DELAYED keeps expunges back during UID commands
// too; SELECTED lets UID FETCH have them, as RFC 9051 §7.5.1 does.
TEST(notify_selected_delayed_holds_expunges) {
  Conversation t(three_messages);
  notify_from_store(t);
  t.select_inbox();
  t.script(R"(
    C: n1 NOTIFY SET (SELECTED-DELAYED (MessageNew MessageExpunge))
    S: n1 OK NOTIFY completed
  )");
  deleted(*t.st, "INBOX", 3);
  t.changed();
  t.no_more_replies();
  // Message 3 keeps its number, shown as this session last knew it.
  t.script(R"(
    C: n2 UID FETCH 1:* (FLAGS)
    S: * 1 FETCH (UID 1 FLAGS (\Recent))
    S: * 2 FETCH (UID 2 FLAGS (\Seen \Recent))
    S: * 3 FETCH (UID 3 FLAGS (\Recent))
    S: n2 OK FETCH completed
    C: n3 NOOP
    S: * 3 EXPUNGE
    S: n3 OK NOOP completed
    C: n4 NOTIFY SET (SELECTED (MessageNew MessageExpunge))
    S: n4 OK NOTIFY completed
  )");
  deleted(*t.st, "INBOX", 2);
  t.changed();
  t.script(R"(
    C: n5 UID FETCH 1 (FLAGS)
    S: * 1 FETCH (UID 1 FLAGS (\Recent))
    S: * 2 EXPUNGE
    S: n5 OK FETCH completed
  )");
  t.no_more_replies();
}

TEST(notify_bad_input) {
  Conversation t(three_messages);
  t.script(R"(
    S: * OK [CAPABILITY ...
    C: b0 NOTIFY NONE
    S: b0 BAD Log in first
    C: a0 LOGIN bob secret
    S: a0 OK [CAPABILITY ...
    C: b1 NOTIFY SET (SELECTED (MessageNew))
    S: b1 BAD MessageNew and MessageExpunge must be given together (RFC 5465 §5)
    C: b2 NOTIFY SET (SELECTED (FlagChange))
    S: b2 BAD FlagChange needs MessageNew and MessageExpunge (RFC 5465 §5)
    C: b3 NOTIFY SET (PERSONAL (MessageNew (UID) MessageExpunge))
    S: b3 BAD MessageNew takes fetch attributes only for SELECTED or SELECTED-DELAYED
    C: b4 NOTIFY SET (PERSONAL (MailboxName AnnotationChange))
    S: b4 NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)] Event not supported
    C: b5 NOTIFY SET (NOWHERE (MessageNew MessageExpunge))
    S: b5 BAD Unknown NOTIFY filter NOWHERE
    C: b6 NOTIFY SET (SELECTED (MessageNew (BODY[]) MessageExpunge))
    S: b6 BAD NOTIFY fetches without setting \Seen: use BODY.PEEK or BINARY.PEEK
    C: b7 NOTIFY SET (SELECTED (MessageNew MessageExpunge)
    S: b7 BAD ...
    C: b8 NOTIFY SET
    S: b8 BAD ...
    C: b9 NOTIFY SET (MAILBOXES (INBOX Sent) (MailboxName)) (SUBSCRIBED NONE)
    S: b9 OK NOTIFY completed
  )");
  t.no_more_replies();
  CHECK(t.s->notifying());
  CHECK(t.s->state() == State::Authenticated);
}

// The queue is bounded: past Config::max_pending_notifications the session
// says NOTIFICATIONOVERFLOW and stops notifying (RFC 5465 §5.8).
TEST(notify_overflow) {
  Config c = test_config();
  c.max_pending_notifications = 3;
  Conversation t(three_messages, c);
  notify_from_store(t);
  t.login();
  t.script(R"(
    C: n1 NOTIFY SET (PERSONAL (MailboxName))
    S: n1 OK NOTIFY completed
  )");
  for (const char* f : {"A", "B", "C", "D", "E"}) t.st->create_folder(kBob, f);
  t.changed();
  t.S("* OK [NOTIFICATIONOVERFLOW] Too many changes at once; NOTIFY is off");
  CHECK(!t.s->notifying());
  t.st->create_folder(kBob, "F");
  t.changed();
  t.no_more_replies();
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
