// The harness shared by the C++ test programs in this directory: CHECK /
// CHECK_EQ, TEST registration and run_registered_tests() for main(), and the
// scripted side of a protocol conversation checked against textbook
// transcripts ("C: ..." lines are sent with CRLF, "S: ..." lines expected).
// The session fixtures (smtp_conversation.hpp, pop3_conversation.hpp) derive
// from ScriptedReplies and replay what was sent one byte at a time and in
// pseudo-random splits, which must give the same replies. Header-only.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

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

// The body of main(): runs the registered tests whose name contains argv[1]
// (all without it).
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

// Replays split one byte at a time ...
inline std::size_t one_byte(std::size_t) { return 1; }
// ... and in pseudo-random pieces of 1..700 octets.
struct RandomSplits {
  std::uint32_t x = 12345;
  std::size_t operator()(std::size_t) {
    x = x * 1103515245u + 12345u;
    return static_cast<std::size_t>((x >> 16) % 700) + 1;
  }
};

// The client side of a conversation with a server session. `Derived` has
// raw(bytes), which sends and appends the replies.
template <class Derived>
struct ScriptedReplies {
  std::string sent, replies;
  std::size_t pos = 0;

  void C(std::string_view line) { static_cast<Derived*>(this)->raw(std::string(line) + "\r\n"); }
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
};

}  // namespace
