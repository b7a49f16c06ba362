// An incremental HTTP/1.1 request parser (RFC 9112), sans-IO: bytes in (any
// split), whole requests out. Bounded everywhere: the request line, the
// header section, the number of fields and the body each have a limit, and
// going over one is an error with the status to answer (414, 431, 413).
// Bodies come with Content-Length or chunked transfer coding (§7.1); a
// request with both is refused (§6.3: a message smuggling attempt, 400).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mailroom/http/message.hpp"

namespace mailroom::http {

struct ParserLimits {
  std::size_t max_request_line = 8 * 1024;     // 414 URI Too Long past it
  std::size_t max_header_bytes = 32 * 1024;    // the whole header section: 431
  std::size_t max_headers = 100;               // fields: 431
  std::size_t max_body = 64 * 1024 * 1024;     // 413 Content Too Large
};

class RequestParser {
 public:
  enum class State {
    Incomplete,  // more bytes are needed
    Complete,    // request() holds a whole request; take it, then reset()
    Failed,      // error_status() says what to answer; the connection must close
  };

  explicit RequestParser(ParserLimits limits = {}) : limits_(limits) {}

  // Consumes bytes of `data` (all of them unless a request completes or
  // fails first); returns how many were used. Call again with the rest.
  std::size_t feed(std::string_view data);
  State state() const { return state_; }
  Request& request() { return request_; }
  // Headers are in and a body is due whose sender waits for "100 Continue"
  // (RFC 9110 §10.1.1); true once per request.
  bool take_continue();
  // A Failed parser: the status (400, 413, 414, 431, 501, 505) and why.
  int error_status() const { return error_status_; }
  const std::string& error_text() const { return error_text_; }
  // Ready for the next request on the same connection.
  void reset();
  // Whether bytes of a request have been seen since the last reset().
  bool started() const { return phase_ != Phase::RequestLine || !line_.empty(); }
  // The head is in and the body is being read (its chunks, or its length).
  bool reading_body() const {
    return state_ == State::Incomplete && phase_ != Phase::RequestLine && phase_ != Phase::Headers;
  }
  const ParserLimits& limits() const { return limits_; }

 private:
  enum class Phase { RequestLine, Headers, Body, ChunkSize, ChunkData, ChunkDataEnd, Trailers };
  bool fail(int status, std::string text);
  bool take_line(std::string_view data, std::size_t& used, std::size_t limit, bool& have);
  bool on_request_line(std::string_view line);
  bool on_header_line(std::string_view line);
  bool on_headers_done();
  bool on_chunk_size(std::string_view line);

  ParserLimits limits_;
  State state_ = State::Incomplete;
  Phase phase_ = Phase::RequestLine;
  Request request_;
  std::string line_;  // the line being gathered
  std::size_t header_bytes_ = 0;
  std::uint64_t remaining_ = 0;  // body or chunk octets still due
  bool continue_due_ = false;
  int error_status_ = 0;
  std::string error_text_;
};

}  // namespace mailroom::http
