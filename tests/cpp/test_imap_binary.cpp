// Byte-level tests of BINARY (RFC 3516): FETCH BINARY[section]<partial>,
// BINARY.PEEK, BINARY.SIZE, literal8 answers and APPEND, [UNKNOWN-CTE].
#include <string>

#include "imap_conversation.hpp"

namespace {

const char* const kMixed =
    "From: a@example.test\r\nSubject: bin\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =3D ok\r\n"
    "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    "AAECAwBoaQ==\r\n"
    "--b\r\nContent-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n"
    "--b--\r\n";

void mixed(store::MailStore& st) {
  store::AppendOptions o;
  o.internal_date = 1704103200;
  st.append(kBob, "INBOX", kMixed, o);
}

}  // namespace

TEST(fetch_binary_sections_decoded) {
  Conversation t(mixed);
  t.select_inbox();
  t.script(R"(
    C: b1 FETCH 1 (BINARY.SIZE[1] BINARY.SIZE[2] BINARY.PEEK[1])
    S: * 1 FETCH (BINARY.SIZE[1] 10 BINARY.SIZE[2] 7 BINARY[1] {10}
  )");
  t.S("caf\xC3\xA9 = ok)");
  t.S("b1 OK FETCH completed");
  t.C("b2 FETCH 1 BINARY.PEEK[2]");
  t.S("* 1 FETCH (BINARY[2] ~{7}");
  t.S(bytes("\0\1\2\3\0hi)"));
  t.script(R"(
    S: b2 OK FETCH completed
    C: b3 FETCH 1 (BINARY.PEEK[1]<5.3> BINARY.PEEK[2]<20.5> BINARY.PEEK[9])
    S: * 1 FETCH (BINARY[1]<5> {3}
    S:  =  BINARY[2]<20> "" BINARY[9] "")
    S: b3 OK FETCH completed
    C: b4 FETCH 1 BINARY[3]
    S: b4 NO [UNKNOWN-CTE] Cannot decode the content transfer encoding of message 1
    C: b5 FETCH 1 (FLAGS)
    S: * 1 FETCH (FLAGS (\Recent))
    S: b5 OK FETCH completed
    C: b6 FETCH 1 BINARY[1]
    S: * 1 FETCH (FLAGS (\Seen \Recent) BINARY[1] {10}
  )");
  t.S("caf\xC3\xA9 = ok)");
  t.script(R"(
    S: b6 OK FETCH completed
    C: b7 FETCH 1 (BINARY.SIZE[1.MIME] BINARY.PEEK[1.MIME])
    S: * 1 FETCH (BINARY.SIZE[1.MIME] 88 BINARY[1.MIME] {88}
    S: Content-Type: text/plain; charset=utf-8
    S: Content-Transfer-Encoding: quoted-printable
    S:
    S: )
    S: b7 OK FETCH completed
    C: b8 FETCH 1 BINARY.SIZE[2]<0.1>
    S: b8 BAD ...
    C: b9 FETCH 1 BINARY[x]
    S: b9 BAD ...
  )");
}

TEST(append_literal8_and_fetch_it_back) {
  Conversation t;
  t.select_inbox();
  const std::string m = bytes(
      "Subject: raw\r\nContent-Type: application/octet-stream\r\n"
      "Content-Transfer-Encoding: binary\r\n\r\n\0\xff\0 end\r\n");
  t.C("p1 APPEND INBOX ~{" + std::to_string(m.size()) + "}");
  t.S("+ Ready for literal data");
  t.raw(m + "\r\n");
  t.S("* 1 EXISTS");
  t.S("* 1 RECENT");
  t.S("p1 OK [APPENDUID ...");
  CHECK_EQ(*t.st->read(*t.st->messages(kBob, "INBOX").at(0)), m);
  t.C("p2 FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])");
  t.S("* 1 FETCH (BINARY.SIZE[1] 9 BINARY[1] ~{9}");
  t.S(bytes("\0\xff\0 end"));
  t.S(")");
  t.S("p2 OK FETCH completed");
  // NUL is refused in an ordinary literal (RFC 3516 §4.4: literal8 only).
  t.C("p3 APPEND INBOX {3}");
  t.S("+ Ready for literal data");
  t.raw(bytes("a\0b\r\n"));
  t.S("p3 BAD NUL in a literal (use literal8)");
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
