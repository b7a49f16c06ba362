// libFuzzer target for the IMAP client state machine and its response parser.
//
// Input layout: byte 0 picks configuration switches, bytes 1..2 seed the split
// points, byte 3 the transport (1: COMPRESS=DEFLATE, RFC 4978; 2: with it,
// the stream after the OK goes to the inflater as it is, mostly not DEFLATE
// at all); the rest is the server's byte stream. A fixed list of commands is
// queued first (LOGIN, COMPRESS, SELECT, pipelined UID FETCHes, APPEND with a
// literal, IDLE), then the stream is fed twice, whole and in pseudo-random
// splits. Once COMPRESS is answered OK, what follows (the rest of that read
// first, as the transport does) is compressed piece by piece with a sync
// flush, as a server would send it, and inflated before the session sees
// it. Both runs must give the same output, completions and unsolicited
// responses (with a raw stream after COMPRESS only the invariants hold: a
// broken stream may end where the pieces fall). Invariants: no crash; literals bounded by the limit; what is
// written ends with CRLF (whole lines, never half a command); completions
// name commands that were sent; once the stream ends the session is closed
// and waits for nothing.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "mailroom/deflate_stream.hpp"
#include "mailroom/imap/client_session.hpp"

using namespace mailroom::imap;

namespace {

struct Run {
  std::string written;
  std::vector<std::string> completions;  // "id status code"
  std::size_t untagged = 0, unsolicited = 0;
};

constexpr std::uint8_t kCompress = 1, kRawAfterCompress = 2;

// The server's side of COMPRESS=DEFLATE and the client transport's: what
// the server says, compressed (or not, with kRawAfterCompress), inflated a
// bounded piece at a time into the session, as ImapClient's connection does.
struct Deflated {
  mailroom::DeflateStream server, client;
  bool raw = false;

  void deliver(ClientSession& c, std::string_view plain) {
    std::string wire;
    if (raw)
      wire.assign(plain);
    else
      server.compress(plain, /*flush=*/true, wire);
    try {
      client.receive(wire);
      std::string text;
      while (!c.closed() && client.decompress(text, 512) > 0) {
        c.feed(text);
        text.clear();
      }
    } catch (const mailroom::DeflateError& e) {
      REQUIRE(raw);  // what the server compressed always inflates
      c.on_stream_error(e.what());
      REQUIRE(c.failed());
    }
  }
};

Run run(const ClientConfig& cfg, std::uint8_t flags, std::uint8_t transport,
        std::string_view stream, std::uint32_t seed, bool split) {
  ClientSession c(cfg);
  c.set_allow_plaintext_auth(true);
  std::set<std::uint64_t> ids;
  if (flags & 1)
    ids.insert(c.authenticate_plain("bob", "secret"));
  else
    ids.insert(c.login("bob", "pass word"));
  std::uint64_t compress_id = 0;
  if (transport & kCompress) ids.insert(compress_id = c.compress());
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
  std::optional<Deflated> deflated;
  std::size_t i = 0;
  while (i < stream.size() && !c.closed()) {
    const std::size_t n = mailroom_fuzz::next_piece(seed, stream.size() - i, split);
    if (deflated)
      deflated->deliver(c, stream.substr(i, n));
    else
      c.feed(stream.substr(i, n));
    i += n;
    if (c.compression_due()) {
      // What is written from here on goes through the codec (RFC 4978 §4);
      // nothing was queued after the OK.
      r.written += c.take_output();
      ids.insert(c.command("NOOP"));
      REQUIRE(!c.has_output());
      deflated.emplace();
      deflated->raw = transport & kRawAfterCompress;
      const std::string after_ok = c.compression_started();
      REQUIRE(c.compressing());
      if (!after_ok.empty()) deflated->deliver(c, after_ok);
    }
    r.written += c.take_output();
    REQUIRE(c.transcript().size() <= cfg.max_transcript_bytes + 64);
    while (auto done = c.next_completion()) {
      REQUIRE(done->id == 0 || ids.count(done->id) == 1);
      // Compressing only ever starts after COMPRESS's OK.
      if (c.compressing()) REQUIRE(compress_id != 0);
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
  if (size < 4) return 0;
  const std::uint8_t flags = data[0];
  const std::uint32_t seed = data[1] | (std::uint32_t{data[2]} << 8);
  const std::uint8_t transport = data[3];
  const std::string_view stream(reinterpret_cast<const char*>(data) + 4, size - 4);
  ClientConfig cfg;
  cfg.max_line = (flags & 16) ? 40 : 4096;
  cfg.max_literal = (flags & 32) ? 16 : 4096;
  cfg.max_response = 8192;
  cfg.max_untagged = (flags & 8) ? 4 : 1000;
  cfg.max_numbers = 5000;
  cfg.max_in_flight = (flags & 128) ? 1 : 32;
  cfg.max_transcript_bytes = (flags & 64) ? 300 : 0;
  const Run whole = run(cfg, flags, transport, stream, seed, false);
  const Run parts = run(cfg, flags, transport, stream, seed, true);
  if ((transport & kCompress) && (transport & kRawAfterCompress)) return 0;
  REQUIRE(whole.written == parts.written);
  REQUIRE(whole.completions == parts.completions);
  REQUIRE(whole.untagged == parts.untagged);
  REQUIRE(whole.unsolicited == parts.unsolicited);
  return 0;
}
