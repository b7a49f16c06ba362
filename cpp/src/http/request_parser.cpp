#include "mailroom/http/request_parser.hpp"

#include <algorithm>

#include "mailroom/text.hpp"

namespace mailroom::http {

namespace {

// RFC 9110 §5.6.2: tchar.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

// Comma-separated list elements (RFC 9110 §5.6.1), trimmed, empty ones skipped.
template <class Fn>
void for_each_element(std::string_view value, Fn fn) {
  while (!value.empty()) {
    auto comma = value.find(',');
    std::string_view element = trim(value.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

constexpr std::size_t kMaxChunkLine = 4096;

}  // namespace

bool RequestParser::fail(int status, std::string text) {
  state_ = State::Failed;
  error_status_ = status;
  error_text_ = std::move(text);
  return false;
}

void RequestParser::reset() {
  state_ = State::Incomplete;
  phase_ = Phase::RequestLine;
  request_ = Request{};
  line_.clear();
  header_bytes_ = 0;
  remaining_ = 0;
  continue_due_ = false;
  error_status_ = 0;
  error_text_.clear();
}

bool RequestParser::take_continue() {
  const bool due = continue_due_;
  continue_due_ = false;
  return due;
}

// Gathers one line ending in LF (the CR before it dropped, RFC 9112 §2.2);
// `have` says whether it is whole. False when it grows past `limit`.
bool RequestParser::take_line(std::string_view data, std::size_t& used, std::size_t limit,
                              bool& have) {
  const auto lf = data.find('\n', used);
  const std::size_t end = lf == std::string_view::npos ? data.size() : lf;
  if (line_.size() + (end - used) > limit) return false;
  line_.append(data.substr(used, end - used));
  have = lf != std::string_view::npos;
  used = have ? lf + 1 : data.size();
  if (have && !line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

std::size_t RequestParser::feed(std::string_view data) {
  std::size_t used = 0;
  while (state_ == State::Incomplete && used < data.size()) {
    switch (phase_) {
      case Phase::RequestLine: {
        bool have = false;
        if (!take_line(data, used, limits_.max_request_line, have)) {
          fail(414, "the request line is longer than " + std::to_string(limits_.max_request_line) +
                        " octets");
          return used;
        }
        if (!have) break;
        header_bytes_ += line_.size() + 2;
        if (line_.empty()) {
          // §2.2: empty lines before the request line are ignored, within bounds.
          if (header_bytes_ > limits_.max_request_line) fail(400, "only empty lines");
          break;
        }
        on_request_line(line_);
        line_.clear();
        break;
      }
      case Phase::Headers:
      case Phase::Trailers: {
        bool have = false;
        const std::size_t room =
            limits_.max_header_bytes > header_bytes_ ? limits_.max_header_bytes - header_bytes_ : 0;
        if (!take_line(data, used, room, have)) {
          fail(431, "the header section is larger than " +
                        std::to_string(limits_.max_header_bytes) + " octets");
          return used;
        }
        if (!have) break;
        header_bytes_ += line_.size() + 2;
        if (line_.empty()) {
          if (phase_ == Phase::Trailers) {
            state_ = State::Complete;
          } else {
            on_headers_done();
          }
        } else if (phase_ == Phase::Headers) {
          on_header_line(line_);
        } else if (line_[0] == ' ' || line_[0] == '\t' || line_.find(':') == std::string::npos) {
          fail(400, "a malformed trailer field");  // trailers are read and dropped (§7.1.2)
        }
        line_.clear();
        break;
      }
      case Phase::Body:
      case Phase::ChunkData: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size() - used));
        request_.body.append(data.substr(used, n));
        used += n;
        remaining_ -= n;
        if (remaining_ == 0) {
          if (phase_ == Phase::Body)
            state_ = State::Complete;
          else
            phase_ = Phase::ChunkDataEnd;
        }
        break;
      }
      case Phase::ChunkSize:
      case Phase::ChunkDataEnd: {
        bool have = false;
        if (!take_line(data, used, kMaxChunkLine, have)) {
          fail(400, "a chunk-size line longer than " + std::to_string(kMaxChunkLine) + " octets");
          return used;
        }
        if (!have) break;
        if (phase_ == Phase::ChunkDataEnd) {
          if (!line_.empty()) {
            fail(400, "chunk data longer than its chunk-size");
            return used;
          }
          phase_ = Phase::ChunkSize;
        } else {
          on_chunk_size(line_);
        }
        line_.clear();
        break;
      }
    }
  }
  return used;
}

bool RequestParser::on_request_line(std::string_view line) {
  // request-line = method SP request-target SP HTTP-version (§3)
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(400, "a malformed request line");
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return fail(400, "a malformed method");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
    return fail(400, "a malformed HTTP version");
  if (version[5] != '1') return fail(505, "only HTTP/1.0 and HTTP/1.1 are served");
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return fail(400, "a control character or space in the request target");
  // §3.2.2: absolute-form is accepted; the authority is dropped.
  if (istarts_with(target, "http://") || istarts_with(target, "https://")) {
    auto start = target.find("//") + 2;
    auto slash = target.find('/', start);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (target.empty() || (target[0] != '/' && !(target == "*" && method == "OPTIONS")))
    return fail(400, "the request target must be a path beginning with /");
  if (target.find('#') != std::string_view::npos)
    return fail(400, "a fragment in the request target");
  request_.method = std::string(method);
  request_.target = std::string(target);
  const auto q = target.find('?');
  request_.path = std::string(target.substr(0, q));
  request_.query = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
  request_.version_minor = version[7] - '0';
  phase_ = Phase::Headers;
  return true;
}

bool RequestParser::on_header_line(std::string_view line) {
  if (line[0] == ' ' || line[0] == '\t')
    return fail(400, "obsolete line folding in a header field");  // §5.2
  if (request_.headers.size() >= limits_.max_headers)
    return fail(431, "more than " + std::to_string(limits_.max_headers) + " header fields");
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return fail(400, "a header line without a colon");
  std::string_view name = line.substr(0, colon);
  // §5.1: no white space between the field name and the colon.
  if (!is_token(name)) return fail(400, "a malformed header field name");
  std::string_view value = trim(line.substr(colon + 1));
  for (char c : value)
    if (c == '\0' || c == '\r' || c == '\n') return fail(400, "CR, LF or NUL in a header field");
  request_.headers.push_back({std::string(name), std::string(value)});
  return true;
}

bool RequestParser::on_headers_done() {
  Request& r = request_;
  std::size_t hosts = 0;
  bool chunked = false, has_te = false, has_length = false;
  std::uint64_t length = 0;
  for (const auto& h : r.headers) {
    if (iequals(h.name, "Host")) ++hosts;
    if (iequals(h.name, "Transfer-Encoding")) {
      has_te = true;
      bool bad = false;
      for_each_element(h.value, [&](std::string_view coding) {
        if (chunked || !iequals(coding, "chunked")) bad = true;
        chunked = true;
      });
      if (bad || !chunked) return fail(501, "only the chunked transfer coding is implemented");
    }
    if (iequals(h.name, "Content-Length")) {
      bool bad = false;
      for_each_element(h.value, [&](std::string_view v) {
        std::uint64_t n = 0;
        if (!parse_number(v, n) || (has_length && n != length)) bad = true;
        length = n;
        has_length = true;
      });
      if (bad || !has_length) return fail(400, "a malformed Content-Length");
    }
  }
  // §3.2: a request of HTTP/1.1 has exactly one Host field.
  if (r.version_minor >= 1 && hosts != 1) return fail(400, "the request needs one Host header");
  if (has_te && has_length)
    return fail(400, "both Transfer-Encoding and Content-Length (§6.3)");
  if (has_te && r.version_minor == 0) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
  // §9.3: persistence.
  r.keep_alive = r.version_minor >= 1;
  for (const auto& h : r.headers)
    if (iequals(h.name, "Connection"))
      for_each_element(h.value, [&](std::string_view option) {
        if (iequals(option, "close")) r.keep_alive = false;
        if (iequals(option, "keep-alive") && r.version_minor == 0) r.keep_alive = true;
      });
  std::string_view expect = r.header("Expect");
  if (!expect.empty() && !iequals(expect, "100-continue"))
    return fail(417, "only the 100-continue expectation is met");
  if (has_length && length > limits_.max_body)
    return fail(413, "the request body is larger than " + std::to_string(limits_.max_body) +
                         " octets");
  const bool body_due = chunked || length > 0;
  continue_due_ = body_due && !expect.empty() && r.version_minor >= 1;
  if (chunked) {
    phase_ = Phase::ChunkSize;
  } else if (length > 0) {
    r.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(length, 1 << 20)));
    remaining_ = length;
    phase_ = Phase::Body;
  } else {
    state_ = State::Complete;
  }
  return true;
}

bool RequestParser::on_chunk_size(std::string_view line) {
  // chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF (§7.1)
  std::string_view size = line.substr(0, line.find(';'));
  size = trim(size);
  if (size.empty() || size.size() > 15) return fail(400, "a malformed chunk size");
  std::uint64_t n = 0;
  for (char c : size) {
    int d = c >= '0' && c <= '9' ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return fail(400, "a malformed chunk size");
    n = n * 16 + static_cast<std::uint64_t>(d);
  }
  if (n > limits_.max_body || request_.body.size() + n > limits_.max_body)
    return fail(413, "the request body is larger than " + std::to_string(limits_.max_body) +
                         " octets");
  if (n == 0) {
    phase_ = Phase::Trailers;
  } else {
    remaining_ = n;
    phase_ = Phase::ChunkData;
  }
  return true;
}

}  // namespace mailroom::http
