// Request routing: method and path pattern -> handler. Patterns are
// segments, literal or "{Name}" (with an optional literal suffix, as in
// "{ID}.html"); a path is split on '/' and each segment percent-decoded
// before matching, and a segment that decodes to "." or "..", or holds a
// '/', a NUL or a backslash, is refused (400) whatever the route: no path
// ever walks out of where it points. Unknown paths get 404, known paths
// with another method 405 with Allow (RFC 9110 §15.5.6); HEAD is served
// wherever GET is (§9.3.2), and OPTIONS everywhere: 204 with Allow (§9.3.7),
// for "OPTIONS *" every method the server has.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailroom/http/message.hpp"
#include "mailroom/http/server_session.hpp"

namespace mailroom::http {

struct PathParams {
  std::vector<std::string> values;  // in the order of the pattern's {Names}
  const std::string& operator[](std::size_t i) const { return values.at(i); }
};

class Router {
 public:
  using Handler = std::function<Answer(Request&, const PathParams&)>;
  void add(std::string method, std::string_view pattern, Handler handler);
  Answer route(Request& request) const;
  // Every route added: {method, pattern as given ("/api/v1/message/{ID}")}.
  std::vector<std::pair<std::string, std::string>> routes() const;
  // The decoded segments of a path; false (with `why`) for a malformed or
  // traversing one.
  static bool split_path(std::string_view path, std::vector<std::string>& segments,
                         std::string& why);

 private:
  struct Segment {
    std::string literal;  // when not a parameter
    std::string suffix;   // a parameter's literal tail
    bool parameter = false;
  };
  struct Route {
    std::string method;
    std::string text;  // the pattern as given
    std::vector<Segment> pattern;
    Handler handler;
  };
  static bool match(const Route& r, const std::vector<std::string>& segments, PathParams& params);
  std::vector<Route> routes_;
};

}  // namespace mailroom::http
