// libFuzzer target for the POP3 client state machine.
//
// Input layout: byte 0 picks configuration switches, bytes 1..2 seed the split
// points; the rest is the server's byte stream. A fixed list of commands is
// queued first, then the stream is fed twice, whole and in pseudo-random
// splits: both runs must give the same output and the same responses.
// Invariants: no crash; buffers bounded by the limits; everything written is
// CRLF lines starting with a POP3 verb (or "*", the AUTH cancel); responses
// come out in command order.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "mailroom/pop3/client_session.hpp"

using namespace mailroom::pop3;

namespace {

void check_output(std::string_view w) {
  static const std::string_view verbs[] = {"CAPA", "USER ", "PASS ", "AUTH ", "STAT", "LIST",
                                           "UIDL", "TOP ", "RETR ", "DELE ", "RSET", "NOOP",
                                           "QUIT", "*"};
  std::size_t pos = 0;
  while (pos < w.size()) {
    const std::size_t e = w.find("\r\n", pos);
    REQUIRE(e != std::string_view::npos);
    const std::string_view line = w.substr(pos, e - pos);
    REQUIRE(line.find('\r') == std::string_view::npos);
    REQUIRE(line.find('\n') == std::string_view::npos);
    bool known = false;
    for (auto v : verbs) known = known || line.substr(0, v.size()) == v;
    REQUIRE(known);
    pos = e + 2;
  }
}

struct Run {
  std::string written;
  std::vector<Response> responses;
};

Run run(const ClientConfig& cfg, std::uint8_t flags, std::string_view stream, std::uint32_t seed,
        bool split) {
  ClientSession c(cfg);
  c.set_allow_plaintext_auth(true);  // the clear-text login paths are fuzzed too
  if (flags & 1) c.capa();
  if (flags & 2) c.auth_plain("bob", "secret");
  else {
    c.user("bob");
    c.pass("pass word");
  }
  c.stat();
  c.list();
  c.uidl(2);
  c.retr(1);
  c.retr(2);
  c.top(3, 5);
  c.dele(1);
  if (flags & 4) c.rset();
  c.noop();
  c.quit();
  Run r;
  std::uint64_t last_id = 0;
  bool first = true;
  std::size_t i = 0;
  while (i < stream.size()) {
    const std::size_t n = mailroom_fuzz::next_piece(seed, stream.size() - i, split);
    c.feed(stream.substr(i, n));
    i += n;
    const std::string w = c.take_output();
    check_output(w);
    r.written += w;
    REQUIRE(c.buffered_bytes() <= cfg.max_line + cfg.max_body_bytes);
    REQUIRE(c.transcript().size() <= cfg.max_transcript_bytes);
    while (auto resp = c.next_response()) {
      REQUIRE(first || resp->id > last_id);
      REQUIRE(resp->body.size() <= cfg.max_body_bytes);
      REQUIRE(resp->multiline || resp->body.empty());
      first = false;
      last_id = resp->id;
      r.responses.push_back(std::move(*resp));
    }
  }
  c.on_eof();
  REQUIRE(c.closed());
  REQUIRE(c.current_timeout().count() == 0);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::uint8_t flags = data[0];
  const std::uint32_t seed = data[1] | (std::uint32_t{data[2]} << 8);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 3, size - 3);
  ClientConfig cfg;
  cfg.use_pipelining = !(flags & 8);
  cfg.max_line = (flags & 16) ? 32 : 4096;
  cfg.max_body_bytes = (flags & 32) ? 64 : 4096;
  cfg.max_transcript_bytes = (flags & 64) ? 300 : 0;
  const Run whole = run(cfg, flags, stream, seed, false);
  const Run parts = run(cfg, flags, stream, seed, true);
  REQUIRE(whole.written == parts.written);
  REQUIRE(whole.responses.size() == parts.responses.size());
  for (std::size_t k = 0; k < whole.responses.size(); ++k) {
    REQUIRE(whole.responses[k].id == parts.responses[k].id);
    REQUIRE(whole.responses[k].status_line == parts.responses[k].status_line);
    REQUIRE(whole.responses[k].body == parts.responses[k].body);
  }
  return 0;
}
