// Delivery status notifications: a report is built, then read back with the
// project's own MIME parser, the way the sender's mail reader would see it.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "conversation.hpp"
#include "mailroom/mime/delivery_report.hpp"
#include "mailroom/mime/message.hpp"
#include "mailroom/queue/dsn.hpp"

using mailroom::mime::parse_message;
using mailroom::mime::ParsedMessage;
using namespace mailroom::queue;

namespace {

const std::string kOriginal =
    "From: Alice <alice@crepes.fr>\r\n"
    "To: bob@hamburger.edu, carol@slow.example\r\n"
    "Subject: Do you like ketchup?\r\n"
    "Message-ID: <1@crepes.fr>\r\n"
    "\r\n"
    "How about pickles?\r\n"
    "SECRET-BODY-LINE\r\n";

DsnReport two_recipients() {
  DsnReport r;
  r.reporting_mta = "mail.crepes.fr";
  r.original_sender = "alice@crepes.fr";
  r.queue_id = "3F2A9C01";
  r.arrival_date = 1795312170;  // Sun, 22 Nov 2026 01:49:30 +0000
  r.now = 1795315770;           // an hour later
  DsnRecipient bob;
  bob.address = "bob@hamburger.edu";
  bob.action = "failed";
  bob.status = "5.1.1";
  bob.remote_mta = "mx.hamburger.edu";
  bob.diagnostic = "550 5.1.1 <bob@hamburger.edu>: Recipient address rejected";
  bob.last_attempt = 1795315760;
  DsnRecipient carol;
  carol.address = "carol@slow.example";
  carol.action = "delayed";
  carol.diagnostic = "421 Service not available, closing transmission channel";
  carol.last_attempt = 1795315700;
  carol.will_retry_until = 1795744170;
  r.recipients = {bob, carol};
  r.original = kOriginal;
  return r;
}

std::string_view field(const ParsedMessage& m, std::uint32_t part,
                       std::string_view name) {
  const auto* h = m.find_header(part, name);
  return h ? m.bytes(h->value) : std::string_view("(absent)");
}

std::vector<std::string_view> lines_of(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const std::size_t e = s.find("\r\n");
    out.push_back(s.substr(0, e));
    s.remove_prefix(e == std::string_view::npos ? s.size() : e + 2);
  }
  return out;
}

bool has_line(std::string_view text, std::string_view line) {
  for (std::string_view l : lines_of(text))
    if (l == line) return true;
  return false;
}

std::size_t count_lines_starting(std::string_view text, std::string_view prefix) {
  std::size_t n = 0;
  for (std::string_view l : lines_of(text)) n += l.substr(0, prefix.size()) == prefix;
  return n;
}

// Every line ends in CRLF, none is longer than 998 octets, and all is 7bit.
void check_wire_form(std::string_view msg) {
  CHECK(msg.ends_with("\r\n"));
  std::size_t col = 0;
  bool ok = true;
  for (std::size_t i = 0; i < msg.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(msg[i]);
    if (c == '\r') {
      ok = ok && i + 1 < msg.size() && msg[i + 1] == '\n';
      ++i;
      col = 0;
      continue;
    }
    ok = ok && c != '\n' && c != 0 && c < 128;
    ok = ok && ++col <= 998;
  }
  CHECK(ok);
}

}  // namespace

TEST(date_format) {
  CHECK_EQ(format_rfc5322_date(1795315770),
           std::string("Sun, 22 Nov 2026 02:49:30 +0000"));
  CHECK_EQ(format_rfc5322_date(1795315770.9),
           std::string("Sun, 22 Nov 2026 02:49:30 +0000"));
  CHECK_EQ(format_rfc5322_date(0), std::string("Thu, 1 Jan 1970 00:00:00 +0000"));
  CHECK_EQ(format_rfc5322_date(951782400),
           std::string("Tue, 29 Feb 2000 00:00:00 +0000"));
}

TEST(report_structure) {
  const std::string dsn = build_dsn(two_recipients());
  check_wire_form(dsn);
  auto m = parse_message(dsn);
  CHECK(m->defects.empty());
  for (const auto& d : m->defects)
    std::fprintf(stderr, "  defect %s\n", d.kind.c_str());

  // RFC 5322 header of the report.
  CHECK_EQ(field(*m, 0, "From"),
           std::string_view("\"Mail Delivery System\" <MAILER-DAEMON@mail.crepes.fr>"));
  CHECK_EQ(field(*m, 0, "To"), std::string_view("<alice@crepes.fr>"));
  CHECK_EQ(field(*m, 0, "Subject"),
           std::string_view("Undelivered Mail Returned to Sender"));
  CHECK_EQ(field(*m, 0, "Date"), std::string_view("Sun, 22 Nov 2026 02:49:30 +0000"));
  CHECK_EQ(field(*m, 0, "Auto-Submitted"), std::string_view("auto-replied"));
  CHECK_EQ(field(*m, 0, "MIME-Version"), std::string_view("1.0"));
  CHECK(field(*m, 0, "Message-ID").ends_with("@mail.crepes.fr>"));

  // multipart/report; report-type=delivery-status with three parts.
  const auto& root = m->parts[0];
  CHECK_EQ(root.content_type, std::string("multipart/report"));
  CHECK_EQ(root.param("report-type"), std::string_view("delivery-status"));
  CHECK(!root.param("boundary").empty());
  CHECK_EQ(root.children.size(), std::size_t{3});
  if (root.children.size() != 3) return;
  const std::uint32_t text = root.children[0], status = root.children[1],
                      headers = root.children[2];
  CHECK_EQ(m->parts[text].content_type, std::string("text/plain"));
  CHECK_EQ(m->parts[text].charset(), std::string_view("us-ascii"));
  CHECK_EQ(m->parts[status].content_type, std::string("message/delivery-status"));
  CHECK_EQ(m->parts[headers].content_type, std::string("text/rfc822-headers"));

  // The explanation names each recipient and the reply.
  const std::string explanation = m->text(text);
  CHECK(
      explanation.find("<bob@hamburger.edu>: host mx.hamburger.edu said: 550 5.1.1") !=
      std::string::npos);
  CHECK(explanation.find("<carol@slow.example>: 421 Service not available") !=
        std::string::npos);

  // RFC 3464 §2.2 per-message fields, then one block per recipient (§2.3).
  const std::string ds(m->bytes(m->parts[status].body));
  CHECK_EQ(
      ds, std::string("Reporting-MTA: dns; mail.crepes.fr\r\n"
                      "X-Mailroom-Queue-ID: 3F2A9C01\r\n"
                      "Arrival-Date: Sun, 22 Nov 2026 01:49:30 +0000\r\n"
                      "\r\n"
                      "Final-Recipient: rfc822; bob@hamburger.edu\r\n"
                      "Action: failed\r\n"
                      "Status: 5.1.1\r\n"
                      "Remote-MTA: dns; mx.hamburger.edu\r\n"
                      "Diagnostic-Code: smtp; 550 5.1.1 <bob@hamburger.edu>: Recipient "
                      "address\r\n"
                      " rejected\r\n"
                      "Last-Attempt-Date: Sun, 22 Nov 2026 02:49:20 +0000\r\n"
                      "\r\n"
                      "Final-Recipient: rfc822; carol@slow.example\r\n"
                      "Action: delayed\r\n"
                      "Status: 4.0.0\r\n"
                      "Diagnostic-Code: smtp; 421 Service not available, closing "
                      "transmission channel\r\n"
                      "Last-Attempt-Date: Sun, 22 Nov 2026 02:48:20 +0000\r\n"
                      "Will-Retry-Until: Fri, 27 Nov 2026 01:49:30 +0000\r\n"));

  // The original's header section, not its body.
  const std::string_view hs = m->bytes(m->parts[headers].body);
  CHECK(has_line(hs, "Subject: Do you like ketchup?"));
  CHECK(has_line(hs, "Message-ID: <1@crepes.fr>"));
  CHECK(hs.find("How about pickles?") == std::string_view::npos);
  CHECK(dsn.find("SECRET-BODY-LINE") == std::string::npos);
}

TEST(delayed_only) {
  DsnReport r = two_recipients();
  r.recipients.erase(r.recipients.begin());
  auto m = parse_message(build_dsn(r));
  CHECK_EQ(field(*m, 0, "Subject"),
           std::string_view("Delayed Mail (still being retried)"));
  CHECK(m->text(m->parts[0].children.at(0)).find("WARNING ONLY") != std::string::npos);
}

TEST(status_derived_from_diagnostic) {
  auto status_of = [](std::string action, std::string diagnostic,
                      std::string status = "") {
    DsnReport r = two_recipients();
    r.recipients.resize(1);
    r.recipients[0].action = action;
    r.recipients[0].status = status;
    r.recipients[0].diagnostic = diagnostic;
    auto m = parse_message(build_dsn(r));
    const std::string_view ds = m->bytes(m->parts[m->parts[0].children.at(1)].body);
    for (std::string_view l : lines_of(ds))
      if (l.starts_with("Status: ")) return std::string(l.substr(8));
    return std::string("(none)");
  };
  CHECK_EQ(status_of("failed", "550 5.1.1 no such user"), std::string("5.1.1"));
  CHECK_EQ(status_of("failed", "550-5.7.1 first line\r\n550 5.7.1 second"),
           std::string("5.7.1"));
  CHECK_EQ(status_of("failed", "554 Transaction failed"), std::string("5.0.0"));
  CHECK_EQ(status_of("delayed", "451 try again later"), std::string("4.0.0"));
  CHECK_EQ(status_of("delayed", "connection timed out"), std::string("4.0.0"));
  CHECK_EQ(status_of("failed", ""), std::string("5.0.0"));
  // An enhanced code of another class than the reply code is not believed.
  CHECK_EQ(status_of("failed", "550 4.2.2 mailbox full"), std::string("5.0.0"));
  // A given status wins; an invalid one is derived instead.
  CHECK_EQ(status_of("failed", "550 5.1.1 x", "5.2.2"), std::string("5.2.2"));
  CHECK_EQ(status_of("failed", "550 5.1.1 x", "5.1.1\r\nX-Evil: 1"),
           std::string("5.1.1"));
  CHECK_EQ(status_of("failed", "550 x", "9.9.9"), std::string("5.0.0"));
}

TEST(no_header_injection) {
  DsnReport r = two_recipients();
  r.original_sender = "alice@crepes.fr>\r\nBcc: victim@example.com\r\nX-A: <";
  r.reporting_mta = "evil\r\nX-Injected: 1";
  r.queue_id = "Q\r\n\r\nFinal-Recipient: rfc822; forged@example.com";
  r.recipients[0].address = "bob@hamburger.edu\r\nAction: delivered";
  r.recipients[0].remote_mta = "mx\nStatus: 2.0.0";
  r.recipients[0].diagnostic =
      "550 5.1.1 gone\r\n\r\n--boundary\r\nContent-Type: text/html";
  const std::string dsn = build_dsn(r);
  check_wire_form(dsn);
  auto m = parse_message(dsn);
  CHECK(m->defects.empty());
  CHECK(m->find_header(0, "Bcc") == nullptr);
  CHECK(m->find_header(0, "X-Injected") == nullptr);
  CHECK(count_lines_starting(dsn, "Bcc:") == 0);
  CHECK(count_lines_starting(dsn, "X-Injected:") == 0);
  CHECK_EQ(m->parts[0].children.size(), std::size_t{3});
  const std::string_view ds = m->bytes(m->parts[m->parts[0].children.at(1)].body);
  CHECK_EQ(count_lines_starting(ds, "Final-Recipient:"), std::size_t{2});
  CHECK_EQ(count_lines_starting(ds, "Action:"), std::size_t{2});
  CHECK_EQ(count_lines_starting(ds, "Status:"), std::size_t{2});
  CHECK(has_line(ds, "Final-Recipient: rfc822; bob@hamburger.edu Action: delivered"));
  CHECK(count_lines_starting(dsn, "Content-Type: text/html") == 0);
}

TEST(long_diagnostic_is_folded) {
  DsnReport r = two_recipients();
  r.recipients[0].diagnostic =
      "550 5.7.1 " + std::string(3000, 'x') + " and some words";
  r.recipients[1].diagnostic = "451 4.3.0";
  for (int i = 0; i < 200; ++i) r.recipients[1].diagnostic += " word";
  const std::string dsn = build_dsn(r);
  check_wire_form(dsn);
  auto m = parse_message(dsn);
  CHECK(m->defects.empty());
  const std::string_view ds = m->bytes(m->parts[m->parts[0].children.at(1)].body);
  // Folded at spaces where there are spaces: every line of the second block fits
  // in 78 columns.
  const std::size_t second = ds.find("Final-Recipient: rfc822; carol");
  CHECK(second != std::string_view::npos);
  for (std::string_view l : lines_of(ds.substr(second))) CHECK(l.size() <= 78);
  CHECK(count_lines_starting(ds, "Status: 4.3.0") == 1);
}

TEST(diagnostic_without_reply_code) {
  DsnReport r = two_recipients();
  r.recipients[1].diagnostic =
      "connect to slow.example[192.0.2.1]:25: Connection refused";
  auto m = parse_message(build_dsn(r));
  const std::string_view ds = m->bytes(m->parts[m->parts[0].children.at(1)].body);
  CHECK_EQ(
      count_lines_starting(ds, "Diagnostic-Code: X-Mailroom; connect to slow.example"),
      std::size_t{1});
  CHECK_EQ(count_lines_starting(ds, "Diagnostic-Code: smtp; 550 5.1.1"),
           std::size_t{1});
  CHECK(has_line(ds, "Status: 4.0.0"));
}

TEST(original_headers_only) {
  DsnReport r = two_recipients();
  // LF line ends, a folded field, and 8-bit octets: the headers part is
  // quoted-printable and the report stays 7bit.
  const std::string original =
      "Subject: caf\xc3\xa9\n"
      "To: a@b.example,\n"
      "  c@d.example\n"
      "\n"
      "body\n";
  r.original = original;
  const std::string dsn = build_dsn(r);
  check_wire_form(dsn);
  auto m = parse_message(dsn);
  const std::uint32_t headers = m->parts[0].children.at(2);
  CHECK_EQ(m->parts[headers].transfer_encoding, std::string("quoted-printable"));
  CHECK_EQ(
      m->decoded_body(headers),
      std::string("Subject: caf\xc3\xa9\r\nTo: a@b.example,\r\n  c@d.example\r\n"));

  // No empty line: a line that is no header field ends the header section.
  r.original = "Subject: x\r\nthis is body text\r\nmore\r\n";
  m = parse_message(build_dsn(r));
  CHECK_EQ(m->bytes(m->parts[m->parts[0].children.at(2)].body),
           std::string_view("Subject: x\r\n"));

  // No original at all: the part is there and empty.
  r.original = {};
  m = parse_message(build_dsn(r));
  CHECK(m->defects.empty());
  CHECK_EQ(m->parts[0].children.size(), std::size_t{3});
  CHECK_EQ(m->parts[m->parts[0].children.at(2)].body.size(), std::uint64_t{0});
}

TEST(envelope_id_original_recipient_and_full_return) {
  DsnReport r = two_recipients();
  r.has_envelope_id = true;
  r.envelope_id = "QQ314159";
  r.recipients[0].original_type = "rfc822";
  r.recipients[0].original_recipient = "Bob@Hamburger.EDU";
  r.recipients[0].action = "delivered";
  r.recipients[0].status = "2.0.0";
  r.recipients[0].diagnostic.clear();
  r.recipients.resize(1);
  r.return_full = true;
  const std::string dsn = build_dsn(r);
  check_wire_form(dsn);
  CHECK(has_line(dsn, "Subject: Successful Mail Delivery Report"));
  auto m = parse_message(dsn);
  CHECK(m->defects.empty());
  const std::uint32_t status = m->parts[0].children.at(1);
  const std::string_view fields = m->bytes(m->parts[status].body);
  // RFC 3464 §2.2: Original-Envelope-Id first; §2.3: Original-Recipient
  // before Final-Recipient.
  CHECK(fields.substr(0, 31) == "Original-Envelope-Id: QQ314159\r");
  CHECK(fields.find("Original-Recipient: rfc822; Bob@Hamburger.EDU\r\nFinal-Recipient: rfc822; "
                    "bob@hamburger.edu\r\nAction: delivered\r\nStatus: 2.0.0\r\n") !=
        std::string_view::npos);
  // RET=FULL: the whole message, body included, as message/rfc822.
  const std::uint32_t returned = m->parts[0].children.at(2);
  CHECK_EQ(m->parts[returned].content_type, std::string("message/rfc822"));
  CHECK(m->bytes(m->parts[returned].body).find("SECRET-BODY-LINE") != std::string_view::npos);

  // 8-bit content: the report says 8bit rather than encoding a message/rfc822.
  const std::string eight = "Subject: caf\xc3\xa9\r\n\r\nd\xc3\xa9j\xc3\xa0\r\n";
  r.original = eight;
  const std::string dsn8 = build_dsn(r);
  CHECK(has_line(dsn8, "Content-Transfer-Encoding: 8bit"));
  m = parse_message(dsn8);
  CHECK(m->bytes(m->parts[m->parts[0].children.at(2)].body).find("d\xc3\xa9j\xc3\xa0") !=
        std::string_view::npos);
}

TEST(report_read_back) {
  // What build_dsn writes, read_delivery_report reads: per-message fields,
  // one group per recipient, the returned headers.
  DsnReport r = two_recipients();
  r.has_envelope_id = true;
  r.envelope_id = "QQ314159";
  r.recipients[0].original_type = "rfc822";
  r.recipients[0].original_recipient = "Bob@Hamburger.EDU";
  auto m = parse_message(build_dsn(r));
  const mailroom::mime::DeliveryReportData d = mailroom::mime::read_delivery_report(*m);
  CHECK_EQ(d.kind, std::string("delivery-status"));
  CHECK_EQ(std::string(mailroom::mime::report_field(d.per_message, "original-envelope-id")),
           std::string("QQ314159"));
  CHECK_EQ(std::string(mailroom::mime::without_type(
               mailroom::mime::report_field(d.per_message, "reporting-mta"))),
           std::string("mail.crepes.fr"));
  CHECK_EQ(d.recipients.size(), std::size_t{2});
  if (d.recipients.size() != 2) return;
  CHECK_EQ(std::string(mailroom::mime::report_field(d.recipients[0], "status")), std::string("5.1.1"));
  CHECK_EQ(std::string(mailroom::mime::without_type(
               mailroom::mime::report_field(d.recipients[0], "original-recipient"))),
           std::string("Bob@Hamburger.EDU"));
  CHECK_EQ(std::string(mailroom::mime::report_field(d.recipients[1], "action")), std::string("delayed"));
  // A folded Diagnostic-Code comes back as one line.
  CHECK(mailroom::mime::report_field(d.recipients[0], "diagnostic-code").find('\n') ==
        std::string_view::npos);
  CHECK(d.original_part >= 0 && d.original_headers_only);
  CHECK_EQ(std::string(mailroom::mime::first_word("5.1.1 (bad mailbox)")), std::string("5.1.1"));
  const auto disp = mailroom::mime::parse_disposition(
      "Manual-Action/MDN-sent-manually; Displayed/Error, warning");
  CHECK(disp.ok && disp.action_mode == "manual-action" && disp.type == "displayed");
  CHECK(disp.modifiers.size() == 2 && disp.modifiers[1] == "warning");
  CHECK(!mailroom::mime::parse_disposition("displayed").ok);
  CHECK(mailroom::mime::read_delivery_report(*parse_message(kOriginal)).kind.empty());
}

TEST(boundary_not_in_content) {
  DsnReport r = two_recipients();
  // Whatever the boundary is, the parser finds exactly three parts even when the
  // original headers are full of boundary-like lines.
  std::string original = "Subject: x\r\n";
  for (int i = 0; i < 50; ++i) original += "X-B: --=_report_\r\n";
  original += "\r\nbody\r\n";
  r.original = original;
  const std::string dsn = build_dsn(r);
  auto m = parse_message(dsn);
  CHECK(m->defects.empty());
  CHECK_EQ(m->parts[0].children.size(), std::size_t{3});
  const std::string boundary(m->parts[0].param("boundary"));
  CHECK_EQ(count_lines_starting(dsn, "--" + boundary), std::size_t{4});
}

TEST(random_inputs_keep_the_structure) {
  std::uint32_t x = 99;
  auto junk = [&](std::size_t max) {
    x = x * 1103515245u + 12345u;
    std::string s((x >> 16) % max, ' ');
    for (char& c : s) {
      x = x * 1103515245u + 12345u;
      // Mostly the octets that matter: CR, LF, ':', '-', '=', space, 8-bit.
      static constexpr char kPick[] = "\r\n:-=_ <>;\x80\xff\t\x00aZ5.";
      c = (x >> 28) < 12 ? kPick[(x >> 16) % (sizeof kPick - 1)]
                         : static_cast<char>(x >> 16);
    }
    return s;
  };
  for (int round = 0; round < 300; ++round) {
    DsnReport r;
    r.reporting_mta = junk(40);
    r.original_sender = junk(80);
    r.original_sender.push_back('s');  // never empty
    r.queue_id = junk(30);
    r.arrival_date = round * 1e7;
    r.now = -round;
    const std::size_t n = 1 + round % 3;
    for (std::size_t i = 0; i < n; ++i) {
      DsnRecipient d;
      d.address = junk(60);
      d.action = round % 2 ? "delayed" : junk(10);
      d.status = junk(8);
      d.remote_mta = junk(30);
      d.diagnostic = junk(round % 10 == 0 ? 3000 : 120);
      d.last_attempt = round;
      d.will_retry_until = 1e300;
      r.recipients.push_back(d);
    }
    const std::string original = junk(400);
    r.original = original;
    const std::string dsn = build_dsn(r);
    check_wire_form(dsn);
    auto m = parse_message(dsn);
    CHECK(m->defects.empty());
    CHECK_EQ(m->parts[0].children.size(), std::size_t{3});
    if (m->parts[0].children.size() != 3) return;
    const std::string_view ds = m->bytes(m->parts[m->parts[0].children[1]].body);
    CHECK_EQ(count_lines_starting(ds, "Final-Recipient:"), n);
    CHECK_EQ(count_lines_starting(ds, "Status:"), n);
    CHECK_EQ(count_lines_starting(dsn, "From:"), std::size_t{1});
    CHECK_EQ(count_lines_starting(dsn, "To:"), std::size_t{1});
  }
}

TEST(refused_inputs) {
  DsnReport r = two_recipients();
  r.original_sender = "";
  bool threw = false;
  try {
    (void)build_dsn(r);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
  r = two_recipients();
  r.recipients.clear();
  threw = false;
  try {
    (void)build_dsn(r);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
