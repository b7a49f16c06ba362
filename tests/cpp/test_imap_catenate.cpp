// Byte-level tests of CATENATE (RFC 4469): APPEND of a message put together
// from TEXT literals and IMAP URLs (RFC 5092) of messages and parts of this
// account, with [BADURL] and [TOOBIG].
#include <string>

#include "imap_conversation.hpp"

namespace {

const char* const kReport =
    "From: ann@example.test\r\n"
    "Subject: report\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "the figures\r\n"
    "--b\r\n"
    "Content-Type: text/csv\r\n"
    "\r\n"
    "a,b\r\n"
    "--b--\r\n";

void seed(store::MailStore& st) { st.append(kBob, "INBOX", kReport); }

std::string last_appended(Conversation& t, const std::string& folder = "Drafts") {
  const auto all = t.st->messages(kBob, folder);
  return all.empty() ? std::string() : *t.st->read(*all.back());
}

}  // namespace

TEST(catenate_is_advertised) {
  Conversation t(seed);
  t.login();
  t.C("c0 CAPABILITY");
  t.S("* CAPABILITY IMAP4rev1 ...");
  CHECK(t.replies.find(" MULTIAPPEND UTF8=ACCEPT NOTIFY CATENATE APPENDLIMIT=") != std::string::npos);
  t.S("c0 OK CAPABILITY completed");
}

TEST(catenate_text_and_urls_of_parts) {
  Conversation t(seed);
  t.login();
  // RFC 4469 §2's shape: new header text, then a part of an existing message.
  t.script(R"(
    C: c1 APPEND Drafts (\Draft) CATENATE (TEXT {44+}
  )");
  t.raw("Subject: forward\r\nContent-Type: text/csv\r\n\r\n URL \"/INBOX/;UID=1/;SECTION=2\")\r\n");
  t.S("c1 OK [APPENDUID V 1] APPEND completed");
  CHECK_EQ(last_appended(t), std::string("Subject: forward\r\nContent-Type: text/csv\r\n\r\na,b"));
  // The whole message, absolute with the user, and a partial range.
  t.C("c2 APPEND Drafts CATENATE (URL \"imap://bob%40example.test@localhost/INBOX/;UID=1\" "
      "URL /INBOX/;UID=1/;SECTION=1/;PARTIAL=4.7)");
  t.S("c2 OK [APPENDUID V 2] APPEND completed");
  CHECK_EQ(last_appended(t), std::string(kReport) + "figures");
  // The header (HEADER.FIELDS %-encoded), then a TEXT body.
  t.C("c3 APPEND Drafts CATENATE (URL \"/INBOX/;UID=1/;SECTION=HEADER.FIELDS%20(SUBJECT)\" "
      "TEXT {5+}");
  t.raw("body\n)\r\n");
  t.S("c3 OK [APPENDUID V 3] APPEND completed");
  CHECK_EQ(last_appended(t), std::string("Subject: report\r\n\r\nbody\n"));
}

TEST(catenate_relative_url_in_the_selected_mailbox) {
  Conversation t(seed);
  t.select_inbox();
  t.C("c1 APPEND INBOX CATENATE (URL \";UID=1/;SECTION=1\")");
  t.S("* 2 EXISTS");
  t.S("* 2 RECENT");
  t.S("c1 OK [APPENDUID V 2] APPEND completed");
  CHECK_EQ(last_appended(t, "INBOX"), std::string("the figures"));
}

TEST(catenate_bad_urls) {
  Conversation t(seed);
  t.login();
  t.script(R"(
    C: b1 APPEND Drafts CATENATE (URL /INBOX/;UID=9)
    S: b1 NO [BADURL /INBOX/;UID=9] No such message
    C: b2 APPEND Drafts CATENATE (URL /Nowhere/;UID=1)
    S: b2 NO [BADURL /Nowhere/;UID=1] No such message
    C: b3 APPEND Drafts CATENATE (URL imap://carol@localhost/INBOX/;UID=1)
    S: b3 NO [BADURL imap://carol@localhost/INBOX/;UID=1] The URL names another user
    C: b4 APPEND Drafts CATENATE (URL "/INBOX/;UID=1/;SECTION=7")
    S: b4 NO [BADURL /INBOX/;UID=1/;SECTION=7] No such section
    C: b5 APPEND Drafts CATENATE (URL "/INBOX/;UID=1;URLAUTH=anonymous")
    S: b5 NO [BADURL /INBOX/;UID=1;URLAUTH=anonymous] Not an IMAP URL of a message in this account
    C: b6 APPEND Drafts CATENATE (URL ;UID=1)
    S: b6 NO [BADURL ;UID=1] A relative URL needs a selected mailbox
    C: b7 APPEND Drafts CATENATE (URL "/INBOX;UIDVALIDITY=1/;UID=1")
    S: b7 NO [BADURL /INBOX;UIDVALIDITY=1/;UID=1] The mailbox has another UIDVALIDITY
    C: b8 APPEND Drafts CATENATE (URL "/INBOX/;UID=1/;PARTIAL=9999")
    S: b8 NO [BADURL /INBOX/;UID=1/;PARTIAL=9999] The partial range is past the end
    C: b9 APPEND Drafts CATENATE (URL "/INBOX/;UID=1/;SECTION=]x")
    S: b9 NO [BADURL /INBOX/;UID=1/;SECTION=?x] Invalid section
  )");
  CHECK_EQ(t.st->messages(kBob, "Drafts").size(), 0u);
}

TEST(catenate_syntax_errors_and_limits) {
  Config c = test_config();
  c.max_literal = 300;
  Conversation t(seed, c);
  t.login();
  t.script(R"(
    C: s1 APPEND Drafts CATENATE ()
    S: s1 BAD Expected TEXT or URL
    C: s2 APPEND Drafts CATENATE (BODY /INBOX/;UID=1)
    S: s2 BAD Expected TEXT or URL
    C: s3 APPEND Drafts CATENATE (TEXT "quoted")
    S: s3 BAD TEXT takes a literal
    C: s4 APPEND Drafts CATENATE (URL /INBOX/;UID=1
    S: s4 BAD ...
  )");
  // The message (194 octets) and 120 more are past APPENDLIMIT (300 here).
  t.C("s5 APPEND Drafts CATENATE (URL /INBOX/;UID=1 TEXT {120+}");
  t.raw(std::string(120, 'x') + ")\r\n");
  t.S("s5 NO [TOOBIG] The catenated message is too big");
  // MULTIAPPEND with CATENATE: all or none.
  t.C("s6 APPEND Drafts CATENATE (TEXT {3+}");
  t.raw("one) CATENATE (URL /INBOX/;UID=5)\r\n");
  t.S("s6 NO [BADURL /INBOX/;UID=5] No such message");
  t.C("s7 APPEND Drafts CATENATE (TEXT {3+}");
  t.raw("one) CATENATE (URL /INBOX/;UID=1/;SECTION=1)\r\n");
  t.S("s7 OK [APPENDUID V 1:2] APPEND completed");
  CHECK_EQ(t.st->messages(kBob, "Drafts").size(), 2u);
  CHECK_EQ(last_appended(t), std::string("the figures"));
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
