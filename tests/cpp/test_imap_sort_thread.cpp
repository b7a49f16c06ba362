// Byte-level tests of SORT and THREAD (RFC 5256) and the DISPLAYFROM /
// DISPLAYTO keys (RFC 5957), as transcripts (see imap_conversation.hpp).
#include <string>

#include "imap_conversation.hpp"

namespace {

std::string mail(const std::string& headers, std::size_t body_octets) {
  return headers + "\r\n" + std::string(body_octets, 'x') + "\r\n";
}

// Five messages, two conversations:
//   2 "Lunch" (1 Jan)  <- 1 "Re: Lunch" (3 Jan), 5 "RE: re: lunch" (no Date)
//   3 "[list] Fwd: Report" (2 Jan), 4 "report (fwd)" (2 Jan, later in UTC),
//     both replies to <zz@...>, which is not in the folder.
void conversations(store::MailStore& st) {
  store::AppendOptions o;
  const std::int64_t jan9 = 1704794400;  // 2024-01-09 10:00:00 UTC
  auto put = [&](int day, const std::string& m) {
    o.internal_date = jan9 + (day - 9) * 86400;
    st.append(kBob, "INBOX", m, o);
  };
  put(10, mail("From: Zed <zed@example.test>\r\nTo: amy@example.test\r\nSubject: Re: Lunch\r\n"
               "Date: Wed, 3 Jan 2024 09:00:00 +0000\r\nMessage-ID: <b@example.test>\r\n"
               "In-Reply-To: <a@example.test>\r\n",
               500));
  put(11, mail("From: Zoe Adams <adam@example.test>\r\nTo: carl@example.test\r\n"
               "Subject: Lunch\r\nDate: Mon, 1 Jan 2024 09:00:00 +0000\r\n"
               "Message-ID: <a@example.test>\r\n",
               100));
  put(9, mail("From: bob@example.test\r\nTo: Bea <bea@example.test>\r\nCc: ann@example.test\r\n"
              "Subject: [list] Fwd: Report\r\nDate: Tue, 2 Jan 2024 09:00:00 +0000\r\n"
              "Message-ID: <c@example.test>\r\nReferences: <zz@example.test>\r\n",
              300));
  put(12, mail("From: Carl <carl@example.test>\r\nTo: amy@example.test\r\n"
               "Subject: report (fwd)\r\nDate: Tue, 2 Jan 2024 05:00:00 -0800\r\n"
               "Message-ID: <d@example.test>\r\nReferences: <zz@example.test>\r\n",
               200));
  put(13, mail("From: amy@example.test\r\nTo: zed@example.test\r\nSubject: RE: re: lunch\r\n"
               "Message-ID: <e@example.test>\r\nReferences: <a@example.test>\r\n",
               400));
}

}  // namespace

TEST(sort_by_each_key) {
  Conversation t(conversations);
  t.select_inbox();
  t.script(R"(
    C: s1 SORT (ARRIVAL) UTF-8 ALL
    S: * SORT 3 1 2 4 5
    S: s1 OK SORT completed
    C: s2 SORT (SIZE) US-ASCII ALL
    S: * SORT 2 4 3 5 1
    S: s2 OK SORT completed
    C: s3 SORT (DATE) UTF-8 ALL
    S: * SORT 2 3 4 1 5
    S: s3 OK SORT completed
    C: s4 sort (reverse date) utf-8 all
    S: * SORT 5 1 4 3 2
    S: s4 OK SORT completed
    C: s5 SORT (FROM) UTF-8 ALL
    S: * SORT 2 5 3 4 1
    S: s5 OK SORT completed
    C: s6 SORT (TO) UTF-8 ALL
    S: * SORT 1 4 3 2 5
    S: s6 OK SORT completed
    C: s7 SORT (CC) UTF-8 ALL
    S: * SORT 1 2 4 5 3
    S: s7 OK SORT completed
    C: s8 SORT (SUBJECT) UTF-8 ALL
    S: * SORT 1 2 5 3 4
    S: s8 OK SORT completed
    C: s9 SORT (SUBJECT DATE) UTF-8 ALL
    S: * SORT 2 1 5 3 4
    S: s9 OK SORT completed
    C: s10 SORT (REVERSE SUBJECT REVERSE DATE) UTF-8 ALL
    S: * SORT 4 3 5 1 2
    S: s10 OK SORT completed
    C: s11 SORT (DISPLAYFROM) UTF-8 ALL
    S: * SORT 5 3 4 1 2
    S: s11 OK SORT completed
    C: s12 SORT (DISPLAYTO) UTF-8 ALL
    S: * SORT 1 4 3 2 5
    S: s12 OK SORT completed
  )");
}

// RFC 5256 §2.1 on the wire: reply and forward markers, "[blob]"s, "(fwd)"
// trailers and "[fwd: ...]" wrappers come off; a blob that is all there is
// stays; no Subject sorts first.
TEST(sort_subject_by_base_subject) {
  Conversation t([](store::MailStore& st) {
    for (const char* subject :
         {"Subject: Re: [FWD: Budget]\r\n", "Subject: budget (fwd)\r\n",
          "Subject: [team] Fw: [ops] RE: alpha (FWD)  (fwd)\r\n", "Subject: [only]\r\n", "",
          "Subject: Zebra\r\n", "Subject: alpha   beta\r\n"})
      st.append(kBob, "INBOX", std::string("From: a@example.test\r\n") + subject + "\r\nx\r\n");
  });
  t.select_inbox();
  t.script(R"(
    C: j1 SORT (SUBJECT) UTF-8 ALL
    S: * SORT 5 4 3 7 1 2 6
    S: j1 OK SORT completed
    C: j2 SORT (REVERSE SUBJECT) UTF-8 ALL
    S: * SORT 6 1 2 7 3 4 5
    S: j2 OK SORT completed
    C: j3 THREAD ORDEREDSUBJECT UTF-8 ALL
    S: * THREAD (1 2)(3)(4)(5)(6)(7)
    S: j3 OK THREAD completed
  )");
}

TEST(sort_with_search_criteria_and_uids) {
  Conversation t(conversations);
  t.select_inbox();
  t.script(R"(
    C: u1 SORT (SIZE) UTF-8 SUBJECT lunch
    S: * SORT 2 5 1
    S: u1 OK SORT completed
    C: u2 SORT (DATE) UTF-8 OR FROM carl LARGER 600
    S: * SORT 4 1
    S: u2 OK SORT completed
    C: u3 SORT (ARRIVAL) UTF-8 SUBJECT nothing-like-this
    S: * SORT
    S: u3 OK SORT completed
    C: u4 STORE 2 +FLAGS.SILENT (\Deleted)
    S: u4 OK STORE completed
    C: u5 EXPUNGE
    S: * 2 EXPUNGE
    S: u5 OK EXPUNGE completed
    C: u6 UID SORT (ARRIVAL) UTF-8 ALL
    S: * SORT 3 1 4 5
    S: u6 OK SORT completed
    C: u7 SORT (ARRIVAL) UTF-8 ALL
    S: * SORT 2 1 3 4
    S: u7 OK SORT completed
    C: u8 UID SORT (REVERSE SIZE) UTF-8 UID 3:*
    S: * SORT 5 3 4
    S: u8 OK SORT completed
  )");
}

TEST(sort_and_thread_refuse_bad_arguments) {
  Conversation t(conversations);
  t.login();
  t.script(R"(
    C: b0 SORT (DATE) UTF-8 ALL
    S: b0 BAD No mailbox selected
    C: b00 SELECT INBOX
  )");
  while (t.pos < t.replies.size() && t.replies.compare(t.pos, 4, "b00 ") != 0) t.S("...");
  t.script(R"(
    S: b00 OK [READ-WRITE] SELECT completed
    C: b1 SORT (BOGUS) UTF-8 ALL
    S: b1 BAD Unknown sort key BOGUS
    C: b2 SORT (DATE) KOI8-R ALL
    S: b2 NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset
    C: b3 SORT DATE UTF-8 ALL
    S: b3 BAD ...
    C: b4 SORT () UTF-8 ALL
    S: b4 BAD ...
    C: b5 SORT (DATE) UTF-8
    S: b5 BAD ...
    C: b6 SORT (REVERSE) UTF-8 ALL
    S: b6 BAD ...
    C: b7 THREAD FOO UTF-8 ALL
    S: b7 BAD Unknown threading algorithm FOO
    C: b8 THREAD REFERENCES BIG5 ALL
    S: b8 NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset
    C: b9 THREAD REFERENCES UTF-8 (SEEN
    S: b9 BAD ...
    C: b10 UID THREAD
    S: b10 BAD ...
    C: b11 SORT (DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE) UTF-8 ALL
    S: b11 BAD Too many sort criteria
  )");
}

TEST(thread_references_and_orderedsubject) {
  Conversation t(conversations);
  t.select_inbox();
  t.script(R"(
    C: t1 THREAD REFERENCES UTF-8 ALL
    S: * THREAD (2 (1)(5))((3)(4))
    S: t1 OK THREAD completed
    C: t2 THREAD ORDEREDSUBJECT UTF-8 ALL
    S: * THREAD (2 (1)(5))(3 4)
    S: t2 OK THREAD completed
    C: t3 THREAD ORDEREDSUBJECT UTF-8 SUBJECT lunch
    S: * THREAD (2 (1)(5))
    S: t3 OK THREAD completed
    C: t4 THREAD REFERENCES UTF-8 FROM nobody
    S: * THREAD
    S: t4 OK THREAD completed
    C: t5 THREAD REFERENCES US-ASCII NOT FROM amy
    S: * THREAD (2 1)((3)(4))
    S: t5 OK THREAD completed
    C: t6 STORE 2 +FLAGS.SILENT (\Deleted)
    S: t6 OK STORE completed
    C: t7 EXPUNGE
    S: * 2 EXPUNGE
    S: t7 OK EXPUNGE completed
    C: t8 UID THREAD REFERENCES UTF-8 ALL
    S: * THREAD ((3)(4))((1)(5))
    S: t8 OK THREAD completed
    C: t9 THREAD REFERENCES UTF-8 ALL
    S: * THREAD ((2)(3))((1)(4))
    S: t9 OK THREAD completed
  )");
}

TEST(sort_and_thread_in_capability) {
  Conversation t;
  t.login();
  t.C("c1 CAPABILITY");
  const std::string caps = t.replies.substr(t.pos);
  CHECK(caps.find(" SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY MULTIAPPEND UTF8=ACCEPT ") !=
        std::string::npos);
  t.split_invariant = false;
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
