// Read receipts (RFC 8098): the MDN is built, then read back with the
// project's own MIME parser; hostile originals cannot break its structure.
#include <string>
#include <string_view>

#include "conversation.hpp"
#include "mailroom/mime/mdn.hpp"
#include "mailroom/mime/message.hpp"

using namespace mailroom::mime;

namespace {

const std::string kAsking =
    "From: Alice <alice@a.example>\r\n"
    "To: Bob <bob@b.example>\r\n"
    "Subject: Lunch?\r\n"
    "Message-ID: <lunch-1@a.example>\r\n"
    "Original-Recipient: rfc822;Bob@B.example\r\n"
    "Disposition-Notification-To: Alice <alice@a.example>\r\n"
    "\r\n"
    "At noon?\r\n";

MdnSpec spec(std::string original) {
  MdnSpec s;
  s.original = std::move(original);
  s.final_recipient = "bob@b.example";
  s.date = "Tue, 1 Dec 2026 10:00:00 +0000";
  s.message_id = "<mdn-1@b.example>";
  return s;
}

bool throws(const MdnSpec& s) {
  try {
    build_mdn(s);
  } catch (const std::invalid_argument&) {
    return true;
  }
  return false;
}

}  // namespace

TEST(mdn_fields) {
  const std::string mdn = build_mdn(spec(kAsking));
  auto m = parse_message(mdn);
  CHECK(m->defects.empty());
  CHECK_EQ(m->parts[0].content_type, std::string("multipart/report"));
  CHECK_EQ(std::string(m->parts[0].param("report-type")), std::string("disposition-notification"));
  CHECK_EQ(m->parts[0].children.size(), std::size_t{3});
  CHECK_EQ(std::string(m->bytes(m->find_header(0, "To")->value)), std::string("<alice@a.example>"));
  CHECK_EQ(std::string(m->bytes(m->find_header(0, "In-Reply-To")->value)),
           std::string("<lunch-1@a.example>"));
  const std::uint32_t status = m->parts[0].children.at(1);
  CHECK_EQ(m->parts[status].content_type, std::string("message/disposition-notification"));
  CHECK_EQ(std::string(m->bytes(m->parts[status].body)),
           std::string("Reporting-UA: mailroom\r\n"
                       "Original-Recipient: rfc822;Bob@B.example\r\n"
                       "Final-Recipient: rfc822; bob@b.example\r\n"
                       "Original-Message-ID: <lunch-1@a.example>\r\n"
                       "Disposition: manual-action/MDN-sent-manually; displayed\r\n"));
  // The original's body stays home with "headers".
  CHECK(mdn.find("At noon?") == std::string::npos);
  CHECK(m->find_header(0, "Auto-Submitted") == nullptr);
}

TEST(mdn_hostile_original) {
  // A header with CR/LF tricks, 8-bit octets and a very long subject: the
  // receipt stays one well-formed report and gains no header from it.
  std::string original = "Subject: " + std::string(3000, 'x') + " caf\xc3\xa9\r\n";
  original += "Message-ID: <a@b>\rBcc: eve@x.example\r\n";
  original += "Disposition-Notification-To: alice@a.example\r\n\r\nbody\r\n";
  const std::string mdn = build_mdn(spec(original));
  auto m = parse_message(mdn);
  CHECK(m->defects.empty());
  CHECK(m->find_header(0, "Bcc") == nullptr);
  for (std::size_t pos = 0; pos < mdn.size();) {
    const std::size_t e = mdn.find("\r\n", pos);
    CHECK(e != std::string::npos && e - pos <= 998);
    pos = e == std::string::npos ? mdn.size() : e + 2;
  }
  CHECK_EQ(m->parts[m->parts[0].children.at(2)].transfer_encoding, std::string("quoted-printable"));
}

TEST(mdn_refusals) {
  MdnSpec s = spec(kAsking);
  s.disposition_type = "read";
  CHECK(throws(s));
  s = spec("Subject: no request\r\n\r\nx\r\n");
  CHECK(throws(s));  // no Disposition-Notification-To and no `to`
  s.to = "alice@a.example";
  CHECK(!throws(s));
  s = spec(kAsking);
  s.final_recipient = "bob@b.example\r\nBcc: eve@x.example";
  CHECK(throws(s));
  s = spec(kAsking);
  s.modifiers = {"error", "bad modifier"};
  CHECK(throws(s));
  s = spec(kAsking);
  s.include = "body";
  CHECK(throws(s));
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
