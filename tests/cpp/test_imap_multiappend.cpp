// Byte-level tests of MULTIAPPEND (RFC 3502: several messages in one APPEND,
// all stored or none) with APPENDLIMIT (RFC 7889: [TOOBIG]).
#include <string>

#include "imap_conversation.hpp"

TEST(multiappend_stores_all_with_one_appenduid) {
  Conversation t;
  t.login();
  const std::string m1 = "Subject: one\r\n\r\nfirst\r\n";
  const std::string m2 = "Subject: two\r\n\r\nsecond\r\n";
  t.C("m1 APPEND Drafts (\\Draft) {" + std::to_string(m1.size()) + "+}");
  t.raw(m1 + " (\\Seen $Done) \"05-Mar-2024 09:30:00 +0100\" {" + std::to_string(m2.size()) +
        "}\r\n");
  t.S("+ Ready for literal data");
  t.raw(m2 + " ~{3}\r\n");
  t.S("+ Ready for literal data");
  t.raw("S:x\r\n");
  t.S("m1 OK [APPENDUID V 1:3] APPEND completed");
  const auto drafts = t.st->messages(kBob, "Drafts");
  CHECK_EQ(drafts.size(), 3u);
  CHECK_EQ(*t.st->read(*drafts.at(0)), m1);
  CHECK_EQ(*t.st->read(*drafts.at(1)), m2);
  CHECK_EQ(*t.st->read(*drafts.at(2)), std::string("S:x"));
  CHECK_EQ(int(drafts.at(0)->flags), int(store::kDraft));
  CHECK_EQ(int(drafts.at(1)->flags), int(store::kSeen));
  CHECK_EQ(drafts.at(1)->internal_date, 1709627400);
  CHECK_EQ(int(drafts.at(2)->flags), 0);
  CHECK_EQ(t.s->messages_appended(), 3u);
}

TEST(multiappend_stores_none_when_one_is_refused) {
  Config c = test_config();
  c.max_literal = 100;
  Conversation t({}, c);
  t.login();
  t.raw("n1 APPEND INBOX {5+}\r\none\r\n {0+}\r\n\r\n");
  t.S("n1 NO [CANNOT] An empty message is not stored");
  t.raw("n2 APPEND INBOX {5+}\r\none\r\n (\\Bogus) {5+}\r\ntwo\r\n\r\n");
  t.S("n2 BAD not a system flag...");
  // Past APPENDLIMIT (100 here): refused as the command ends, none stored.
  t.raw("n3 APPEND INBOX {5+}\r\none\r\n {500}\r\n");
  t.S("+ Ready for literal data");
  t.raw(std::string(500, 'x') + "\r\n");
  t.S("n3 NO [TOOBIG] Message too big");
  t.raw("n4 APPEND Nowhere {5+}\r\none\r\n {5+}\r\ntwo\r\n\r\n");
  t.S("n4 NO [TRYCREATE] No such mailbox");
  t.raw("n5 APPEND INBOX {5+}\r\none\r\n {5+}\r\ntwo\r\n junk\r\n");
  t.S("n5 BAD ...");
  CHECK_EQ(t.st->messages(kBob, "INBOX").size(), 0u);
}

TEST(multiappend_takes_back_what_it_stored_when_the_store_refuses) {
  Conversation t;
  t.login();
  // The second message brings more keywords than a folder may know (26):
  // the store refuses it after the first was stored.
  std::string many = "(";
  for (int k = 0; k < 27; ++k) many += (k ? " $k" : "$k") + std::to_string(k);
  many += ")";
  t.C("q1 APPEND INBOX {5+}");
  t.raw("one\r\n " + many + " {5+}\r\ntwo\r\n\r\n");
  t.S("q1 NO [OVERQUOTA] ...");
  CHECK_EQ(t.st->messages(kBob, "INBOX").size(), 0u);
  CHECK_EQ(t.s->messages_appended(), 0u);
  t.script(R"(
    C: q2 STATUS INBOX (MESSAGES UIDNEXT)
    S: * STATUS "INBOX" (MESSAGES 0 UIDNEXT 2)
    S: q2 OK STATUS completed
  )");
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
