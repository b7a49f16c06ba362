// The command line reader and the AUTH PLAIN decoder that the SMTP and POP3
// servers share (mailroom/line_reader.hpp, mailroom/sasl.hpp).
#include <string>
#include <vector>

#include "conversation.hpp"
#include "mailroom/line_reader.hpp"
#include "mailroom/mime/codecs.hpp"
#include "mailroom/sasl.hpp"

using mailroom::LineReader;
using mailroom::PlainResponse;

namespace {

// What a reader makes of `input` fed in pieces of `step` octets: "L:<line>"
// per line, "X:<octets>" per overlong line.
std::vector<std::string> lines_of(std::string_view input, std::size_t step, std::size_t limit) {
  LineReader r;
  std::vector<std::string> got;
  for (std::size_t at = 0; at < input.size(); at += step) {
    const std::string_view piece = input.substr(at, step);
    std::size_t i = 0;
    while (i < piece.size()) {
      switch (r.read(piece, i, [&](std::string_view) { return limit; })) {
        case LineReader::Result::More: break;
        case LineReader::Result::Line: got.push_back("L:" + std::string(r.line())); break;
        case LineReader::Result::Overlong: got.push_back("X:" + std::to_string(r.discarded())); break;
      }
      CHECK(r.buffered() < limit);
    }
  }
  return got;
}

std::string plain(std::string_view authzid, std::string_view authcid, std::string_view password) {
  std::string s(authzid);
  s.push_back('\0');
  s.append(authcid);
  s.push_back('\0');
  s.append(password);
  return mailroom::mime::base64_encode(s, 0);
}

}  // namespace

TEST(lines_end_at_lf_in_any_split) {
  const std::string input = "NOOP\r\nQUIT\r\n\r\nlast";
  const std::vector<std::string> want = {"L:NOOP\r", "L:QUIT\r", "L:\r"};
  for (std::size_t step : {1u, 2u, 3u, 7u, 100u}) CHECK(lines_of(input, step, 16) == want);
}

TEST(a_line_may_hold_the_limit_with_its_lf) {
  // limit 8: seven octets and the LF.
  CHECK(lines_of("1234567\n", 1, 8) == std::vector<std::string>{"L:1234567"});
  CHECK(lines_of("12345678\nok\n", 3, 8) == (std::vector<std::string>{"X:9", "L:ok"}));
}

TEST(an_overlong_line_is_dropped_unbuffered_and_reported_at_its_lf) {
  const std::string input = std::string(10000, 'a') + "\r\nNOOP\r\n";
  for (std::size_t step : {1u, 5u, 4096u, 20000u})
    CHECK(lines_of(input, step, 512) == (std::vector<std::string>{"X:10002", "L:NOOP\r"}));
}

TEST(the_limit_sees_the_lines_first_octets) {
  // SMTP: an AUTH line may be longer than other commands.
  LineReader r;
  const auto limit = [](std::string_view head) { return head.starts_with("AUTH ") ? 64u : 8u; };
  const std::string auth = "AUTH PLAIN " + std::string(40, 'x') + "\n";
  std::size_t i = 0;
  CHECK(r.read(std::string_view(auth).substr(0, 3), i, limit) == LineReader::Result::More);
  const std::string_view rest = std::string_view(auth).substr(3);
  i = 0;
  CHECK(r.read(rest, i, limit) == LineReader::Result::Line);
  CHECK_EQ(r.line(), std::string_view(auth).substr(0, auth.size() - 1));
  i = 0;
  CHECK(r.read("NOOP NOOP NOOP\n", i, limit) == LineReader::Result::Overlong);
}

TEST(clear_forgets_a_partial_line) {
  LineReader r;
  std::size_t i = 0;
  const auto limit = [](std::string_view) { return 100u; };
  CHECK(r.read("STARTTLS-injected", i, limit) == LineReader::Result::More);
  r.clear();
  CHECK_EQ(r.buffered(), 0u);
  i = 0;
  CHECK(r.read("EHLO x\n", i, limit) == LineReader::Result::Line);
  CHECK_EQ(r.line(), std::string_view("EHLO x"));
}

TEST(plain_response_rfc4616_forms) {
  const PlainResponse p(plain("", "tim", "tanstaaftanstaaf"));
  CHECK(p.error() == PlainResponse::Error::None);
  CHECK_EQ(p.authzid(), std::string_view());
  CHECK_EQ(p.authcid(), std::string_view("tim"));
  CHECK_EQ(p.password(), std::string_view("tanstaaftanstaaf"));
  CHECK_EQ(p.identity(), std::string_view("tim"));
  const PlainResponse q(plain("Ursel", "Kurt", "xipj3plmq"));
  CHECK_EQ(q.identity(), std::string_view("Ursel"));
  const PlainResponse empty_password(plain("", "bob", ""));
  CHECK(empty_password.error() == PlainResponse::Error::None);
}

TEST(plain_response_refuses_what_is_not_plain) {
  CHECK(PlainResponse("not base64!").error() == PlainResponse::Error::Base64);
  CHECK(PlainResponse("=").error() == PlainResponse::Error::Syntax);  // empty
  CHECK(PlainResponse(plain("", "", "pw")).error() == PlainResponse::Error::Syntax);
  const std::string one_nul = mailroom::mime::base64_encode(bytes("bob\0pw"), 0);
  CHECK(PlainResponse(one_nul).error() == PlainResponse::Error::Syntax);
  const std::string three = mailroom::mime::base64_encode(bytes("a\0bob\0pw\0x"), 0);
  CHECK(PlainResponse(three).error() == PlainResponse::Error::Syntax);
}

TEST(acts_for_itself_compares_addresses_as_the_store_does) {
  CHECK(mailroom::acts_for_itself("", "bob@example.org"));
  CHECK(mailroom::acts_for_itself("bob@EXAMPLE.org", "bob@example.org"));
  CHECK(!mailroom::acts_for_itself("Bob@example.org", "bob@example.org"));  // local part as written
  CHECK(!mailroom::acts_for_itself("alice@example.org", "bob@example.org"));
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
