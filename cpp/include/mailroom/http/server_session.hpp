// One HTTP/1.1 server connection as a sans-IO state machine: bytes in,
// responses out, in order (RFC 9112 §9.3.2: pipelined requests are answered
// in the order they came). Keep-alive; an Application answers each request,
// now or later (a long poll: the session is paused meanwhile and reads
// nothing), or opens a WebSocket, after which the session frames what the
// application sends and answers the client's pings and close.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/http/message.hpp"
#include "mailroom/http/request_parser.hpp"
#include "mailroom/http/websocket.hpp"

namespace mailroom::http {

// What the session writes (the net layer's Output, without the network).
struct Output {
  std::string bytes;
  std::shared_ptr<const std::string> body;
  std::string_view tail;
  std::uint32_t delay_ms = 0;
  bool close_after = false;
  bool start_tls = false;
};

struct Answer {
  enum class Kind {
    Now,        // `response` is the answer
    Later,      // the application calls ServerSession::answer() once
    WebSocket,  // open a WebSocket (the request was checked by is_websocket_request)
  };
  Kind kind = Kind::Now;
  Response response;
  static Answer now(Response r) { return {Kind::Now, std::move(r)}; }
  static Answer later() { return {Kind::Later, {}}; }
  static Answer websocket() { return {Kind::WebSocket, {}}; }
};

class Application {
 public:
  virtual ~Application() = default;
  virtual Answer handle(Request& request) = 0;
  // A text or binary message from the WebSocket client.
  virtual void on_websocket_message(const WsEvent& /*message*/) {}
};

struct SessionLimits {
  ParserLimits parser;
  std::size_t max_websocket_message = 64 * 1024;
  // Requests answered on one connection before it is closed (0: no limit).
  std::size_t max_requests = 0;
};

class ServerSession {
 public:
  ServerSession(Application& app, SessionLimits limits = {});

  void feed(std::string_view data, std::vector<Output>& out);
  // The answer to the request that got Answer::later(); then the requests
  // that came after it.
  void answer(Response response, std::vector<Output>& out);
  // A text message to the WebSocket client (ignored unless one is open).
  void send_text(std::string_view text, std::vector<Output>& out);
  // Closes the WebSocket with `code` (RFC 6455 §7.4.1) and `reason`: the
  // server fails it (1008: its client does not read what it is sent).
  void close_websocket(std::uint16_t code, std::string_view reason, std::vector<Output>& out);
  // A Ping to the WebSocket client (§5.5.2): keeps a quiet connection open
  // and finds peers that are gone.
  void send_ping(std::vector<Output>& out);
  // The client was silent too long: a WebSocket gets a Close (1001), a
  // half-sent request 408, an idle keep-alive connection just closes.
  void on_timeout(std::vector<Output>& out);
  // Over the server's connection cap: 503, closing.
  void refuse(std::vector<Output>& out);
  // A request body is being read: the network lets it take longer than the
  // idle timeout while it comes at min_data_rate or faster.
  bool receiving_body() const { return !closed_ && !websocket_ && parser_.reading_body(); }
  bool paused() const { return waiting_; }
  bool closed() const { return closed_; }
  bool websocket() const { return websocket_; }
  std::size_t requests() const { return requests_; }

 private:
  void process(std::vector<Output>& out);
  void respond(Response r, std::vector<Output>& out);
  void feed_websocket(std::string_view data, std::vector<Output>& out);

  Application& app_;
  SessionLimits limits_;
  RequestParser parser_;
  WebSocketReader ws_reader_;
  std::string pending_;  // bytes read while an answer was awaited
  bool waiting_ = false;
  bool head_ = false;         // the request being answered is HEAD
  bool keep_alive_ = true;    // ... and may be followed by another
  bool websocket_ = false;
  bool closed_ = false;
  std::size_t requests_ = 0;
};

}  // namespace mailroom::http
