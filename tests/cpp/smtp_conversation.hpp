// Test fixture for the SMTP server state machine: a Conversation feeds "C:"
// lines (CRLF added) or raw bytes and checks "S:" reply lines; when it ends it
// replays everything one byte at a time and in pseudo-random splits, which must
// give the same replies and the same delivered messages. Header-only, for the
// test programs in this directory; the harness itself is conversation.hpp.
#pragma once
#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "conversation.hpp"
#include "mailroom/smtp/path.hpp"
#include "mailroom/sasl.hpp"
#include "mailroom/smtp/server_session.hpp"

using namespace mailroom::smtp;

namespace {

struct Delivered {
  Envelope env;
  std::string message;
};

// A handler whose answers depend on the addresses, so tests can reach every path.
struct Recorder : Handler {
  std::vector<Delivered> messages;
  Decision on_helo(std::string_view name) override {
    if (name == "blocked.example") return Decision::reject(550, "", "Go away");
    return {};
  }
  Decision on_mail(const Envelope&, std::string_view from) override {
    if (from == "spammer@example.com") return Decision::reject(550, "5.7.1", "Sender blocked");
    if (from == "slow@example.com") {
      Decision d;
      d.delay_ms = 1500;
      return d;
    }
    return {};
  }
  Decision on_rcpt(const Envelope&, std::string_view rcpt) override {
    if (rcpt.substr(0, 8) == "unknown@") return Decision::reject(550, "5.1.1", "No such user");
    if (rcpt.substr(0, 6) == "throw@") throw std::runtime_error("hook failed");
    if (rcpt.substr(0, 4) == "bye@") return Decision::disconnect();
    if (rcpt.substr(0, 7) == "custom@") {
      Decision d;
      d.reply = Reply(251, "2.1.5", "User not local; will forward");
      return d;
    }
    return {};
  }
  // Accounts: tim / tanstaaftanstaaf (RFC 2195's example), "boom" throws.
  AuthOutcome on_auth(const AuthRequest& r) override {
    if (r.user == "boom") throw std::runtime_error("directory down");
    if (r.user != "tim") return AuthOutcome::BadCredentials;
    if (r.mechanism == "CRAM-MD5")
      return r.digest == mailroom::cram_md5_digest(r.challenge, "tanstaaftanstaaf")
                 ? AuthOutcome::Ok
                 : AuthOutcome::BadCredentials;
    return r.password == "tanstaaftanstaaf" ? AuthOutcome::Ok : AuthOutcome::BadCredentials;
  }
  std::string auth_challenge() override { return "<1896.697170952@postoffice.reston.mci.net>"; }
  Decision on_data(const Envelope& env, std::string&& message) override {
    const bool reject = message.find("REJECT-ME") != std::string::npos;
    messages.push_back({env, std::move(message)});
    if (reject) return Decision::reject(554, "5.7.1", "Content rejected");
    return {};
  }
};

std::string run_split(const Config& cfg, const std::string& sent,
                      const std::function<std::size_t(std::size_t)>& next_len,
                      std::vector<Delivered>& msgs) {
  Recorder h;
  ServerSession s(cfg, h, "192.0.2.1:1234");
  std::string replies = s.greeting().bytes;
  std::size_t i = 0;
  while (i < sent.size()) {
    const std::size_t n = std::min(next_len(i), sent.size() - i);
    std::vector<Output> out;
    s.feed(std::string_view(sent).substr(i, n), out);
    for (auto& o : out) replies += o.bytes;
    i += n;
  }
  msgs = std::move(h.messages);
  return replies;
}

struct Conversation : ScriptedReplies<Conversation> {
  Config cfg;
  Recorder h;
  std::unique_ptr<ServerSession> s;
  std::vector<Output> outputs;

  explicit Conversation(Config c = {}) : cfg(std::move(c)) {
    s = std::make_unique<ServerSession>(cfg, h, "192.0.2.1:1234");
    Output g = s->greeting();
    replies += g.bytes;
    outputs.push_back(g);
  }
  bool split_invariant = true;  // false when the test calls the session between feeds
  ~Conversation() {
    if (split_invariant) check_splits();
  }

  void raw(std::string_view bytes) {
    sent += bytes;
    std::vector<Output> out;
    s->feed(bytes, out);
    for (auto& o : out) {
      replies += o.bytes;
      outputs.push_back(o);
      CHECK(s->buffered_bytes() <= cfg.max_command_line + cfg.max_message_size);
    }
  }

  void check_splits() {
    std::vector<Delivered> msgs;
    const std::string one = run_split(cfg, sent, one_byte, msgs);
    CHECK_EQ(one, replies);
    CHECK_EQ(msgs.size(), h.messages.size());
    for (std::size_t k = 0; k < std::min(msgs.size(), h.messages.size()); ++k)
      CHECK_EQ(msgs[k].message, h.messages[k].message);
    const std::string rnd = run_split(cfg, sent, RandomSplits{}, msgs);
    CHECK_EQ(rnd, replies);
    CHECK_EQ(msgs.size(), h.messages.size());
  }
};

const char* kEhlo =
    "S: 250-localhost\n S: 250-PIPELINING\n S: 250-SIZE 33554432\n S: 250-8BITMIME\n"
    " S: 250-SMTPUTF8\n S: 250-ENHANCEDSTATUSCODES\n S: 250-DSN\n S: 250-CHUNKING\n"
    " S: 250 BINARYMIME\n";

// Greeted with EHLO, replies consumed.
[[maybe_unused]] void ehlo(Conversation& t) {
  t.S("220 localhost ESMTP mailroom");
  t.C("EHLO client.example");
  t.script(kEhlo);
}

}  // namespace

