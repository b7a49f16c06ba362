// Test fixture for the POP3 server state machine: a Conversation logs in to
// an in-memory maildrop, feeds "C:" lines (CRLF added) or raw bytes and checks
// "S:" response lines; when it ends it replays everything one byte at a time
// and in pseudo-random splits, which must give the same responses and the same
// commits. Header-only, for the test programs in this directory; the harness
// itself is conversation.hpp.
#pragma once
#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "conversation.hpp"
#include "mailroom/pop3/apop.hpp"
#include "mailroom/pop3/server_session.hpp"

using namespace mailroom::pop3;

namespace {

// What the maildrops of one Accounts saw.
struct MaildropLog {
  std::vector<std::vector<std::size_t>> commits;
  int opened = 0;
  int released = 0;
};

struct MemoryMaildrop : Maildrop {
  std::vector<MaildropEntry> list;
  std::vector<std::shared_ptr<const std::string>> data;
  MaildropLog& log;
  bool fail_commit = false;
  MemoryMaildrop(const std::vector<std::string>& messages, MaildropLog& l) : log(l) {
    ++log.opened;
    for (const std::string& m : messages) {
      data.push_back(std::make_shared<const std::string>(m));
      list.push_back({m.size(), "uid" + std::to_string(list.size() + 1)});
    }
  }
  ~MemoryMaildrop() override { ++log.released; }
  const std::vector<MaildropEntry>& entries() const override { return list; }
  std::shared_ptr<const std::string> content(std::size_t index) override {
    if (index >= data.size()) throw std::out_of_range("no such message");
    return data[index];
  }
  void commit(const std::vector<std::size_t>& deleted) override {
    log.commits.push_back(deleted);
    if (fail_commit) throw std::runtime_error("disk full");
  }
};

// bob / secret (APOP secret "tanstaaf") owns `messages`; "locked", "down",
// "disabled" and "thrower" reach the other answers whatever the password.
struct Accounts : Handler {
  std::vector<std::string> messages;
  MaildropLog log;
  bool fail_commit = false;
  std::shared_ptr<MemoryMaildrop> last;
  AuthResult answer(std::string_view user, bool good) {
    if (user == "locked") return AuthResult::in_use();
    if (user == "down") return AuthResult::temp_fail();
    if (user == "disabled") return {AuthResult::PermFail, nullptr, "Account disabled"};
    if (user == "thrower") throw std::runtime_error("store unreachable");
    if (user != "bob" || !good) return AuthResult::bad_credentials();
    last = std::make_shared<MemoryMaildrop>(messages, log);
    last->fail_commit = fail_commit;
    return AuthResult::ok(last);
  }
  AuthResult login(std::string_view user, std::string_view password) override {
    return answer(user, password == "secret");
  }
  AuthResult apop(std::string_view user, std::string_view digest,
                  std::string_view timestamp) override {
    return answer(user, apop_digest_matches(digest, timestamp, "tanstaaf"));
  }
};

const char* const kTimestamp = "<1896.697170952@dbc.mtview.ca.us>";

Config test_config() {
  Config c;
  c.auth_failure_delay_ms = 0;
  return c;
}

std::string run_split(const Config& cfg, const std::vector<std::string>& messages,
                      bool fail_commit, const std::string& sent,
                      const std::function<std::size_t(std::size_t)>& next_len,
                      MaildropLog& log) {
  Accounts h;
  h.messages = messages;
  h.fail_commit = fail_commit;
  std::string replies;
  {
    ServerSession s(cfg, h, "192.0.2.1:1234", kTimestamp);
    replies = s.greeting().wire();
    std::size_t i = 0;
    while (i < sent.size()) {
      const std::size_t n = std::min(next_len(i), sent.size() - i);
      std::vector<Output> out;
      s.feed(std::string_view(sent).substr(i, n), out);
      for (auto& o : out) replies += o.wire();
      i += n;
    }
  }
  log = h.log;
  return replies;
}

struct Conversation : ScriptedReplies<Conversation> {
  Config cfg;
  Accounts h;
  std::unique_ptr<ServerSession> s;
  std::vector<Output> outputs;
  bool split_invariant = true;  // false when the test calls the session between feeds

  explicit Conversation(std::vector<std::string> messages = {}, Config c = test_config(),
                        bool fail_commit = false)
      : cfg(std::move(c)) {
    h.messages = std::move(messages);
    h.fail_commit = fail_commit;
    s = std::make_unique<ServerSession>(cfg, h, "192.0.2.1:1234", kTimestamp);
    Output g = s->greeting();
    replies += g.wire();
    outputs.push_back(std::move(g));
  }
  ~Conversation() {
    if (split_invariant) check_splits();
  }

  void raw(std::string_view bytes) {
    sent += bytes;
    std::vector<Output> out;
    s->feed(bytes, out);
    for (auto& o : out) {
      replies += o.wire();
      outputs.push_back(std::move(o));
    }
    CHECK(s->buffered_bytes() < std::max(cfg.max_command_line, cfg.max_auth_line));
  }
  // Ends the connection without QUIT: the session goes, the maildrop with it.
  void drop() {
    check_splits();
    split_invariant = false;
    s.reset();
    h.last.reset();
  }
  void login() {
    S("+OK localhost POP3 server ready");
    C("USER bob");
    S("+OK Send PASS");
    C("PASS secret");
    S("+OK Logged in, ...");
  }

  void check_splits() {
    for (int k = 0; k < 2; ++k) {
      MaildropLog log;
      const std::string got = k == 0 ? run_split(cfg, h.messages, h.fail_commit, sent,
                                                 one_byte, log)
                                     : run_split(cfg, h.messages, h.fail_commit, sent,
                                                 RandomSplits{}, log);
      CHECK_EQ(got, replies);
      CHECK_EQ(log.commits.size(), h.log.commits.size());
      CHECK_EQ(log.opened, h.log.opened);
    }
  }
};

}  // namespace
