#include "mailroom/http/router.hpp"

#include <algorithm>

namespace mailroom::http {

void Router::add(std::string method, std::string_view pattern, Handler handler) {
  Route r{std::move(method), std::string(pattern), {}, std::move(handler)};
  std::string_view p = pattern;
  if (!p.empty() && p[0] == '/') p.remove_prefix(1);
  while (true) {
    auto slash = p.find('/');
    std::string_view s = p.substr(0, slash);
    Segment seg;
    if (!s.empty() && s[0] == '{') {
      auto close = s.find('}');
      seg.parameter = true;
      seg.suffix = std::string(s.substr(close + 1));
    } else {
      seg.literal = std::string(s);
    }
    r.pattern.push_back(std::move(seg));
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash + 1);
  }
  routes_.push_back(std::move(r));
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(routes_.size());
  for (const auto& r : routes_) out.emplace_back(r.method, r.text);
  return out;
}

bool Router::split_path(std::string_view path, std::vector<std::string>& segments,
                        std::string& why) {
  segments.clear();
  if (path.empty() || path[0] != '/') {
    why = "the path must begin with /";
    return false;
  }
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    std::string decoded;
    if (!percent_decode(path.substr(0, slash), decoded)) {
      why = "a malformed percent escape in the path";
      return false;
    }
    if (decoded == "." || decoded == ".." ||
        decoded.find_first_of(std::string_view("/\\\0", 3)) != std::string::npos) {
      why = "a path segment that is '.', '..' or holds '/', '\\' or NUL";
      return false;
    }
    segments.push_back(std::move(decoded));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return true;
}

bool Router::match(const Route& r, const std::vector<std::string>& segments, PathParams& params) {
  if (r.pattern.size() != segments.size()) return false;
  params.values.clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const Segment& p = r.pattern[i];
    const std::string& s = segments[i];
    if (!p.parameter) {
      if (p.literal != s) return false;
      continue;
    }
    if (s.size() <= p.suffix.size() || s.compare(s.size() - p.suffix.size(), p.suffix.size(), p.suffix) != 0)
      return false;
    params.values.push_back(s.substr(0, s.size() - p.suffix.size()));
  }
  return true;
}

namespace {

// The Allow field's value: the methods in `allowed`, HEAD wherever GET is
// (router.hpp), and OPTIONS, which every path answers.
std::string allow_value(std::vector<std::string> allowed) {
  if (std::find(allowed.begin(), allowed.end(), "GET") != allowed.end()) allowed.push_back("HEAD");
  allowed.push_back("OPTIONS");
  std::string allow;
  for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
  return allow;
}

// RFC 9110 §9.3.7: OPTIONS tells what the target allows, without a body (a
// 204 has none, §15.3.5).
Response options_response(const std::vector<std::string>& allowed) {
  Response r;
  r.status = 204;
  r.header("Allow", allow_value(allowed));
  return r;
}

}  // namespace

Answer Router::route(Request& request) const {
  if (request.method == "OPTIONS" && request.path == "*") {  // the server as a whole
    std::vector<std::string> every;
    for (const auto& r : routes_)
      if (std::find(every.begin(), every.end(), r.method) == every.end()) every.push_back(r.method);
    return Answer::now(options_response(every));
  }
  std::vector<std::string> segments;
  std::string why;
  if (!split_path(request.path, segments, why)) return Answer::now(error_response(400, why));
  const std::string& method = request.method == "HEAD" ? std::string("GET") : request.method;
  std::vector<std::string> allowed;
  PathParams params;
  for (const auto& r : routes_) {
    if (!match(r, segments, params)) continue;
    if (r.method == method) return r.handler(request, params);
    if (std::find(allowed.begin(), allowed.end(), r.method) == allowed.end())
      allowed.push_back(r.method);
  }
  if (allowed.empty()) return Answer::now(error_response(404, "no such path: " + request.path));
  if (request.method == "OPTIONS") return Answer::now(options_response(allowed));
  const std::string allow = allow_value(std::move(allowed));
  Response r = error_response(405, request.method + " is not allowed here; use " + allow);
  r.header("Allow", allow);
  return Answer::now(std::move(r));
}

}  // namespace mailroom::http
