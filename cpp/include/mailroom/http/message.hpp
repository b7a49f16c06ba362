// HTTP/1.1 messages as the sans-IO server sees them (RFC 9110, RFC 9112): a
// request as parsed, a response to serialize. No I/O and no JSON here.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailroom::http {

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method;  // as sent: methods are case-sensitive (RFC 9110 §9.1)
  std::string target;  // the request-target, origin-form "/path?query"
  std::string path;    // the target before '?', still percent-encoded
  std::string query;   // after '?', "" when none
  int version_minor = 1;  // HTTP/1.<n>
  std::vector<Header> headers;
  std::string body;       // after Content-Length or chunked decoding
  bool keep_alive = true;  // RFC 9112 §9.3
  bool tls = false;        // came over TLS (set by the listener)
  bool loopback = false;   // from a loopback address: it crossed no network
  // Set by the login check (logins.hpp) before routing: the only account
  // whose mail the request may see and change ("" for none), nullopt for
  // every account (test mode); and the session's CSRF token, if any.
  std::optional<std::string> account;
  std::string csrf;

  // The first field named `name` (case-insensitive), "" when absent.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<Header> headers;  // Content-Length and Connection are added when written
  std::string body;
  std::shared_ptr<const std::string> shared_body;  // instead of `body` (a stored message)
  bool close = false;  // close the connection once written
  // Written only after this long (a wrong password's answer); the
  // connection waits, no thread does.
  std::uint32_t delay_ms = 0;

  Response& header(std::string name, std::string value) {
    headers.push_back({std::move(name), std::move(value)});
    return *this;
  }
  std::size_t body_size() const { return shared_body ? shared_body->size() : body.size(); }
};

// "OK", "Not Found", ... for a status code (RFC 9110 §15); "" when unknown.
std::string_view reason_phrase(int status);

// A JSON string literal for `text` (RFC 8259 §7): quotes, backslashes and
// control characters escaped; invalid UTF-8 replaced by U+FFFD.
std::string json_quote(std::string_view text);

// {"Error":"..."}: the error body of the API (Mailpit's JSONErrorMessage).
Response error_response(int status, std::string_view message);

// The status line and header section of `r`, ending with the empty line;
// Content-Length from the body unless given (a HEAD answer keeps it, §9.3.2).
std::string response_head(const Response& r, bool keep_alive);

// Percent-decoding (RFC 3986 §2.1). False for a malformed escape ("%4", "%zz").
// With `plus_is_space` (application/x-www-form-urlencoded queries), '+' is a space.
bool percent_decode(std::string_view in, std::string& out, bool plus_is_space = false);

// The value of `name` in a query string "a=1&b=2", decoded into `value`;
// false when the parameter is absent or its escapes are malformed.
bool query_param(std::string_view query, std::string_view name, std::string& value);

}  // namespace mailroom::http
