// The SMTP session paused while its handler answers later (h11's PAUSED):
// on_data returns Decision::answer_later(), on_auth AuthOutcome::Pending;
// the session holds what comes meanwhile and answers it after
// resume_data() / resume_auth(), in order. Byte level, no I/O.
#include <string>
#include <vector>

#include "conversation.hpp"
#include "mailroom/smtp/server_session.hpp"

using namespace mailroom::smtp;

namespace {

struct Later : Handler {
  std::vector<std::string> messages;
  std::string user, password;
  Decision on_data(const Envelope&, std::string&& message) override {
    messages.push_back(std::move(message));
    return Decision::answer_later();
  }
  AuthOutcome on_auth(const AuthRequest& r) override {
    user = r.user;
    password = r.password;
    return AuthOutcome::Pending;
  }
};

Config auth_config() {
  Config c;
  c.auth = true;
  c.plaintext_auth = true;
  return c;
}

std::string wire(const std::vector<Output>& out) {
  std::string s;
  for (const auto& o : out) s += o.bytes;
  return s;
}

const std::string kPipelined =
    "HELO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
    "Subject: x\r\n\r\nbody\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n";

// Feeds `in` in pieces of `step` octets; whenever the session pauses, the
// answer (`resume`) comes before the next piece.
template <class Resume>
std::string run(const Config& cfg, Later& h, const std::string& in, std::size_t step,
                Resume resume) {
  ServerSession s(cfg, h, "192.0.2.1:1234");
  std::string replies = s.greeting().bytes;
  for (std::size_t i = 0; i < in.size(); i += step) {
    std::vector<Output> out;
    s.feed(std::string_view(in).substr(i, step), out);
    while (s.paused()) resume(s, out);
    replies += wire(out);
  }
  return replies;
}

}  // namespace

TEST(data_end_pauses_until_the_answer_and_holds_the_pipeline) {
  Config cfg;
  Later h;
  ServerSession s(cfg, h, "192.0.2.1:1234");
  CHECK_EQ(s.greeting().bytes, std::string("220 localhost ESMTP mailroom\r\n"));
  std::vector<Output> out;
  s.feed(kPipelined, out);
  // S: 250 / 250 / 250 / 354, then nothing: the message waits for its answer,
  // and RSET NOOP QUIT wait behind it.
  CHECK_EQ(wire(out), std::string("250 localhost\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
                                  "354 End data with <CR><LF>.<CR><LF>\r\n"));
  CHECK(s.paused());
  CHECK_EQ(h.messages.size(), std::size_t{1});
  CHECK_EQ(h.messages[0], std::string("Subject: x\r\n\r\nbody\r\n"));
  out.clear();
  s.feed("NOOP\r\n", out);  // more input while paused: held too
  CHECK(out.empty());
  CHECK(!s.closed());
  s.resume_data(Decision::reject(554, "5.7.1", "no thanks"), out);
  CHECK(!s.paused());
  CHECK_EQ(wire(out), std::string("554 5.7.1 no thanks\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n"
                                  "221 2.0.0 Bye\r\n"));
  CHECK(s.closed());
  CHECK_EQ(s.messages_accepted(), std::size_t{0});
  // A second answer, or one nobody waits for, changes nothing.
  out.clear();
  s.resume_data(Decision{}, out);
  CHECK(out.empty());
}

TEST(the_same_replies_for_any_split) {
  Config cfg;
  auto accept = [](ServerSession& s, std::vector<Output>& out) { s.resume_data(Decision{}, out); };
  Later whole_h;
  const std::string whole = run(cfg, whole_h, kPipelined, kPipelined.size(), accept);
  CHECK_EQ(whole, std::string("220 localhost ESMTP mailroom\r\n250 localhost\r\n"
                              "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
                              "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued\r\n"
                              "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n"));
  for (std::size_t step : {1, 2, 7, 64}) {
    Later h;
    CHECK_EQ(run(cfg, h, kPipelined, step, accept), whole);
    CHECK(h.messages == whole_h.messages);
  }
}

TEST(auth_pauses_until_the_answer) {
  const Config cfg = auth_config();
  Later h;
  ServerSession s(cfg, h, "192.0.2.1:1234");
  s.greeting();
  std::vector<Output> out;
  // C: AUTH PLAIN base64("\0tim\0tanstaaftanstaaf"), then MAIL pipelined.
  s.feed("EHLO c\r\nAUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\nMAIL FROM:<tim@example.org>\r\n", out);
  CHECK(s.paused());
  CHECK_EQ(h.user, std::string("tim"));
  CHECK_EQ(h.password, std::string("tanstaaftanstaaf"));
  CHECK(s.auth_user().empty());
  out.clear();
  s.resume_auth(AuthOutcome::Ok, out);
  CHECK_EQ(wire(out), std::string("235 2.7.0 Authentication successful\r\n250 2.1.0 Ok\r\n"));
  CHECK_EQ(s.auth_user(), std::string("tim"));
  // A refusal later counts like one at once.
  Later h2;
  ServerSession s2(cfg, h2, "192.0.2.1:1234");
  s2.greeting();
  out.clear();
  s2.feed("EHLO c\r\nAUTH PLAIN AHRpbQB3cm9uZw==\r\n", out);
  out.clear();
  s2.resume_auth(AuthOutcome::BadCredentials, out);
  CHECK_EQ(wire(out), std::string("535 5.7.8 Authentication credentials invalid\r\n"));
  CHECK(s2.auth_user().empty());
  CHECK(!s2.paused());
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
