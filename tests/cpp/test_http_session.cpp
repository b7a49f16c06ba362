// The HTTP/1.1 server session without sockets (RFC 9112): requests in any
// split, keep-alive and pipelining answered in order, the bounds (414, 431,
// 413), the framing rules (chunked, Content-Length, both: 400), 100-continue,
// answers given later, the router's 404/405/400, and WebSocket framing
// (RFC 6455) after the upgrade.
#include <string>
#include <vector>

#include "conversation.hpp"
#include "mailroom/http/request_parser.hpp"
#include "mailroom/http/router.hpp"
#include "mailroom/http/server_session.hpp"
#include "mailroom/http/websocket.hpp"

using namespace mailroom::http;

namespace {

// Echoes method, path and body; "/later" answers later; "/ws" opens a WebSocket.
struct EchoApp : Application {
  std::vector<std::string> seen;
  std::vector<std::string> messages;
  Answer handle(Request& r) override {
    seen.push_back(r.method + " " + r.target);
    if (r.path == "/later") return Answer::later();
    if (r.path == "/ws") {
      std::string why;
      if (!is_websocket_request(r, why)) return Answer::now(error_response(426, why));
      return Answer::websocket();
    }
    Response out;
    out.body = r.method + " " + r.path + " [" + r.body + "]";
    return Answer::now(std::move(out));
  }
  void on_websocket_message(const WsEvent& e) override { messages.push_back(e.payload); }
};

std::string written(std::vector<Output>& out) {
  std::string s;
  for (auto& o : out) {
    s += o.bytes;
    if (o.body) s += *o.body;
  }
  out.clear();
  return s;
}

// Feeds `input` whole, then one byte at a time: both give the same bytes.
std::string serve(const std::string& input, EchoApp* seen_by = nullptr) {
  std::string whole, bytewise;
  {
    EchoApp app;
    ServerSession s(app);
    std::vector<Output> out;
    s.feed(input, out);
    whole = written(out);
    if (seen_by) *seen_by = app;
  }
  {
    EchoApp app;
    ServerSession s(app);
    std::vector<Output> out;
    for (char c : input) s.feed(std::string_view(&c, 1), out);
    bytewise = written(out);
  }
  CHECK_EQ(bytewise, whole);
  return whole;
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string masked_frame(std::uint8_t first, const std::string& payload) {
  std::string f;
  f.push_back(static_cast<char>(first));
  const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else if (payload.size() <= 0xffff) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xff));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      f.push_back(static_cast<char>((static_cast<std::uint64_t>(payload.size()) >> shift) & 0xff));
  }
  for (unsigned char m : mask) f.push_back(static_cast<char>(m));
  for (std::size_t i = 0; i < payload.size(); ++i)
    f.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return f;
}

const char* kUpgrade =
    "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

TEST(keep_alive_and_pipelining_answer_in_order) {
  EchoApp app;
  std::string out = serve(
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
      "GET /c?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
      "GET /never HTTP/1.1\r\nHost: x\r\n\r\n",
      &app);
  CHECK_EQ(out, std::string("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nGET /a []"
                            "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\nPOST /b [hello]"
                            "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nGET /c []"));
  CHECK_EQ(app.seen.size(), std::size_t(3));  // nothing is read after Connection: close
}

TEST(http_1_0_closes_unless_keep_alive) {
  CHECK(has(serve("GET / HTTP/1.0\r\n\r\n"), "Connection: close"));
  std::string kept = serve("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n");
  CHECK(has(kept, "GET / []"));
  CHECK(has(kept, "GET /2 []"));
}

TEST(chunked_bodies_and_100_continue) {
  std::string out = serve(
      "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
  CHECK(out.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0) == 0);
  CHECK(has(out, "POST /up [hello world]"));
}

TEST(framing_errors_answer_400_and_close) {
  // RFC 9112 §6.3: Transfer-Encoding with Content-Length is a smuggling attempt.
  std::string both = serve(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  CHECK(both.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(has(both, "Connection: close"));
  CHECK(has(both, "\"Error\":"));
  CHECK(serve("GET / HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);  // no Host
  CHECK(serve("GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
  CHECK(serve("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
  CHECK(serve("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
  CHECK(serve("GET / HTTP/2.0\r\nHost: x\r\n\r\n").rfind("HTTP/1.1 505", 0) == 0);
  CHECK(serve("GET nopath HTTP/1.1\r\nHost: x\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
  CHECK(serve("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n").rfind("HTTP/1.1 501", 0) == 0);
  CHECK(serve("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").rfind("HTTP/1.1 400", 0) == 0);
}

TEST(limits_answer_414_431_413) {
  ParserLimits l;
  l.max_request_line = 64;
  l.max_header_bytes = 256;
  l.max_headers = 4;
  l.max_body = 10;
  auto parse = [&](const std::string& in) {
    RequestParser p(l);
    p.feed(in);
    return p.state() == RequestParser::State::Failed ? p.error_status() : 0;
  };
  CHECK_EQ(parse("GET /" + std::string(100, 'a') + " HTTP/1.1\r\n"), 414);
  CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(300, 'a')), 431);
  CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n"), 431);
  CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n"), 413);
  CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n123456\r\n5\r\n"), 413);
  CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"), 0);
}

TEST(an_answer_given_later_holds_the_pipeline) {
  EchoApp app;
  ServerSession s(app);
  std::vector<Output> out;
  s.feed("GET /later HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n", out);
  CHECK(s.paused());
  CHECK_EQ(written(out), std::string());
  CHECK_EQ(app.seen.size(), std::size_t(1));
  Response r;
  r.body = "late";
  s.answer(std::move(r), out);
  CHECK(!s.paused());
  CHECK_EQ(written(out), std::string("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate"
                                     "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nGET /next []"));
}

TEST(head_gets_the_length_without_the_body) {
  CHECK_EQ(serve("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n"),
           std::string("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"));
}

TEST(timeouts) {
  EchoApp app;
  ServerSession idle(app);
  std::vector<Output> out;
  idle.on_timeout(out);
  CHECK(out.size() == 1 && out[0].bytes.empty() && out[0].close_after);
  out.clear();
  ServerSession half(app);
  half.feed("GET / HTT", out);
  half.on_timeout(out);
  CHECK(written(out).rfind("HTTP/1.1 408", 0) == 0);
}

TEST(router_404_405_and_traversal) {
  Router r;
  r.add("GET", "/api/v1/message/{ID}", [](Request&, const PathParams& p) {
    Response out;
    out.body = "id=" + p[0];
    return Answer::now(std::move(out));
  });
  r.add("DELETE", "/api/v1/message/{ID}", [](Request&, const PathParams&) { return Answer::now({}); });
  r.add("GET", "/view/{ID}.html", [](Request&, const PathParams& p) {
    Response out;
    out.body = "html " + p[0];
    return Answer::now(std::move(out));
  });
  auto go = [&](const std::string& method, const std::string& path) {
    Request q;
    q.method = method;
    q.path = path;
    return r.route(q).response;
  };
  CHECK_EQ(go("GET", "/api/v1/message/a%20b").body, std::string("id=a b"));
  CHECK_EQ(go("HEAD", "/api/v1/message/x").status, 200);
  CHECK_EQ(go("GET", "/view/abc.html").body, std::string("html abc"));
  CHECK_EQ(go("GET", "/view/.html").status, 404);
  CHECK_EQ(go("GET", "/nowhere").status, 404);
  Response wrong = go("POST", "/api/v1/message/x");
  CHECK_EQ(wrong.status, 405);
  bool allow = false;
  for (const auto& h : wrong.headers)
    if (h.name == "Allow") allow = h.value == "GET, DELETE, HEAD, OPTIONS";
  CHECK(allow);
  for (const char* bad : {"/api/v1/message/..", "/api/v1/message/%2e%2E", "/x/%2f/y",
                          "/api/v1/message/a%5cb", "/a/%00", "/a/%zz", "/a/%4"})
    CHECK_EQ(go("GET", bad).status, 400);
}

TEST(websocket_handshake_and_frames) {
  // RFC 6455 §1.3's example key.
  CHECK_EQ(websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="), std::string("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
  EchoApp app;
  ServerSession s(app);
  std::vector<Output> out;
  s.feed(std::string(kUpgrade) + masked_frame(0x89, "hi"), out);  // a ping right behind it
  std::string opened = written(out);
  CHECK(opened.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
  CHECK(has(opened, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
  CHECK(has(opened, std::string("\x8a\x02hi", 4)));  // the pong
  CHECK(s.websocket());
  s.send_text("{\"Type\":\"new\"}", out);
  CHECK_EQ(written(out), std::string("\x81\x0e{\"Type\":\"new\"}"));
  std::string big(300, 'x');
  s.send_text(big, out);
  CHECK_EQ(written(out).substr(0, 4), std::string("\x81\x7e\x01\x2c", 4));
  // A fragmented text message, with a ping between the fragments.
  s.feed(masked_frame(0x01, "hel") + masked_frame(0x89, "") + masked_frame(0x80, "lo"), out);
  CHECK_EQ(app.messages.size(), std::size_t(1));
  CHECK_EQ(app.messages[0], std::string("hello"));
  written(out);
  s.feed(masked_frame(0x88, std::string("\x03\xe8", 2)), out);  // close 1000
  CHECK(s.closed());
  CHECK(out.size() == 1 && out[0].close_after);
  CHECK_EQ(out[0].bytes, std::string("\x88\x02\x03\xe8", 4));
}

TEST(websocket_violations_close_with_a_code) {
  auto close_code = [](const std::string& frames) {
    EchoApp app;
    ServerSession s(app);
    std::vector<Output> out;
    s.feed(std::string(kUpgrade), out);
    out.clear();
    s.feed(frames, out);
    std::string w = written(out);
    if (w.size() < 4 || static_cast<unsigned char>(w[0]) != 0x88) return 0;
    return (static_cast<unsigned char>(w[2]) << 8) | static_cast<unsigned char>(w[3]);
  };
  CHECK_EQ(close_code(std::string("\x81\x02hi", 4)), 1002);  // unmasked
  CHECK_EQ(close_code(masked_frame(0x81, std::string(70 * 1024, 'x'))), 1009);
  CHECK_EQ(close_code(masked_frame(0x80, "x")), 1002);  // a continuation of nothing
  CHECK_EQ(close_code(masked_frame(0xc1, "x")), 1002);  // RSV1 without an extension
  CHECK_EQ(close_code(masked_frame(0x09, "x")), 1002);  // a fragmented control frame
  CHECK_EQ(close_code(masked_frame(0x88, std::string("\x03\xed", 2))), 1002);  // 1005 is never sent
  CHECK_EQ(close_code(masked_frame(0x88, std::string("\x03\xe7", 2))), 1002);  // 999
  CHECK_EQ(close_code(masked_frame(0x88, std::string("\x0f\xa0", 2))), 4000);  // an application's
  CHECK_EQ(close_code(masked_frame(0x88, std::string("\x03\xe8\xff", 3))), 1007);
  CHECK_EQ(close_code(masked_frame(0x81, "caf\xc3")), 1007);  // text not in UTF-8
  CHECK_EQ(close_code(masked_frame(0x01, "\xc3") + masked_frame(0x80, "\xa9") +
                      masked_frame(0x88, std::string("\x03\xe8", 2))),
           1000);  // a character split over fragments is whole
  EchoApp app;
  std::string out = serve("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(out.rfind("HTTP/1.1 426", 0) == 0);
}

TEST(a_websocket_the_application_closes_sends_its_code_once) {
  EchoApp app;
  ServerSession s(app);
  std::vector<Output> out;
  s.feed(std::string(kUpgrade), out);
  out.clear();
  s.close_websocket(1008, "events not read", out);
  CHECK(s.closed());
  CHECK(out.size() == 1 && out[0].close_after);
  CHECK_EQ(out[0].bytes.substr(0, 4), std::string("\x88\x11\x03\xf0", 4));
  s.close_websocket(1008, "again", out);
  s.send_text("late", out);
  CHECK_EQ(out.size(), std::size_t(1));
}

TEST(json_quote_escapes_and_repairs) {
  CHECK_EQ(json_quote("a\"b\\c\n\x01"), std::string("\"a\\\"b\\\\c\\n\\u0001\""));
  CHECK_EQ(json_quote("caf\xc3\xa9"), std::string("\"caf\xc3\xa9\""));
  CHECK_EQ(json_quote("bad\xff"), std::string("\"bad\xef\xbf\xbd\""));
}

}  // namespace

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
