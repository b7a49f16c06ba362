// The POP3 session paused while a login is answered later
// (AuthResult::Pending): pipelined commands wait behind it and are answered
// after resume_login(), in order. Byte level, no I/O.
#include <string>
#include <vector>

#include "conversation.hpp"
#include "mailroom/pop3/server_session.hpp"

using namespace mailroom::pop3;

namespace {

struct OneMessage : Maildrop {
  std::vector<MaildropEntry> list{{5, "uid1"}};
  const std::vector<MaildropEntry>& entries() const override { return list; }
  std::shared_ptr<const std::string> content(std::size_t) override {
    return std::make_shared<const std::string>("x\r\n\r\n");
  }
  void commit(const std::vector<std::size_t>&) override {}
};

struct Later : Handler {
  std::string user, password;
  AuthResult login(std::string_view u, std::string_view p) override {
    user = u;
    password = p;
    return AuthResult::pending();
  }
};

std::string wire(const std::vector<Output>& out) {
  std::string s;
  for (const auto& o : out) s += o.wire();
  return s;
}

}  // namespace

TEST(a_login_answered_later_holds_the_pipeline) {
  Config cfg;
  cfg.plaintext_auth = true;
  Later h;
  ServerSession s(cfg, h, "192.0.2.1:1234");
  s.greeting();
  std::vector<Output> out;
  s.feed("USER bob\r\nPASS secret\r\nSTAT\r\n", out);
  CHECK_EQ(wire(out), std::string("+OK Send PASS\r\n"));  // USER; PASS and STAT wait
  CHECK(s.paused());
  CHECK_EQ(h.user, std::string("bob"));
  CHECK_EQ(h.password, std::string("secret"));
  out.clear();
  s.feed("QUIT\r\n", out);  // held too
  CHECK(out.empty());
  s.resume_login(AuthResult::ok(std::make_shared<OneMessage>()), out);
  CHECK(!s.paused());
  CHECK(s.closed());
  const std::string got = wire(out);
  CHECK(got.rfind("+OK Logged in", 0) == 0);
  CHECK(got.find("\r\n+OK 1 5\r\n+OK") != std::string::npos);  // STAT, then QUIT
  CHECK_EQ(s.user(), std::string("bob"));
}

TEST(a_refusal_later_counts_like_one_at_once) {
  Config cfg;
  cfg.plaintext_auth = true;
  cfg.auth_failure_delay_ms = 0;
  Later h;
  ServerSession s(cfg, h, "192.0.2.1:1234");
  s.greeting();
  std::vector<Output> out;
  s.feed("USER bob\r\nPASS wrong\r\n", out);
  out.clear();
  s.resume_login(AuthResult::bad_credentials(), out);
  CHECK(wire(out).rfind("-ERR [AUTH]", 0) == 0);
  CHECK_EQ(s.auth_failures(), 1u);
  CHECK(s.state() == State::Authorization);
  out.clear();
  s.resume_login(AuthResult::bad_credentials(), out);  // nobody waits: nothing
  CHECK(out.empty());
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
