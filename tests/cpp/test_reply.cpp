// Replies and forwards (RFC 5322 §3.6.3, §3.6.4) built by the engine and
// read back with the project's own parser.
#include <string>
#include <string_view>

#include "conversation.hpp"
#include "mailroom/mime/message.hpp"
#include "mailroom/mime/reply.hpp"
#include "mailroom/mime/threading.hpp"

using namespace mailroom::mime;

namespace {

const std::string kOriginal =
    "From: Alice <alice@a.example>\r\n"
    "To: bob@b.example, Carol <carol@c.example>\r\n"
    "Cc: BOB@b.example, dave@d.example\r\n"
    "Subject: =?utf-8?q?Re=3A_Aw=3A_Caf=C3=A9?=\r\n"
    "Date: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
    "Message-ID: <m3@a.example>\r\n"
    "References: <m1@a.example> <m2@a.example>\r\n"
    "\r\n"
    "Noon?\r\n";

std::string field(const ParsedMessage& m, std::string_view name) {
  const HeaderField* h = m.find_header(0, name);
  return h ? std::string(m.bytes(h->value)) : std::string();
}

}  // namespace

TEST(subject_prefixes_do_not_pile_up) {
  CHECK_EQ(subject_without_prefixes("Re: Re: x"), std::string("x"));
  CHECK_EQ(subject_without_prefixes("RE: AW: Fwd: FW: x"), std::string("x"));
  CHECK_EQ(subject_without_prefixes("Re [2]: x"), std::string("x"));
  CHECK_EQ(subject_without_prefixes("[list] Re: x"), std::string("[list] x"));
  CHECK_EQ(subject_without_prefixes("Re: [list] Re: x"), std::string("[list] x"));
  CHECK_EQ(subject_without_prefixes("Reply: x"), std::string("Reply: x"));
  CHECK_EQ(subject_without_prefixes("x (fwd)"), std::string("x"));
  CHECK_EQ(subject_without_prefixes("Away"), std::string("Away"));
}

TEST(reply_all_recipients_and_threading) {
  auto original = parse_message(kOriginal);
  ReplyOptions o;
  o.mode = ReplyMode::reply_all;
  o.from = Mailbox{"Bob", "bob@b.example"};
  const ReplyDraft d = draft_reply(*original, o);
  CHECK_EQ(d.subject, std::string("Re: Caf\xc3\xa9"));
  CHECK_EQ(d.to.size(), std::size_t{1});
  CHECK_EQ(d.to[0].address, std::string("alice@a.example"));
  CHECK_EQ(d.cc.size(), std::size_t{2});
  CHECK_EQ(d.cc[0].address, std::string("carol@c.example"));
  CHECK_EQ(d.cc[1].address, std::string("dave@d.example"));
  CHECK_EQ(d.in_reply_to, std::string("<m3@a.example>"));
  CHECK_EQ(d.references.size(), std::size_t{3});
  CHECK_EQ(d.references[2], std::string("<m3@a.example>"));
  CHECK(d.quoted_text.find("On Tue, 1 Dec 2026 10:00:00 +0000, Alice <alice@a.example> wrote:\n"
                           "> Noon?\n") == 0);

  auto reply = parse_message(build_message(reply_spec(*original, d, o, "Yes.", std::nullopt)));
  CHECK(reply->defects.empty());
  CHECK_EQ(field(*reply, "In-Reply-To"), std::string("<m3@a.example>"));
  CHECK_EQ(field(*reply, "References"), std::string("<m1@a.example> <m2@a.example> <m3@a.example>"));
  CHECK(reply->text(0).find("Yes.\r\n\r\nOn Tue") == 0);
}

TEST(forward_attached_is_the_original_unencoded) {
  auto original = parse_message(kOriginal);
  ReplyOptions o;
  o.mode = ReplyMode::forward;
  o.inline_forward = false;
  o.to = {Mailbox{"", "erin@e.example"}};
  const ReplyDraft d = draft_reply(*original, o);
  CHECK_EQ(d.subject, std::string("Fwd: Caf\xc3\xa9"));
  CHECK(d.quoted_text.empty());
  CHECK(d.in_reply_to.empty());
  const std::string built = build_message(reply_spec(*original, d, o, "FYI", std::nullopt));
  auto m = parse_message(built);
  CHECK(m->defects.empty());
  bool found = false;
  for (std::uint32_t i = 0; i < m->parts.size(); ++i) {
    if (!m->parts[i].is_message) continue;
    found = true;
    CHECK_EQ(m->parts[i].transfer_encoding, std::string("7bit"));
    CHECK_EQ(std::string(m->bytes(m->parts[i].body)), kOriginal);
  }
  CHECK(found);
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
