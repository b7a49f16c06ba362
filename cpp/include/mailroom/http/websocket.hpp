// The WebSocket protocol (RFC 6455) as sans-IO code: the opening handshake's
// accept key, frames the server sends, and a reader for the client's frames
// (masked, fragmented, with control frames in between), bounded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/http/message.hpp"

namespace mailroom::http {

// Whether `r` asks to open a WebSocket (§4.2.1): GET, Upgrade: websocket,
// Connection: Upgrade, Sec-WebSocket-Key and Sec-WebSocket-Version: 13.
// `why` says what is missing.
bool is_websocket_request(const Request& r, std::string& why);
// §4.2.2: base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
std::string websocket_accept(std::string_view key);
// The 101 answer that opens the WebSocket.
Response websocket_opening(const Request& r);

enum class WsOpcode : std::uint8_t { Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10 };

// One unmasked, unfragmented frame from the server (§5.2).
std::string websocket_frame(WsOpcode op, std::string_view payload);
// A Close frame with a status code (§5.5.1, §7.4) and a reason.
std::string websocket_close_frame(std::uint16_t code, std::string_view reason);

struct WsEvent {
  enum class Kind { Message, Ping, Pong, Close, Error } kind = Kind::Message;
  bool text = true;          // Message: a text message (else binary)
  std::string payload;       // Message, Ping, Pong; Close: the reason
  std::uint16_t code = 0;    // Close: the peer's code (1005: none); Error: the code to close with
};

class WebSocketReader {
 public:
  explicit WebSocketReader(std::size_t max_message = 64 * 1024) : max_message_(max_message) {}
  // Reads client frames; appends what they make. After an Error or Close
  // nothing more is read.
  void feed(std::string_view data, std::vector<WsEvent>& events);
  bool over() const { return over_; }

 private:
  void error(std::uint16_t code, std::string why, std::vector<WsEvent>& events);
  std::size_t max_message_;
  std::string buffer_;   // a frame not yet whole
  std::string message_;  // fragments of a data message so far
  bool in_message_ = false;
  bool message_text_ = true;
  bool over_ = false;
};

}  // namespace mailroom::http
