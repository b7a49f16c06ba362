// Byte-level tests of LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819),
// STATUS=SIZE (RFC 8438) and STATUS DELETED (RFC 9051 §6.3.11), and of
// IMAP4rev2's UTF-8 mailbox names (RFC 9051 §5.1); see imap_conversation.hpp.
#include <string>

#include "imap_conversation.hpp"

namespace {

void folders(store::MailStore& st) {
  three_messages(st);
  st.create_folder(kBob, "Work/2024");  // and its parent Work
  st.create_folder(kBob, "Lists");
  st.create_folder(kBob, "Old");
}

}  // namespace

TEST(list_extended_selection_and_return_options) {
  Conversation t(folders);
  t.login();
  t.script(R"(
    C: l1 SUBSCRIBE INBOX
    S: l1 OK SUBSCRIBE completed
    C: l2 SUBSCRIBE Work/2024
    S: l2 OK SUBSCRIBE completed
    C: l3 SUBSCRIBE Old
    S: l3 OK SUBSCRIBE completed
    C: l4 RENAME Old Older
    S: l4 OK RENAME completed
    C: l5 LIST (SUBSCRIBED) "" *
    S: * LIST (\HasNoChildren \Subscribed) "/" "INBOX"
    S: * LIST (\HasNoChildren \Subscribed) "/" "Older"
    S: * LIST (\HasNoChildren \Subscribed) "/" "Work/2024"
    S: l5 OK LIST completed
    C: l6 LIST (SUBSCRIBED RECURSIVEMATCH) "" %
    S: * LIST (\HasNoChildren \Subscribed) "/" "INBOX"
    S: * LIST (\HasNoChildren \Subscribed) "/" "Older"
    S: * LIST (\HasChildren) "/" "Work" ("CHILDINFO" ("SUBSCRIBED"))
    S: l6 OK LIST completed
    C: l7 LIST "" (INBOX Work/*) RETURN (SUBSCRIBED STATUS (MESSAGES UNSEEN SIZE))
    S: * LIST (\HasNoChildren \Subscribed) "/" "INBOX"
    S: * STATUS "INBOX" (MESSAGES 3 UNSEEN 2 SIZE ...
    S: * LIST (\HasNoChildren \Subscribed) "/" "Work/2024"
    S: * STATUS "Work/2024" (MESSAGES 0 UNSEEN 0 SIZE 0)
    S: l7 OK LIST completed
    C: l8 LIST (SPECIAL-USE) "" * RETURN (SPECIAL-USE)
    S: * LIST (\HasNoChildren \Archive) "/" "Archive"
    S: * LIST (\HasNoChildren \Drafts) "/" "Drafts"
    S: * LIST (\HasNoChildren \Junk) "/" "Junk"
    S: * LIST (\HasNoChildren \Sent) "/" "Sent"
    S: * LIST (\HasNoChildren \Trash) "/" "Trash"
    S: l8 OK LIST completed
    C: l9 LIST (REMOTE) "" Lists RETURN (CHILDREN)
    S: * LIST (\HasNoChildren) "/" "Lists"
    S: l9 OK LIST completed
    C: l10 LIST "" * RETURN (STATUS (MESSAGES))
    S: * LIST (\HasNoChildren \Archive) "/" "Archive"
    S: * STATUS "Archive" (MESSAGES 0)
    S: * LIST (\HasNoChildren \Drafts) "/" "Drafts"
    S: * STATUS "Drafts" (MESSAGES 0)
    S: * LIST (\HasNoChildren) "/" "INBOX"
    S: * STATUS "INBOX" (MESSAGES 3)
    S: * LIST (\HasNoChildren \Junk) "/" "Junk"
    S: * STATUS "Junk" (MESSAGES 0)
    S: * LIST (\HasNoChildren) "/" "Lists"
    S: * STATUS "Lists" (MESSAGES 0)
    S: * LIST (\HasNoChildren) "/" "Older"
    S: * STATUS "Older" (MESSAGES 0)
    S: * LIST (\HasNoChildren \Sent) "/" "Sent"
    S: * STATUS "Sent" (MESSAGES 0)
    S: * LIST (\HasNoChildren \Trash) "/" "Trash"
    S: * STATUS "Trash" (MESSAGES 0)
    S: * LIST (\HasChildren) "/" "Work"
    S: * STATUS "Work" (MESSAGES 0)
    S: * LIST (\HasNoChildren) "/" "Work/2024"
    S: * STATUS "Work/2024" (MESSAGES 0)
    S: l10 OK LIST completed
    C: l11 LSUB "" *
    S: * LSUB () "/" "INBOX"
    S: * LSUB () "/" "Older"
    S: * LSUB () "/" "Work/2024"
    S: l11 OK LSUB completed
    C: l12 STATUS INBOX (DELETED SIZE MESSAGES)
    S: * STATUS "INBOX" (DELETED 0 SIZE ...
    S: l12 OK STATUS completed
  )");
  t.no_more_replies();
}

// RFC 9051 §6.3.6: RENAME takes the folder's subscription, and its
// children's, to the new names (as Dovecot does); INBOX's stays with INBOX.
TEST(rename_carries_subscriptions) {
  Conversation t(folders);
  t.login();
  t.script(R"(
    C: s1 SUBSCRIBE Work
    S: s1 OK SUBSCRIBE completed
    C: s2 SUBSCRIBE Work/2024
    S: s2 OK SUBSCRIBE completed
    C: s3 SUBSCRIBE Lists
    S: s3 OK SUBSCRIBE completed
    C: s4 SUBSCRIBE INBOX
    S: s4 OK SUBSCRIBE completed
    C: s5 RENAME Work Job
    S: s5 OK RENAME completed
    C: s6 RENAME INBOX Saved
    S: s6 OK RENAME completed
    C: s7 LIST (SUBSCRIBED) "" *
    S: * LIST (\HasNoChildren \Subscribed) "/" "INBOX"
    S: * LIST (\HasChildren \Subscribed) "/" "Job"
    S: * LIST (\HasNoChildren \Subscribed) "/" "Job/2024"
    S: * LIST (\HasNoChildren \Subscribed) "/" "Lists"
    S: s7 OK LIST completed
    C: s8 RENAME Job/2024 Lists/2024
    S: s8 OK RENAME completed
    C: s9 LSUB "" *
    S: * LSUB () "/" "INBOX"
    S: * LSUB () "/" "Job"
    S: * LSUB () "/" "Lists"
    S: * LSUB () "/" "Lists/2024"
    S: s9 OK LSUB completed
  )");
  t.no_more_replies();
}

TEST(list_extended_bad_input) {
  Conversation t(folders);
  t.login();
  t.script(R"(
    C: b1 LIST (RECURSIVEMATCH) "" *
    S: b1 BAD RECURSIVEMATCH needs SUBSCRIBED or SPECIAL-USE
    C: b2 LIST (FOO) "" *
    S: b2 BAD Unknown LIST selection option FOO
    C: b3 LIST "" * RETURN (BAR)
    S: b3 BAD Unknown LIST return option BAR
    C: b4 LIST "" * RETURN (STATUS (MESSAGES BOGUS))
    S: b4 BAD Unknown STATUS item BOGUS
    C: b5 LIST "" * (SUBSCRIBED)
    S: b5 BAD Expected RETURN
    C: b6 LIST "" ()
    S: b6 BAD ...
    C: b7 LIST (SUBSCRIBED "" *
    S: b7 BAD ...
    C: b8 LSUB (SUBSCRIBED) "" *
    S: b8 BAD ...
  )");
  t.no_more_replies();
}

// RFC 9051 §5.1: with IMAP4rev2 on, mailbox names are UTF-8 on the wire
// (quoted strings may hold UTF-8, §4.3); a rev1 session still sees
// modified UTF-7.
TEST(imap4rev2_utf8_mailbox_names) {
  Conversation t;
  t.split_invariant = false;
  t.login();
  t.script(R"(
    C: u1 ENABLE IMAP4rev2
    S: * ENABLED IMAP4rev2
    S: u1 OK ENABLE completed
    C: u2 CREATE "Entwürfe/日本語"
    S: u2 OK CREATE completed
    C: u3 LIST "" Entw*
    S: * LIST (\HasChildren) "/" {9}
    S: Entwürfe
    S: * LIST (\HasNoChildren) "/" {19}
    S: Entwürfe/日本語
    S: u3 OK LIST completed
    C: u4 STATUS "Entwürfe/日本語" (MESSAGES)
    S: * STATUS {19}
    S: Entwürfe/日本語 (MESSAGES 0)
    S: u4 OK STATUS completed
    C: u5 CREATE "Entw&APw-rfe"
    S: u5 OK CREATE completed
    C: u6 SELECT "\xff"
    S: u6 BAD ...
  )");
  Peer rev1 = t.peer();
  talk(rev1, "r1 LOGIN bob secret");
  const std::string listing = talk(rev1, "r2 LIST \"\" Entw*");
  CHECK(listing.find("\"Entw&APw-rfe/&ZeVnLIqe-\"") != std::string::npos);
  CHECK(listing.find("\"Entw&-APw-rfe\"") != std::string::npos);
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
