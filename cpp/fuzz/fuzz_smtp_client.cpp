// libFuzzer target for the SMTP client state machine.
//
// Input layout: byte 0 picks configuration switches and which messages to
// send, bytes 1..2 seed the split points; the rest is the server's byte
// stream. Whenever the session can take a message the client starts the
// next one, so several are in flight when the server offers PIPELINING
// (text content only, so everything it writes is CRLF-terminated lines).
// Invariants: no crash; the reply buffer and the transcript stay bounded;
// everything written is CRLF lines with no bare CR or LF, except
// the chunk after a well-formed "BDAT n [LAST]"; a message
// begun is always finished (message_done()) once the connection ends, and
// every message begun gets exactly one result, in the order begun. Bit 0 of
// the seed logs in (AUTH as tim; bit 1 asks for STARTTLS, bit 2 allows AUTH
// in clear): nothing is written while the handshake is due, and no AUTH
// leaves in clear unless allowed. The first and fifth messages ask for DSN
// (RFC 3461; bit 3 of the seed lets them go without it): NOTIFY, RET and
// ENVID are written only to a server that offers DSN.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "mailroom/smtp/client_session.hpp"

using namespace mailroom::smtp;

namespace {

void check_output(std::string_view w) {
  std::size_t pos = 0;
  while (pos < w.size()) {
    const std::size_t e = w.find("\r\n", pos);
    REQUIRE(e != std::string_view::npos);
    const std::string_view line = w.substr(pos, e - pos);
    REQUIRE(line.find('\r') == std::string_view::npos);
    REQUIRE(line.find('\n') == std::string_view::npos);
    pos = e + 2;
    if (line.substr(0, 5) == "BDAT ") {  // the chunk follows: any octets
      std::size_t n = 0;
      std::size_t k = 5;
      for (; k < line.size() && line[k] >= '0' && line[k] <= '9'; ++k) n = n * 10 + std::size_t(line[k] - '0');
      REQUIRE(k > 5);
      REQUIRE(line.substr(k).empty() || line.substr(k) == " LAST");
      REQUIRE(pos + n <= w.size());
      pos += n;
    }
  }
}

struct Message {
  const char* from;
  std::vector<std::string> to;
  std::string content;
  Transfer transfer;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::uint8_t flags = data[0];
  std::uint32_t seed = data[1] | (std::uint32_t{data[2]} << 8);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 3, size - 3);

  ClientConfig cfg;
  cfg.use_pipelining = !(flags & 1);
  cfg.bdat_chunk_size = (flags & 2) ? 3 : 1000;
  cfg.max_reply_line = (flags & 4) ? 64 : 4096;
  cfg.max_reply_lines = (flags & 4) ? 4 : 256;
  cfg.max_transcript_bytes = (flags & 8) ? 300 : 0;
  cfg.max_in_flight = (flags & 2) ? 2 : 32;
  const bool login = seed & 1;
  if (login) {
    cfg.auth_user = "tim";
    cfg.auth_password = "tanstaaftanstaaf";
    cfg.starttls = seed & 2;
    cfg.allow_plaintext_auth = seed & 4;
  }
  const Transfer t1 = (flags & 16) ? Transfer::Bdat : Transfer::Auto;
  const Transfer t2 = (flags & 32) ? Transfer::Bdat : Transfer::Data;
  const std::vector<Message> messages = {
      {"a@example.com", {"b@example.com", "c@example.com"}, ".dot\nline\r\n..\n", t1},
      {"", {"b@example.com"}, "", Transfer::Auto},
      {"j\xc3\xb6ran@example.com", {"\xe7\x94\xa8@example.com"}, "caf\xc3\xa9", t2},
      {"a@example.com", {"b@example.com"}, "x\n", Transfer::Auto},
      {"a@example.com", {"d@example.com"}, std::string(2000, 'y'), t1},  // over SIZE 1000?
      {"a@example.com", {"b@example.com"}, "last\n", t2},
  };

  ClientSession c(cfg);
  std::size_t next = 0;
  std::uint64_t last_id = 0, collected = 0;
  std::size_t i = 0;
  const auto collect = [&] {
    while (auto r = c.next_result()) {
      REQUIRE(r->id == last_id + 1);  // one result per message, in order
      last_id = r->id;
      ++collected;
    }
  };
  const auto step = [&] {
    collect();
    while (c.can_begin_message() && next < messages.size()) {
      const Message& m = messages[next++];
      MessageOptions o;
      o.transfer = m.transfer;
      if (next == 1 || next == 5) {
        o.dsn.ret = "HDRS";
        o.dsn.envid = "id+1 =";
        o.dsn.has_envid = true;
        o.rcpt_dsn.resize(m.to.size());
        o.rcpt_dsn[0].notify = kNotifySuccess | kNotifyDelay;
        o.rcpt_dsn[0].orcpt_type = "rfc822";
        o.rcpt_dsn[0].orcpt = m.to[0];
        o.dsn_optional = seed & 8;
      }
      REQUIRE(c.begin_message(m.from, m.to, m.content, o) == next);
      REQUIRE(c.in_flight() + c.results_pending() <= cfg.max_in_flight);
      collect();
    }
    if (c.ready() && next >= messages.size() && (flags & 64)) c.quit();
    const std::string out = c.take_output();
    if (!c.extensions().dsn) {
      REQUIRE(out.find(" NOTIFY=") == std::string::npos);
      REQUIRE(out.find(" ENVID=") == std::string::npos);
    }
    if (login && !c.tls_active() && !cfg.allow_plaintext_auth)
      REQUIRE(out.find("AUTH") == std::string::npos);
    check_output(out);
    if (c.tls_handshake_due()) {
      REQUIRE(!c.has_output());
      c.tls_established();  // the transport's handshake
    }
    REQUIRE(c.buffered_bytes() <= cfg.max_reply_line);
    REQUIRE(c.transcript().size() <= cfg.max_transcript_bytes);
    REQUIRE(!(c.ready() && !c.message_done()));
  };
  while (i < stream.size()) {
    const std::size_t n = mailroom_fuzz::next_piece(seed, stream.size() - i, true);
    c.feed(stream.substr(i, n));
    i += n;
    step();
  }
  if (flags & 128) c.on_timeout();
  else c.on_eof();
  REQUIRE(c.closed());
  REQUIRE(c.message_done());
  REQUIRE(c.in_flight() == 0);
  collect();
  REQUIRE(collected == next);
  REQUIRE(c.current_timeout().count() == 0);
  check_output(c.take_output());
  return 0;
}
