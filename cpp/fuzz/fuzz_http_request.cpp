// libFuzzer target for the HTTP/1.1 request parser, the server session and
// the router (with a WebSocket route, so frames are fuzzed too).
//
// Input layout: byte 0 picks switches (bit 0: small limits; bit 1: "/later"
// gets its answer once the session pauses, else it stays paused), byte 1 is
// unused,
// bytes 2..3 seed the split points; the rest is the client's byte stream.
// The stream is fed twice, whole and in pseudo-random splits; both runs must
// give byte-identical output. Invariants: every HTTP response starts with a
// status line "HTTP/1.1 NNN " and its head ends in CRLF CRLF with a
// Content-Length that the body matches (or no body, for HEAD); nothing is
// written after an output that closes; request bodies stay within the limit.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/http/router.hpp"
#include "mailroom/http/server_session.hpp"
#include "mailroom/http/websocket.hpp"

#include "fuzz_support.hpp"

using namespace mailroom::http;

namespace {

struct App : Application {
  Router router;
  std::size_t max_body = 0;
  App() {
    router.add("GET", "/api/v1/message/{ID}", [](Request&, const PathParams& p) {
      Response r;
      r.body = p[0];
      return Answer::now(std::move(r));
    });
    router.add("POST", "/api/v1/send", [](Request& q, const PathParams&) {
      Response r;
      r.body = q.body.substr(0, 16);
      return Answer::now(std::move(r));
    });
    router.add("GET", "/view/{ID}.html", [](Request&, const PathParams&) { return Answer::now({}); });
    router.add("GET", "/later", [](Request&, const PathParams&) { return Answer::later(); });
    router.add("GET", "/ws", [](Request& q, const PathParams&) {
      std::string why;
      return is_websocket_request(q, why) ? Answer::websocket() : Answer::now(error_response(426, why));
    });
  }
  Answer handle(Request& r) override {
    REQUIRE(r.body.size() <= max_body);
    return router.route(r);
  }
};

// Checks one output: a response (status line, head ending in CRLF CRLF, a
// Content-Length the body matches, or no body: HEAD), a WebSocket frame once
// one is open, or nothing (an idle connection closed).
void check_output(std::string_view w, bool websocket) {
  if (w.empty() || websocket) return;
  REQUIRE(w.size() >= 13 && w.substr(0, 9) == "HTTP/1.1 " && w[12] == ' ');
  const auto end = w.find("\r\n\r\n");
  REQUIRE(end != std::string_view::npos);
  std::string_view head = w.substr(0, end + 4);
  if (head[9] == '1') {
    REQUIRE(head.size() == w.size() || head.substr(9, 3) == "101");
    return;
  }
  const auto cl = head.find("Content-Length: ");
  REQUIRE(cl != std::string_view::npos);
  const std::size_t length = std::stoul(std::string(head.substr(cl + 16, 12)));
  const std::size_t body = w.size() - head.size();
  REQUIRE(body == length || body == 0);
}

std::string run(const mailroom_fuzz::SessionFuzzInput& in, bool split) {
  App app;
  SessionLimits limits;
  if (in.flags & 1) {
    limits.parser.max_request_line = 64;
    limits.parser.max_header_bytes = 256;
    limits.parser.max_headers = 8;
    limits.parser.max_body = 32;
    limits.max_websocket_message = 40;
  }
  app.max_body = limits.parser.max_body;
  ServerSession session(app, limits);
  std::vector<Output> out;
  std::string written;
  bool closed = false;
  bool websocket = false;
  auto collect = [&] {
    for (auto& o : out) {
      REQUIRE(!closed);
      std::string piece = o.bytes + (o.body ? *o.body : std::string());
      check_output(piece, websocket);
      if (piece.rfind("HTTP/1.1 101 ", 0) == 0) websocket = true;
      written += piece;
      if (o.close_after) closed = true;
    }
    out.clear();
  };
  std::uint32_t seed = in.seed;
  std::string_view rest = in.stream;
  // As the connection does: a paused session is fed nothing until its answer.
  while (true) {
    if (session.paused()) {
      if (!(in.flags & 2)) break;
      Response late;
      late.body = "late";
      session.answer(std::move(late), out);
      collect();
      continue;
    }
    if (rest.empty() || session.closed()) break;
    const std::size_t n = mailroom_fuzz::next_piece(seed, rest.size(), split);
    session.feed(rest.substr(0, n), out);
    rest.remove_prefix(n);
    collect();
  }
  if (!session.paused()) session.on_timeout(out);
  collect();
  return written;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mailroom_fuzz::SessionFuzzInput in;
  if (!in.parse(data, size)) return 0;
  const std::string whole = run(in, false);
  const std::string pieces = run(in, true);
  REQUIRE(whole == pieces);
  return 0;
}
