// libFuzzer target for the POP3 server state machine.
//
// Input layout: byte 0 picks configuration switches, byte 1 the limits,
// bytes 2..3 seed the split points; the rest is the client's byte stream.
// Logins: "bob"/"pw" (APOP secret "pw") opens a fake maildrop whose messages
// need dot-stuffing, line-end repair or neither; "busy", "temp" and "throw"
// reach the other handler answers. The stream is fed twice, whole and in
// pseudo-random splits; both runs must give byte-identical responses.
// Invariants: every response is well-formed (+OK / -ERR / "+ " single lines,
// multi-line ones ending in CRLF "." CRLF with nothing that could end them
// early), nothing after a closing response, the maildrop is committed only by
// QUIT in the TRANSACTION state, buffers stay bounded.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/pop3/apop.hpp"
#include "mailroom/pop3/server_session.hpp"

#include "fuzz_support.hpp"

using namespace mailroom::pop3;

namespace {

struct FakeMaildrop : Maildrop {
  std::vector<MaildropEntry> list;
  std::vector<std::shared_ptr<const std::string>> data;
  int* commits;
  explicit FakeMaildrop(int* c) : commits(c) {
    const char* const messages[] = {
        "Subject: one\r\n\r\nhello\r\n",
        "Subject: dots\r\n\r\n.\r\n..x\r\n.\r\nend\r\n",
        "Subject: lf\n\nbare\nlines\n.",
        "",
        "no header no end",
        "X: y\r\n\r\n\r\n.\r\n\r\n",
    };
    for (const char* m : messages) {
      data.push_back(std::make_shared<const std::string>(m));
      list.push_back({std::string(m).size(), "uid-" + std::to_string(list.size())});
    }
    list.back().uid = "bad\r\nuid";
  }
  const std::vector<MaildropEntry>& entries() const override { return list; }
  std::shared_ptr<const std::string> content(std::size_t index) override {
    REQUIRE(index < data.size());
    if (index == 3) return nullptr;  // "unavailable"
    return data[index];
  }
  void commit(const std::vector<std::size_t>& deleted) override {
    ++*commits;
    for (std::size_t k = 0; k < deleted.size(); ++k) {
      REQUIRE(deleted[k] < list.size());
      REQUIRE(k == 0 || deleted[k - 1] < deleted[k]);
    }
    if (deleted.size() == list.size()) throw 1;  // "some deleted messages not removed"
  }
};

struct FuzzHandler : Handler {
  int commits = 0;
  int opened = 0;
  // The user "later" is answered later (as "bob"); the run resumes the
  // session with it after each feed.
  std::optional<AuthResult> later;
  AuthResult answer(std::string_view user, bool good) {
    if (user == "busy") return AuthResult::in_use();
    if (user == "temp") return AuthResult::temp_fail("down\r\n+OK fake");
    if (user == "throw") throw 7;
    if (user == "bob" && good) {
      ++opened;
      return AuthResult::ok(std::make_shared<FakeMaildrop>(&commits));
    }
    return AuthResult::bad_credentials();
  }
  AuthResult login(std::string_view user, std::string_view password) override {
    if (user == "later") {
      REQUIRE(!later);
      later = answer("bob", password == "pw");
      return AuthResult::pending();
    }
    return answer(user, password == "pw");
  }
  AuthResult apop(std::string_view user, std::string_view digest,
                  std::string_view timestamp) override {
    return answer(user, apop_digest_matches(digest, timestamp, "pw"));
  }
};

void check_response(const Output& o) {
  const std::string w = o.wire();
  REQUIRE(w.size() >= 4);
  REQUIRE(w.compare(w.size() - 2, 2, "\r\n") == 0);
  const std::size_t first_end = w.find("\r\n");
  const std::string_view first(w.data(), first_end);
  REQUIRE(first.find('\n') == std::string_view::npos);
  REQUIRE(first.find('\r') == std::string_view::npos);
  if (o.ok) {
    REQUIRE(first == "+OK" || first.substr(0, 4) == "+OK " || first == "+ ");
  } else {
    REQUIRE(first.substr(0, 5) == "-ERR ");
    REQUIRE(first_end + 2 == w.size());
  }
  REQUIRE(!o.start_tls || o.ok);
  if (o.body) REQUIRE(o.tail == ".\r\n");
  if (first_end + 2 == w.size()) return;  // single line
  // Multi-line: CRLF line ends only, and the only "." line is the last.
  REQUIRE(w.size() >= first_end + 5);
  REQUIRE(w.find("\r\n.\r\n", first_end) == w.size() - 5);
  for (std::size_t p = w.find('\n'); p != std::string::npos; p = w.find('\n', p + 1))
    REQUIRE(p > 0 && w[p - 1] == '\r');
  for (std::size_t p = w.find('\r'); p != std::string::npos; p = w.find('\r', p + 1))
    REQUIRE(p + 1 < w.size() && (w[p + 1] == '\n' || p > first_end));
}

std::string run(const Config& cfg, std::string_view stream, std::uint32_t seed, bool split) {
  FuzzHandler h;
  std::string replies;
  {
    ServerSession s(cfg, h, "fuzz", "<1.2@fuzz>");
    const Output g = s.greeting();
    check_response(g);
    replies += g.wire();
    bool closed = false;
    std::size_t i = 0;
    const std::size_t bound = std::max(cfg.max_command_line, cfg.max_auth_line);
    while (i < stream.size()) {
      const std::size_t n = mailroom_fuzz::next_piece(seed, stream.size() - i, split);
      const State before = s.state();
      const int commits_before = h.commits;
      std::vector<Output> out;
      s.feed(stream.substr(i, n), out);
      while (s.paused()) {  // the answer comes before the next piece
        REQUIRE(h.later.has_value());
        AuthResult r = std::move(*h.later);
        h.later.reset();
        s.resume_login(std::move(r), out);
      }
      if (cfg.stls) s.tls_established();
      for (const Output& o : out) {
        REQUIRE(!closed);
        check_response(o);
        closed = o.close_after;
        replies += o.wire();
      }
      if (h.commits != commits_before) {
        // UPDATE: only QUIT in TRANSACTION, and it ends the session.
        REQUIRE(h.commits == commits_before + 1);
        REQUIRE(before == State::Transaction || h.opened > 0);
        REQUIRE(closed && !out.empty());
        const std::string& last = out.back().bytes;
        REQUIRE(last.find("signing off") != std::string::npos ||
                last.find("[SYS/TEMP] Some deleted") != std::string::npos);
      }
      REQUIRE(s.closed() == closed);
      REQUIRE(s.buffered_bytes() < bound);
      REQUIRE(s.transcript().size() <= cfg.max_transcript_bytes);
      i += n;
    }
    const int commits_before = h.commits;
    std::vector<Output> out;
    s.on_timeout(out);
    REQUIRE(out.size() == (closed ? 0u : 1u));
    REQUIRE(h.commits == commits_before);
  }
  REQUIRE(h.commits <= 1);
  return replies;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mailroom_fuzz::SessionFuzzInput in;
  if (!in.parse(data, size)) return 0;
  const std::uint8_t flags = in.flags, limits = in.limits;

  Config cfg;
  cfg.auth_failure_delay_ms = 0;
  cfg.apop = flags & 1;
  cfg.stls = flags & 2;
  cfg.plaintext_auth = !(flags & 4);
  cfg.user_pass = !(flags & 8);
  cfg.auth_plain = !(flags & 16);
  cfg.max_transcript_bytes = (flags & 32) ? 300 : 0;
  if (flags & 64) cfg.expire = "NEVER\r\n";
  cfg.max_command_line = (limits & 1) ? 20 : 255;
  cfg.max_auth_line = (limits & 2) ? 16 : 2048;
  cfg.max_errors = (limits & 4) ? 0 : 10;
  cfg.max_auth_failures = (limits & 8) ? 0 : 3;

  const std::string whole = run(cfg, in.stream, in.seed, false);
  const std::string parts = run(cfg, in.stream, in.seed, true);
  if (!cfg.stls) REQUIRE(whole == parts);  // STLS drops input up to the handshake
  return 0;
}
