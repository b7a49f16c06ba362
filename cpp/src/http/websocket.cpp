#include "mailroom/http/websocket.hpp"

#include <openssl/evp.h>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/smtp/path.hpp"  // valid_utf8
#include "mailroom/text.hpp"

namespace mailroom::http {

namespace {

bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    auto comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

bool is_websocket_request(const Request& r, std::string& why) {
  if (!has_token(r.header("Upgrade"), "websocket")) {
    why = "this path speaks WebSocket: send Upgrade: websocket";
    return false;
  }
  if (r.method != "GET" || r.version_minor < 1) {
    why = "a WebSocket opens with GET over HTTP/1.1";
    return false;
  }
  if (!has_token(r.header("Connection"), "upgrade")) {
    why = "Connection: Upgrade is missing";
    return false;
  }
  if (r.header("Sec-WebSocket-Version") != "13") {
    why = "only Sec-WebSocket-Version 13 is spoken";
    return false;
  }
  bool bad = false;
  if (mime::base64_decode(r.header("Sec-WebSocket-Key"), &bad).size() != 16 || bad) {
    why = "Sec-WebSocket-Key must be 16 octets in base64";
    return false;
  }
  return true;
}

std::string websocket_accept(std::string_view key) {
  std::string text(key);
  text += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha1(), nullptr);
  return mime::base64_encode(std::string_view(reinterpret_cast<const char*>(digest), size), 0);
}

Response websocket_opening(const Request& r) {
  Response out;
  out.status = 101;
  out.header("Upgrade", "websocket");
  out.header("Connection", "Upgrade");
  out.header("Sec-WebSocket-Accept", websocket_accept(r.header("Sec-WebSocket-Key")));
  return out;
}

std::string websocket_frame(WsOpcode op, std::string_view payload) {
  std::string f;
  f.reserve(payload.size() + 10);
  f.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(op)));  // FIN
  const std::uint64_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(n));
  } else if (n <= 0xffff) {
    f.push_back(126);
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xff));
  } else {
    f.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8) f.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  f.append(payload);
  return f;
}

std::string websocket_close_frame(std::uint16_t code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xff));
  payload.append(reason.substr(0, 123));  // §5.5: control payloads are at most 125 octets
  return websocket_frame(WsOpcode::Close, payload);
}

void WebSocketReader::error(std::uint16_t code, std::string why, std::vector<WsEvent>& events) {
  over_ = true;
  buffer_.clear();
  message_.clear();
  WsEvent e;
  e.kind = WsEvent::Kind::Error;
  e.code = code;
  e.payload = std::move(why);
  events.push_back(std::move(e));
}

void WebSocketReader::feed(std::string_view data, std::vector<WsEvent>& events) {
  if (over_) return;
  buffer_.append(data);
  std::size_t pos = 0;
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(buffer_[i]); };
  while (!over_) {
    const std::size_t avail = buffer_.size() - pos;
    if (avail < 2) break;
    const std::uint8_t b0 = byte(pos), b1 = byte(pos + 1);
    const bool fin = (b0 & 0x80) != 0;
    const std::uint8_t opcode = b0 & 0x0f;
    if ((b0 & 0x70) != 0) return error(1002, "reserved bits set (no extension was agreed)", events);
    // §5.1: a client masks every frame.
    if ((b1 & 0x80) == 0) return error(1002, "an unmasked frame from the client", events);
    std::uint64_t len = b1 & 0x7f;
    std::size_t head = 2;
    if (len == 126) {
      if (avail < 4) break;
      len = (std::uint64_t{byte(pos + 2)} << 8) | byte(pos + 3);
      head = 4;
    } else if (len == 127) {
      if (avail < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | byte(pos + 2 + static_cast<std::size_t>(i));
      head = 10;
      if (len >> 63) return error(1002, "a frame length with the top bit set", events);
    }
    const bool control = opcode >= 8;
    if (control && (len > 125 || !fin))
      return error(1002, "a control frame longer than 125 octets or fragmented", events);
    if (!control && opcode != 0 && opcode != 1 && opcode != 2)
      return error(1002, "an unknown opcode", events);
    if (control && opcode != 8 && opcode != 9 && opcode != 10)
      return error(1002, "an unknown control opcode", events);
    if (!control && (len > max_message_ || message_.size() + len > max_message_))
      return error(1009, "a message larger than " + std::to_string(max_message_) + " octets",
                   events);
    if (avail < head + 4 + len) break;
    const std::size_t mask_at = pos + head;
    std::string payload = buffer_.substr(mask_at + 4, static_cast<std::size_t>(len));
    for (std::size_t i = 0; i < payload.size(); ++i)
      payload[i] = static_cast<char>(payload[i] ^ buffer_[mask_at + (i % 4)]);
    pos = mask_at + 4 + static_cast<std::size_t>(len);
    if (control) {
      WsEvent e;
      if (opcode == 8) {
        e.kind = WsEvent::Kind::Close;
        if (payload.size() == 1) return error(1002, "a close frame of one octet", events);
        e.code = payload.size() >= 2
                     ? static_cast<std::uint16_t>((byte(mask_at + 4) ^ byte(mask_at)) << 8 |
                                                  (byte(mask_at + 5) ^ byte(mask_at + 1)))
                     : 1005;
        e.payload = payload.size() > 2 ? payload.substr(2) : std::string();
        // §7.4: 1005, 1006 and 1015 are never sent, the rest below 3000 are
        // the protocol's own (1000-1003, 1007-1014 are defined); §5.5.1: the
        // reason is UTF-8.
        if (payload.size() >= 2 && !(e.code >= 1000 && e.code <= 1003) &&
            !(e.code >= 1007 && e.code <= 1014) && !(e.code >= 3000 && e.code <= 4999))
          return error(1002, "close code " + std::to_string(e.code) + " is not one to send",
                       events);
        if (!smtp::valid_utf8(e.payload)) return error(1007, "a close reason not in UTF-8", events);
        over_ = true;
      } else {
        e.kind = opcode == 9 ? WsEvent::Kind::Ping : WsEvent::Kind::Pong;
        e.payload = std::move(payload);
      }
      events.push_back(std::move(e));
      continue;
    }
    if (opcode == 0 && !in_message_) return error(1002, "a continuation without a message", events);
    if (opcode != 0 && in_message_) return error(1002, "a new message inside a fragmented one", events);
    if (opcode != 0) {
      in_message_ = true;
      message_text_ = opcode == 1;
    }
    message_ += payload;
    if (fin) {
      // §8.1: a text message that is not UTF-8 fails the connection.
      if (message_text_ && !smtp::valid_utf8(message_))
        return error(1007, "a text message not in UTF-8", events);
      WsEvent e;
      e.kind = WsEvent::Kind::Message;
      e.text = message_text_;
      e.payload = std::move(message_);
      message_.clear();
      in_message_ = false;
      events.push_back(std::move(e));
    }
  }
  // A partial frame stays; its size is bounded by max_message_ plus a header.
  buffer_.erase(0, pos);
  if (buffer_.size() > max_message_ + 14) error(1009, "a frame too large", events);
}

}  // namespace mailroom::http
