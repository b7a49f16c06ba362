// Test harness for the SMTP server state machine: a Conversation feeds "C:"
// lines (CRLF added) or raw bytes and checks "S:" reply lines; when it ends it
// replays everything one byte at a time and in pseudo-random splits, which must
// give the same replies and the same delivered messages. Header-only, for the
// test programs in this directory.
#pragma once
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "mailroom/smtp/path.hpp"
#include "mailroom/smtp/server_session.hpp"

using namespace mailroom::smtp;

namespace {

inline int g_failures = 0;
inline int g_checks = 0;
inline const char* g_test = "";

#define CHECK(cond)                                                              \
  do {                                                                           \
    ++g_checks;                                                                  \
    if (!(cond)) {                                                               \
      ++g_failures;                                                              \
      std::fprintf(stderr, "FAIL [%s] %s:%d: %s\n", g_test, __FILE__, __LINE__, \
                   #cond);                                                       \
    }                                                                            \
  } while (0)

std::string show(std::string_view s) {
  std::string r;
  for (unsigned char c : s) {
    if (c == '\r') r += "\\r";
    else if (c == '\n') r += "\\n";
    else if (c < 32 || c >= 127) { char b[8]; std::snprintf(b, sizeof b, "\\x%02x", c); r += b; }
    else r.push_back(static_cast<char>(c));
  }
  return r;
}
template <class T>
  requires std::is_arithmetic_v<T>
std::string show(const T& v) {
  return std::to_string(v);
}

#define CHECK_EQ(a, b)                                                              \
  do {                                                                              \
    ++g_checks;                                                                     \
    const auto& a_ = (a);                                                           \
    const auto& b_ = (b);                                                           \
    if (!(a_ == b_)) {                                                              \
      ++g_failures;                                                                 \
      std::fprintf(stderr, "FAIL [%s] %s:%d: %s == %s\n  got:  %s\n  want: %s\n",  \
                   g_test, __FILE__, __LINE__, #a, #b, show(a_).c_str(),            \
                   show(b_).c_str());                                               \
    }                                                                               \
  } while (0)

// A string literal with its embedded NULs (without the terminating one).
template <std::size_t N>
std::string bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

// Plays a transcript against `t`: "C: x" calls t.C("x"), "S: x" calls t.S("x")
// ("C:" and "S:" alone: an empty line); leading spaces are ignored.
template <class T>
void run_script(T& t, std::string_view text) {
  while (!text.empty()) {
    const std::size_t e = text.find('\n');
    std::string_view line = text.substr(0, e);
    text = e == std::string_view::npos ? std::string_view{} : text.substr(e + 1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line == "C:") t.C("");
    else if (line == "S:") t.S("");
    else if (line.substr(0, 3) == "C: ") t.C(line.substr(3));
    else if (line.substr(0, 3) == "S: ") t.S(line.substr(3));
    else if (!line.empty()) { ++g_failures; std::fprintf(stderr, "bad script line\n"); }
  }
}

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

struct Conversation {
  Config cfg;
  Recorder h;
  std::unique_ptr<ServerSession> s;
  std::string sent, replies;
  std::vector<Output> outputs;
  std::size_t pos = 0;

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
  void C(std::string_view line) { raw(std::string(line) + "\r\n"); }
  // The next reply line; a pattern ending in "..." matches a prefix.
  void S(std::string_view want) {
    const std::size_t e = replies.find("\r\n", pos);
    if (e == std::string::npos) {
      ++g_failures;
      std::fprintf(stderr, "FAIL [%s] expected \"%s\" but no more replies\n", g_test,
                   show(want).c_str());
      return;
    }
    const std::string got = replies.substr(pos, e - pos);
    pos = e + 2;
    if (want.size() >= 3 && want.substr(want.size() - 3) == "...") {
      want.remove_suffix(3);
      CHECK_EQ(got.substr(0, want.size()), std::string(want));
    } else {
      CHECK_EQ(got, std::string(want));
    }
  }
  void script(std::string_view text) { run_script(*this, text); }
  void no_more_replies() { CHECK_EQ(replies.substr(pos), std::string()); }

  void check_splits() {
    std::vector<Delivered> msgs;
    const std::string one = run_split(cfg, sent, [](std::size_t) { return 1; }, msgs);
    CHECK_EQ(one, replies);
    CHECK_EQ(msgs.size(), h.messages.size());
    for (std::size_t k = 0; k < std::min(msgs.size(), h.messages.size()); ++k)
      CHECK_EQ(msgs[k].message, h.messages[k].message);
    std::uint32_t x = 12345;
    const std::string rnd = run_split(cfg, sent, [&](std::size_t) {
      x = x * 1103515245u + 12345u;
      return static_cast<std::size_t>((x >> 16) % 700) + 1;
    }, msgs);
    CHECK_EQ(rnd, replies);
    CHECK_EQ(msgs.size(), h.messages.size());
  }
};

std::vector<std::pair<const char*, std::function<void()>>>& registry() {
  static std::vector<std::pair<const char*, std::function<void()>>> r;
  return r;
}
struct Register {
  Register(const char* name, std::function<void()> f) { registry().emplace_back(name, std::move(f)); }
};
#define TEST(name)                                   \
  static void name();                                \
  static const Register reg_##name(#name, name);    \
  static void name()

// Runs the registered tests whose name contains argv[1] (all without it).
int run_registered_tests(int argc, char** argv) {
  int ran = 0;
  for (auto& [name, fn] : registry()) {
    if (argc > 1 && std::strstr(name, argv[1]) == nullptr) continue;
    g_test = name;
    const int before = g_failures;
    fn();
    ++ran;
    std::printf("%s %s\n", g_failures == before ? "ok  " : "FAIL", name);
  }
  std::printf("%d tests, %d checks, %d failures\n", ran, g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}

const char* kEhlo =
    "S: 250-localhost\n S: 250-PIPELINING\n S: 250-SIZE 33554432\n S: 250-8BITMIME\n"
    " S: 250-SMTPUTF8\n S: 250-ENHANCEDSTATUSCODES\n S: 250-CHUNKING\n S: 250 BINARYMIME\n";

// Greeted with EHLO, replies consumed.
[[maybe_unused]] void ehlo(Conversation& t) {
  t.S("220 localhost ESMTP mailroom");
  t.C("EHLO client.example");
  t.script(kEhlo);
}

}  // namespace

