// libFuzzer target for the SMTP server state machine.
//
// Input layout: byte 0 picks configuration switches, byte 1 the limits,
// bytes 2..3 seed the split points; the rest is the client's byte stream.
// The stream is fed twice, whole and in pseudo-random splits; both runs must
// give byte-identical replies and identical delivered messages. Invariants
// checked on every Output: well-formed replies only, nothing after a closing
// reply, buffers bounded by the configured limits.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "mailroom/smtp/server_session.hpp"

using namespace mailroom::smtp;

namespace {

struct FuzzHandler : Handler {
  std::vector<std::string> messages;
  std::size_t max_size = 0;
  // Answers given later (a message with "LATER", the user "later"); the run
  // resumes the session with them after each feed.
  std::optional<Decision> later_data;
  std::optional<AuthOutcome> later_auth;
  Decision on_helo(std::string_view name) override {
    if (name.find('!') != std::string_view::npos) return Decision::reject(550, "", "no");
    return {};
  }
  Decision on_mail(const Envelope& env, std::string_view from) override {
    REQUIRE(env.mail_from == from);
    if (from.find('~') != std::string_view::npos) return Decision::disconnect();
    return {};
  }
  Decision on_rcpt(const Envelope&, std::string_view rcpt) override {
    if (rcpt.find('#') != std::string_view::npos) throw 42;
    if (rcpt.find('%') != std::string_view::npos) return Decision::reject(450, "4.2.0", "later");
    if (rcpt.find('$') != std::string_view::npos) {
      Decision d;
      d.reply = Reply(250, "2.1.5", "custom\r\nreply");
      return d;
    }
    return {};
  }
  AuthOutcome on_auth(const AuthRequest& r) override {
    REQUIRE(r.mechanism == "PLAIN" || r.mechanism == "LOGIN" || r.mechanism == "CRAM-MD5");
    if (r.user == "boom") throw 7;
    if (r.user == "weak") return AuthOutcome::TooWeak;
    if (r.user == "later") {
      REQUIRE(!later_auth);
      later_auth = r.password == "pw" ? AuthOutcome::Ok : AuthOutcome::BadCredentials;
      return AuthOutcome::Pending;
    }
    return r.user == "tim" && (r.password == "pw" || r.digest.size() == 32) ? AuthOutcome::Ok
                                                                            : AuthOutcome::BadCredentials;
  }
  std::string auth_challenge() override { return "<1.2@fuzz>"; }
  Decision on_data(const Envelope& env, std::string&& message) override {
    REQUIRE(message.size() <= max_size);
    REQUIRE(!env.rcpt_to.empty());
    // RFC 3461 values as parsed: one per recipient, ENVID printable and short,
    // NOTIFY=NEVER alone.
    REQUIRE(env.rcpt_dsn.size() == env.rcpt_to.size());
    REQUIRE(env.dsn.envid.size() <= kMaxEnvidLength);
    for (unsigned char c : env.dsn.envid) REQUIRE(c >= 32 && c <= 126);
    for (const auto& d : env.rcpt_dsn) {
      REQUIRE(!(d.notify & kNotifyNever) || d.notify == kNotifyNever);
      REQUIRE(d.orcpt.size() <= kMaxOrcptLength);
      REQUIRE(d.orcpt_type.empty() == d.orcpt.empty());
    }
    const bool reject = message.find("REJECT") != std::string::npos;
    const bool later = message.find("LATER") != std::string::npos;
    messages.push_back(std::move(message));
    const Decision d = reject ? Decision::reject(554, "5.7.1", "rejected") : Decision{};
    if (!later) return d;
    REQUIRE(!later_data);
    later_data = d;
    return Decision::answer_later();
  }
};

void check_reply(const Output& o) {
  const std::string& b = o.bytes;
  REQUIRE(b.size() >= 6);
  std::size_t pos = 0;
  int code = -1;
  while (pos < b.size()) {
    const std::size_t e = b.find("\r\n", pos);
    REQUIRE(e != std::string::npos);
    const std::string_view line(b.data() + pos, e - pos);
    REQUIRE(line.size() >= 4);
    REQUIRE(line.find('\r') == std::string_view::npos);
    REQUIRE(line.find('\n') == std::string_view::npos);
    for (int k = 0; k < 3; ++k) REQUIRE(line[k] >= '0' && line[k] <= '9');
    const int c = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    REQUIRE(c >= 200 && c <= 599);
    REQUIRE(code == -1 || c == code);
    code = c;
    const bool last = e + 2 == b.size();
    REQUIRE(line[3] == (last ? ' ' : '-'));
    pos = e + 2;
  }
  REQUIRE(code == o.code);
  REQUIRE(!o.close_after || o.code == 221 || (o.code >= 400 && o.code < 600));
}

struct Run {
  std::string replies;
  std::vector<std::string> messages;
};

Run run(const Config& cfg, std::string_view stream, std::uint32_t seed, bool split) {
  FuzzHandler h;
  h.max_size = cfg.max_message_size;
  ServerSession s(cfg, h, "fuzz");
  Run r;
  const Output g = s.greeting();
  check_reply(g);
  r.replies += g.bytes;
  bool closed = false;
  std::size_t i = 0;
  while (i < stream.size()) {
    const std::size_t n = mailroom_fuzz::next_piece(seed, stream.size() - i, split);
    std::vector<Output> out;
    s.feed(stream.substr(i, n), out);
    while (s.paused()) {  // the answer comes before the next piece
      REQUIRE(h.later_data || h.later_auth);
      if (h.later_data) {
        const Decision d = *h.later_data;
        h.later_data.reset();
        s.resume_data(d, out);
      } else {
        const AuthOutcome o = *h.later_auth;
        h.later_auth.reset();
        s.resume_auth(o, out);
      }
    }
    if (cfg.starttls) s.tls_established();
    for (const Output& o : out) {
      REQUIRE(!closed);
      check_reply(o);
      closed = o.close_after;
      r.replies += o.bytes;
    }
    REQUIRE(s.closed() == closed);
    REQUIRE(s.buffered_bytes() <=
            std::max(cfg.max_command_line, cfg.max_auth_line) + cfg.max_message_size);
    REQUIRE(s.transcript().size() <= cfg.max_transcript_bytes);
    i += n;
  }
  std::vector<Output> out;
  s.on_timeout(out);
  REQUIRE(out.size() == (closed ? 0u : 1u));
  r.messages = std::move(h.messages);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mailroom_fuzz::SessionFuzzInput in;
  if (!in.parse(data, size)) return 0;
  const std::uint8_t flags = in.flags, limits = in.limits;

  Config cfg;
  cfg.reject_long_lines = flags & 1;
  cfg.reject_bare_newlines = flags & 2;
  cfg.enhancedstatuscodes = !(flags & 4);
  cfg.chunking = !(flags & 8);
  cfg.smtputf8 = !(flags & 16);
  cfg.dsn = !(flags & 16);  // RFC 3461 off together with SMTPUTF8
  cfg.vrfy = flags & 32;
  cfg.starttls = flags & 64;
  cfg.max_transcript_bytes = (flags & 128) ? 300 : 0;
  cfg.max_message_size = std::size_t{64} << (limits & 7);   // 64 .. 8192
  cfg.max_command_line = (limits & 8) ? 40 : 512;
  cfg.max_text_line = (limits & 16) ? 20 : 1000;
  cfg.max_recipients = (limits & 32) ? 2 : 1000;
  cfg.max_errors = (limits & 64) ? 0 : 10;
  cfg.auth = limits & 128;
  cfg.auth_cram_md5 = cfg.auth;
  cfg.auth_failure_delay_ms = 0;
  cfg.plaintext_auth = !(flags & 64);  // with STARTTLS: AUTH only after the handshake
  cfg.auth_required = (limits & 129) == 129;

  const Run whole = run(cfg, in.stream, in.seed, false);
  const Run parts = run(cfg, in.stream, in.seed, true);
  if (!cfg.starttls) {  // STARTTLS drops input up to the handshake: split-dependent
    REQUIRE(whole.replies == parts.replies);
    REQUIRE(whole.messages == parts.messages);
  }
  return 0;
}
