// COMPRESS=DEFLATE (RFC 4978) as the IMAP session sees it: the command and
// its answers; the transport does the deflating (Output::start_compression),
// so the octets after the OK are the connection's business, not the
// session's (see tests/test_imap_extensions.py for the whole path).
#include <string>

#include "imap_conversation.hpp"

namespace {

Config compressing() {
  Config c = test_config();
  c.compress = true;
  return c;
}

}  // namespace

TEST(compress_deflate_once_after_login) {
  Conversation t({}, compressing());
  t.script(R"(
    S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE CHILDREN SPECIAL-USE CONDSTORE QRESYNC ESEARCH SEARCHRES LIST-EXTENDED LIST-STATUS STATUS=SIZE SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY MULTIAPPEND UTF8=ACCEPT NOTIFY CATENATE APPENDLIMIT=67108864 AUTH=PLAIN AUTH=LOGIN] localhost IMAP4rev1 server ready
    C: z0 COMPRESS DEFLATE
    S: z0 BAD Log in first
    C: a1 LOGIN bob secret
    S: a1 OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE CHILDREN SPECIAL-USE CONDSTORE QRESYNC ESEARCH SEARCHRES LIST-EXTENDED LIST-STATUS STATUS=SIZE SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY MULTIAPPEND UTF8=ACCEPT NOTIFY CATENATE APPENDLIMIT=67108864 COMPRESS=DEFLATE] Logged in
    C: z1 COMPRESS
    S: z1 BAD ...
    C: z2 COMPRESS LZMA
    S: z2 BAD Unknown compression mechanism LZMA
    C: z3 COMPRESS DEFLATE EXTRA
    S: z3 BAD ...
    C: z4 compress deflate
    S: z4 OK DEFLATE active
  )");
  CHECK(t.outputs.back().start_compression);
  CHECK(t.s->compressing());
  for (std::size_t i = 0; i + 1 < t.outputs.size(); ++i) CHECK(!t.outputs[i].start_compression);
  // The transport now inflates what comes in; the session reads plain text.
  t.script(R"(
    C: z5 COMPRESS DEFLATE
    S: z5 NO [COMPRESSIONACTIVE] DEFLATE is already active
    C: z6 CAPABILITY
    S: * CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE CHILDREN SPECIAL-USE CONDSTORE QRESYNC ESEARCH SEARCHRES LIST-EXTENDED LIST-STATUS STATUS=SIZE SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY MULTIAPPEND UTF8=ACCEPT NOTIFY CATENATE APPENDLIMIT=67108864
    S: z6 OK CAPABILITY completed
  )");
  // Replayed in splits, what follows the COMPRESS line in one piece is not
  // read (the next test); byte by byte it is the same.
  CHECK_EQ(mask_validity(t.replay(one_byte)), mask_validity(t.replies));
  t.split_invariant = false;
}

TEST(what_follows_compress_in_the_same_read_is_not_a_command) {
  // RFC 4978 §3: the client waits for the answer before it sends more; octets
  // that came with the command were compressed before it knew the answer.
  Conversation t({}, compressing());
  t.login();
  t.raw("z1 COMPRESS DEFLATE\r\nz2 LOGOUT\r\n");
  t.S("z1 OK DEFLATE active");
  CHECK(!t.s->closed());
  t.split_invariant = false;  // a split after the first line would read z2
}

TEST(compress_is_not_offered_where_the_transport_cannot) {
  Conversation t;
  t.login();
  t.script(R"(
    C: z1 COMPRESS DEFLATE
    S: z1 BAD COMPRESS is not available
  )");
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
