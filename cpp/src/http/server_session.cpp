#include "mailroom/http/server_session.hpp"

namespace mailroom::http {

ServerSession::ServerSession(Application& app, SessionLimits limits)
    : app_(app), limits_(limits), parser_(limits.parser), ws_reader_(limits.max_websocket_message) {}

void ServerSession::feed(std::string_view data, std::vector<Output>& out) {
  if (closed_) return;
  if (websocket_) return feed_websocket(data, out);
  pending_.append(data);
  process(out);
}

// Parses and answers what is pending, request by request, until it runs out,
// an answer is awaited, or the connection is over.
void ServerSession::process(std::vector<Output>& out) {
  std::size_t used = 0;
  while (!closed_ && !waiting_ && !websocket_ && used < pending_.size()) {
    used += parser_.feed(std::string_view(pending_).substr(used));
    if (parser_.take_continue()) out.push_back({"HTTP/1.1 100 Continue\r\n\r\n"});
    if (parser_.state() == RequestParser::State::Incomplete) break;
    if (parser_.state() == RequestParser::State::Failed) {
      Response r = error_response(parser_.error_status(), parser_.error_text());
      r.close = true;
      head_ = false;
      respond(std::move(r), out);
      break;
    }
    Request& request = parser_.request();
    ++requests_;
    head_ = request.method == "HEAD";
    keep_alive_ = request.keep_alive &&
                  (limits_.max_requests == 0 || requests_ < limits_.max_requests);
    Answer a = app_.handle(request);
    if (a.kind == Answer::Kind::Later) {
      waiting_ = true;
    } else if (a.kind == Answer::Kind::WebSocket) {
      Response opening = websocket_opening(request);
      out.push_back({response_head(opening, true)});
      websocket_ = true;
    } else {
      respond(std::move(a.response), out);
    }
    parser_.reset();
  }
  pending_.erase(0, used);
  if (websocket_ && !pending_.empty()) {
    std::string rest = std::move(pending_);
    pending_.clear();
    feed_websocket(rest, out);
  }
}

void ServerSession::respond(Response r, std::vector<Output>& out) {
  const bool keep = keep_alive_ && !r.close;
  Output o;
  o.bytes = response_head(r, keep);
  if (!head_) {
    if (r.shared_body)
      o.body = std::move(r.shared_body);
    else
      o.bytes += r.body;
  }
  o.close_after = !keep;
  o.delay_ms = r.delay_ms;
  out.push_back(std::move(o));
  if (!keep) closed_ = true;
}

void ServerSession::answer(Response response, std::vector<Output>& out) {
  if (!waiting_ || closed_) return;
  waiting_ = false;
  respond(std::move(response), out);
  process(out);
}

void ServerSession::send_text(std::string_view text, std::vector<Output>& out) {
  if (!websocket_ || closed_) return;
  out.push_back({websocket_frame(WsOpcode::Text, text)});
}

void ServerSession::close_websocket(std::uint16_t code, std::string_view reason,
                                    std::vector<Output>& out) {
  if (!websocket_ || closed_) return;
  Output o;
  o.bytes = websocket_close_frame(code, reason);
  o.close_after = true;
  out.push_back(std::move(o));
  closed_ = true;
}

void ServerSession::send_ping(std::vector<Output>& out) {
  if (!websocket_ || closed_) return;
  out.push_back({websocket_frame(WsOpcode::Ping, "")});
}

void ServerSession::feed_websocket(std::string_view data, std::vector<Output>& out) {
  std::vector<WsEvent> events;
  ws_reader_.feed(data, events);
  for (auto& e : events) {
    if (closed_) break;
    switch (e.kind) {
      case WsEvent::Kind::Message:
        app_.on_websocket_message(e);
        break;
      case WsEvent::Kind::Ping:  // §5.5.3: a Pong with the Ping's payload
        out.push_back({websocket_frame(WsOpcode::Pong, e.payload)});
        break;
      case WsEvent::Kind::Pong:
        break;
      case WsEvent::Kind::Close: {  // §5.5.1: echo the code, then close
        Output o;
        o.bytes = e.code == 1005 ? websocket_frame(WsOpcode::Close, "")
                                 : websocket_close_frame(e.code, "");
        o.close_after = true;
        out.push_back(std::move(o));
        closed_ = true;
        break;
      }
      case WsEvent::Kind::Error:  // §7.1.7: fail the connection with a code
        close_websocket(e.code, e.payload, out);
        break;
    }
  }
}

void ServerSession::on_timeout(std::vector<Output>& out) {
  if (closed_) return;
  closed_ = true;
  Output o;
  o.close_after = true;
  if (websocket_) {
    o.bytes = websocket_close_frame(1001, "idle too long");
  } else if (parser_.started() || !pending_.empty()) {
    Response r = error_response(408, "the request was not sent in time");
    o.bytes = response_head(r, false) + r.body;
  }
  out.push_back(std::move(o));
}

void ServerSession::refuse(std::vector<Output>& out) {
  closed_ = true;
  Response r = error_response(503, "too many connections, try again later");
  r.header("Retry-After", "1");
  Output o;
  o.bytes = response_head(r, false) + r.body;
  o.close_after = true;
  out.push_back(std::move(o));
}

}  // namespace mailroom::http
