// Byte-level tests of UTF8=ACCEPT (RFC 6855): ENABLE, UTF-8 quoted strings
// and mailbox names after it, APPEND UTF8 (~{n}); 8-bit octets refused in a
// session that has not enabled it.
#include <string>

#include "imap_conversation.hpp"

TEST(utf8_accept_names_strings_and_append) {
  Conversation t;
  t.login();
  t.C("u0 CREATE \"Caf\xC3\xA9\"");
  t.S("u0 BAD 8-bit octet in a quoted string (use a literal)");
  t.C("u0b APPEND INBOX UTF8 (~{3}");
  t.S("+ Ready for literal data");
  t.raw("abc)\r\n");
  t.S("u0b BAD APPEND UTF8 needs ENABLE UTF8=ACCEPT first");
  t.script(R"(
    C: u1 ENABLE UTF8=ACCEPT
    S: * ENABLED UTF8=ACCEPT
    S: u1 OK ENABLE completed
    C: u1b ENABLE UTF8=ACCEPT CONDSTORE-NOT-HERE
    S: * ENABLED
    S: u1b OK ENABLE completed
  )");
  t.C("u2 CREATE \"Caf\xC3\xA9/Gr\xC3\xB6\xC3\x9F" "e\"");
  t.S("u2 OK CREATE completed");
  CHECK(t.st->status(kBob, "Caf\xC3\xA9/Gr\xC3\xB6\xC3\x9F" "e").uidvalidity != 0);
  t.C("u3 LIST \"\" \"Caf*\"");
  t.S("* LIST (\\HasChildren) \"/\" \"Caf\xC3\xA9\"");
  t.S("* LIST (\\HasNoChildren) \"/\" \"Caf\xC3\xA9/Gr\xC3\xB6\xC3\x9F" "e\"");
  t.S("u3 OK LIST completed");
  t.C("u4 CREATE \"bad \xFF\"");
  t.S("u4 BAD Invalid UTF-8 in a quoted string");
  const std::string m = "Subject: Gr\xC3\xBC\xC3\x9F" "e\r\nFrom: j\xC3\xB6rg@example.test\r\n\r\nhi\r\n";
  t.C("u5 APPEND \"Caf\xC3\xA9\" UTF8 (~{" + std::to_string(m.size()) + "}");
  t.S("+ Ready for literal data");
  t.raw(m + ")\r\n");
  t.S("u5 OK [APPENDUID V 1] APPEND completed");
  CHECK_EQ(*t.st->read(*t.st->messages(kBob, "Caf\xC3\xA9").at(0)), m);
  // The same message without UTF8 (...): refused after ENABLE UTF8=ACCEPT.
  t.C("u6 APPEND INBOX {" + std::to_string(m.size()) + "+}");
  t.raw(m + "\r\n");
  t.S("u6 NO 8-bit header fields need APPEND ... UTF8 (~{n})");
  t.C("u7 SELECT \"Caf\xC3\xA9\"");
  while (t.pos < t.replies.size() && t.replies.compare(t.pos, 3, "u7 ") != 0) t.S("...");
  t.S("u7 OK [READ-WRITE] SELECT completed");
  t.C("u8 SEARCH SUBJECT \"gr\xC3\xBC\xC3\x9F" "e\"");
  t.S("* SEARCH 1");
  t.S("u8 OK SEARCH completed");
  t.script(R"(
    C: u9 APPEND INBOX UTF8 ({3+}
    C: abc
    S: u9 BAD UTF8 takes a literal8 (~{n})
  )");
  CHECK(t.s->utf8_accepted());
  CHECK_EQ(t.st->messages(kBob, "INBOX").size(), 0u);
}

TEST(eight_bit_stays_refused_without_utf8_accept) {
  Conversation t;
  t.login();
  t.C("v1 SELECT \"INBOX\xC3\xA9\"");
  t.S("v1 BAD 8-bit octet in a quoted string (use a literal)");
  // A message with 8-bit header fields, as a literal: stored as before.
  const std::string m = "Subject: Gr\xC3\xBC\xC3\x9F" "e\r\n\r\nhi\r\n";
  t.C("v2 APPEND INBOX {" + std::to_string(m.size()) + "+}");
  t.raw(m + "\r\n");
  t.S("v2 OK [APPENDUID ...");
  CHECK(!t.s->utf8_accepted());
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
