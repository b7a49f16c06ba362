// libFuzzer target for the IMAP client state machine and its response parser.
//
// Input layout: byte 0 picks configuration switches, bytes 1..2 seed the split
// points; the rest is the server's byte stream. A fixed list of commands is
// queued first (LOGIN, SELECT, pipelined UID FETCHes, APPEND with a literal,
// IDLE), then the stream is fed twice, whole and in pseudo-random splits:
// both runs must give the same output, completions and unsolicited
// responses. Invariants: no crash; literals bounded by the limit; what is
// written ends with CRLF (whole lines, never half a command); completions
// name commands that were sent; once the stream ends the session is closed
// and waits for nothing.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "mailroom/imap/client_session.hpp"

using namespace mailroom::imap;

namespace {

struct Run {
  std::string written;
  std::vector<std::string> completions;  // "id status code"
  std::size_t untagged = 0, unsolicited = 0;
};

Run run(const ClientConfig& cfg, std::uint8_t flags, std::string_view stream, std::uint32_t seed,
        bool split) {
  ClientSession c(cfg);
  c.set_allow_plaintext_auth(true);
  std::set<std::uint64_t> ids;
  if (flags & 1)
    ids.insert(c.authenticate_plain("bob", "secret"));
  else
    ids.insert(c.login("bob", "pass word"));
  ids.insert(c.command("SELECT", {Arg::mailbox("INBOX")}));
  ids.insert(c.command("UID FETCH", {Arg::raw("1:3"), Arg::raw("(UID FLAGS BODY.PEEK[])")}));
  ids.insert(c.command("UID FETCH", {Arg::raw("4:9"), Arg::raw("(UID FLAGS BODY.PEEK[])")}));
  ids.insert(c.command("APPEND", {Arg::mailbox("Sent"), Arg::literal("Subject: x\r\n\r\nhi\r\n")}));
  if (flags & 2) {
    ids.insert(c.idle());
    // DONE as soon as the server says "+" (the same point however the
    // stream is split).
    if (flags & 4) c.idle_done();
  }
  ids.insert(c.command("UID SEARCH", {Arg::raw("CHARSET"), Arg::raw("UTF-8"), Arg::raw("TEXT"),
                                      Arg::astring("caf\xc3\xa9")}));
  ids.insert(c.command("LOGOUT"));
  Run r;
  std::size_t i = 0;
  while (i < stream.size() && !c.closed()) {
    const std::size_t n = mailroom_fuzz::next_piece(seed, stream.size() - i, split);
    c.feed(stream.substr(i, n));
    i += n;
    r.written += c.take_output();
    REQUIRE(c.transcript().size() <= cfg.max_transcript_bytes + 64);
    while (auto done = c.next_completion()) {
      REQUIRE(done->id == 0 || ids.count(done->id) == 1);
      for (const auto& u : done->untagged) {
        REQUIRE(u.fetch.body.size() <= cfg.max_literal);
        REQUIRE(u.numbers.size() <= cfg.max_numbers);
      }
      r.untagged += done->untagged.size();
      r.completions.push_back(std::to_string(done->id) + " " + to_string(done->status) + " " +
                              done->code.name);
    }
    while (auto u = c.next_unsolicited()) ++r.unsolicited;
  }
  c.on_eof();
  REQUIRE(c.closed());
  REQUIRE(c.current_timeout().count() == 0);
  // Whole lines only (a literal's own CRLFs included).
  std::string_view w = r.written;
  while (!w.empty()) {
    const std::size_t e = w.find("\r\n");
    REQUIRE(e != std::string_view::npos);
    w.remove_prefix(e + 2);
  }
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::uint8_t flags = data[0];
  const std::uint32_t seed = data[1] | (std::uint32_t{data[2]} << 8);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 3, size - 3);
  ClientConfig cfg;
  cfg.max_line = (flags & 16) ? 40 : 4096;
  cfg.max_literal = (flags & 32) ? 16 : 4096;
  cfg.max_response = 8192;
  cfg.max_untagged = (flags & 8) ? 4 : 1000;
  cfg.max_numbers = 5000;
  cfg.max_in_flight = (flags & 128) ? 1 : 32;
  cfg.max_transcript_bytes = (flags & 64) ? 300 : 0;
  const Run whole = run(cfg, flags, stream, seed, false);
  const Run parts = run(cfg, flags, stream, seed, true);
  REQUIRE(whole.written == parts.written);
  REQUIRE(whole.completions == parts.completions);
  REQUIRE(whole.untagged == parts.untagged);
  REQUIRE(whole.unsolicited == parts.unsolicited);
  return 0;
}
