// Logins for HTTP (see logins.hpp): sessions in cookies, CSRF, basic auth
// and bearer tokens, sans-IO.
#include "mailroom/http/logins.hpp"

#include <openssl/rand.h>

#include <boost/json.hpp>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/sasl.hpp"
#include "mailroom/store/message.hpp"
#include "mailroom/text.hpp"

namespace mailroom::http {

namespace json = boost::json;

namespace {

constexpr std::string_view kSessionCookie = "mailroom_session";
constexpr std::string_view kCsrfCookie = "mailroom_csrf";

bool is_change(const Request& r) { return r.method != "GET" && r.method != "HEAD"; }

// Paths anyone may fetch: the login page and the static files (code, no
// mail), the health checks and the API's description.
bool is_public(std::string_view path) {
  return path == "/login" || path.starts_with("/web/") || path == "/livez" ||
         path == "/readyz" || path == "/api/openapi.json";
}

// RFC 3986 §2.1, for the `next` parameter of the login page.
std::string percent_encoded(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

Response json_answer(const json::value& v, int status = 200) {
  Response r;
  r.status = status;
  r.header("Content-Type", "application/json");
  r.header("Cache-Control", "no-store");
  r.body = json::serialize(v);
  return r;
}

LoginDecision respond(Response r) {
  LoginDecision d;
  d.kind = LoginDecision::Kind::Respond;
  d.response = std::move(r);
  return d;
}

LoginDecision allow(std::optional<std::string> account, std::string csrf = {}) {
  LoginDecision d;
  d.account = std::move(account);
  d.csrf = std::move(csrf);
  return d;
}

}  // namespace

std::string random_token() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes for a session");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

std::string cookie_value(const Request& request, std::string_view name) {
  // cookie-string = cookie-pair *( ";" SP cookie-pair ); a client may send
  // several Cookie fields (HTTP/2 does): all are read, the first match wins.
  for (const auto& h : request.headers) {
    if (!iequals(h.name, "Cookie")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      const auto semi = rest.find(';');
      std::string_view pair = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      const auto eq = pair.find('=');
      if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
      std::string_view value = trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      return std::string(value);
    }
  }
  return {};
}

bool same_origin_change(const Request& request, std::string& why) {
  // Fetch Metadata: a browser says where a request comes from.
  const std::string site = lowered(trim(request.header("Sec-Fetch-Site")));
  if (!site.empty() && site != "same-origin" && site != "none") {
    why = "a change must come from this server's own pages (Sec-Fetch-Site: " + site + ")";
    return false;
  }
  // RFC 6454 §7: "null" or another scheme://host:port is not us.
  const std::string_view origin = trim(request.header("Origin"));
  if (origin.empty()) return true;
  const auto scheme_end = origin.find("://");
  const std::string_view host = trim(request.header("Host"));
  if (scheme_end == std::string_view::npos || host.empty() ||
      !iequals(origin.substr(scheme_end + 3), host)) {
    why = "a change must come from this server's own pages (Origin: " + std::string(origin) + ")";
    return false;
  }
  return true;
}

bool basic_credentials(const Request& request, std::string& user, std::string& password) {
  const std::string_view field = trim(request.header("Authorization"));
  if (!istarts_with(field, "Basic ")) return false;
  bool bad = false;
  std::string decoded = mime::base64_decode(trim(field.substr(6)), &bad);
  // RFC 7617 §2: user-id ":" password; the user-id holds no colon.
  const auto colon = decoded.find(':');
  if (bad || colon == std::string::npos || colon == 0) {
    std::fill(decoded.begin(), decoded.end(), '\0');
    return false;
  }
  user = decoded.substr(0, colon);
  password = decoded.substr(colon + 1);
  std::fill(decoded.begin(), decoded.end(), '\0');
  return true;
}

bool bearer_token(const Request& request, std::string& token) {
  const std::string_view field = trim(request.header("Authorization"));
  if (!istarts_with(field, "Bearer ")) return false;
  token = std::string(trim(field.substr(7)));
  return !token.empty();
}

std::string login_target(std::string_view next) {
  if (next.empty() || next.front() != '/' || next.size() > 2048) return "/";
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return "/";  // another host
  for (char c : next)
    if (static_cast<unsigned char>(c) < 0x20 || c == '\\') return "/";
  return std::string(next);
}

Logins::Logins(LoginSettings settings) : settings_(std::move(settings)) {}

std::size_t Logins::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void Logins::expire(Clock::time_point now) {
  std::erase_if(sessions_, [&](const auto& s) {
    return now - s.second.last_used >= settings_.idle_lifetime;
  });
}

Logins::Session* Logins::session_of(const Request& request, Clock::time_point now,
                                    std::string& why) {
  const std::string id = cookie_value(request, kSessionCookie);
  if (id.empty()) return nullptr;
  why = "the session has ended: log in again";
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  if (now - it->second.last_used >= settings_.idle_lifetime) {
    sessions_.erase(it);
    return nullptr;
  }
  if (it->second.tls && !request.tls && !request.loopback) {
    // Its Secure cookie came over plain HTTP from another host, which a
    // browser never does: the id crossed the network in clear, so nobody
    // may use it any more.
    sessions_.erase(it);
    why = "the session was opened over HTTPS and its cookie came over plain HTTP: it has "
          "ended; log in again over HTTPS";
    return nullptr;
  }
  it->second.last_used = now;
  return &it->second;
}

Response Logins::unauthenticated(const Request& request, std::string_view why) const {
  if (!request.path.starts_with("/api/") && !is_change(request)) {
    Response r;
    r.status = 302;
    r.header("Location", "/login?next=" + percent_encoded(request.target));
    r.header("Cache-Control", "no-store");
    return r;
  }
  Response r = error_response(401, why);
  // A browser asked with Basic would show its own password dialog instead
  // of the login page: it is offered only to clients that are not browsers
  // (no Fetch Metadata) or that tried it.
  const bool browser = request.has_header("Sec-Fetch-Mode");
  if (!browser || istarts_with(trim(request.header("Authorization")), "Basic "))
    r.header("WWW-Authenticate", "Basic realm=\"mailroom\", charset=\"UTF-8\"");
  else
    r.header("WWW-Authenticate", "Bearer realm=\"mailroom\"");
  return r;
}

LoginDecision Logins::logout(const Request& request, Clock::time_point now) {
  {
    std::lock_guard lock(mutex_);
    std::string why;
    if (Session* s = session_of(request, now, why)) {
      // Ending a session is a change too: a page elsewhere must not log the
      // user out (the CSRF token says the request is the client's own).
      const std::string token(trim(request.header("X-CSRF-Token")));
      if (token.empty() || !same_secret(token, s->csrf) ||
          !same_secret(token, cookie_value(request, kCsrfCookie)))
        return respond(error_response(403, "X-CSRF-Token must be the mailroom_csrf cookie's value"));
      // One table for every listener: the session ends on all of them.
      sessions_.erase(cookie_value(request, kSessionCookie));
    }
  }
  Response r = json_answer(json::object{{"User", nullptr}});
  const std::string secure = request.tls ? "; Secure" : "";
  r.header("Set-Cookie", std::string(kSessionCookie) +
                             "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + secure);
  r.header("Set-Cookie", std::string(kCsrfCookie) + "=; Path=/; Max-Age=0; SameSite=Strict" + secure);
  return respond(std::move(r));
}

LoginDecision Logins::decide(const Request& request, Clock::time_point now) {
  const bool change = is_change(request);
  std::string why;
  // A change, or a WebSocket (which a page elsewhere could open with our
  // cookies), must come from this server's own pages, in every mode.
  if ((change || request.has_header("Upgrade")) && !same_origin_change(request, why))
    return respond(error_response(403, why));
  const std::string_view path = request.path;
  if (path == "/api/mailroom/login" && request.method == "POST") {
    if (settings_.test_mode)
      return respond(error_response(
          400, "this server has no accounts (test mode): every mailbox is visible without a login"));
    boost::system::error_code ec;
    json::value body = json::parse(request.body, ec);
    if (ec || !body.is_object())
      return respond(error_response(400, "the body must be a JSON object {\"User\", \"Password\"}"));
    const auto& o = body.as_object();
    for (const char* name : {"User", "Password"}) {
      auto it = o.find(name);
      if (it == o.end() || !it->value().is_string() ||
          (std::string_view(name) == "User" && it->value().as_string().empty()))
        return respond(error_response(400, std::string(name) + " must be a non-empty string"));
    }
    LoginDecision d;
    d.kind = LoginDecision::Kind::CheckPassword;
    d.user = std::string(o.at("User").as_string());
    d.password = std::string(o.at("Password").as_string());
    return d;
  }
  if (path == "/api/mailroom/logout" && request.method == "POST") return logout(request, now);
  if (settings_.test_mode) return allow(std::nullopt);
  if (is_public(path)) return allow(std::string());  // no account's mail
  if (request.has_header("Authorization")) {
    std::string token;
    if (bearer_token(request, token)) {
      // Every token is compared, each in constant time.
      const std::string* account = nullptr;
      for (const auto& [known, who] : settings_.tokens)
        if (same_secret(token, known)) account = &who;
      if (account) return allow(store::normalize_mailbox(*account));
      Response r = unauthenticated(request, "the bearer token is not known");
      r.delay_ms = settings_.failure_delay_ms;
      return respond(std::move(r));
    }
    LoginDecision d;
    if (!basic_credentials(request, d.user, d.password))
      return respond(unauthenticated(
          request, "Authorization must be Basic base64(user:password) or Bearer <token>"));
    d.kind = LoginDecision::Kind::CheckPassword;
    d.basic = true;
    return d;
  }
  std::lock_guard lock(mutex_);
  std::string why_not = "log in first (POST /api/mailroom/login)";
  Session* s = session_of(request, now, why_not);
  // Who am I? Nobody, rather than 401, without a session.
  if (!s && path == "/api/mailroom/me") return allow(std::string());
  if (!s) return respond(unauthenticated(request, why_not));
  if (change) {
    // Double submit (the header equals the cookie), and the cookie is this
    // session's own: a page elsewhere can neither read nor set it.
    const std::string token(trim(request.header("X-CSRF-Token")));
    const std::string cookie = cookie_value(request, kCsrfCookie);
    const bool header_is_cookie = same_secret(token, cookie);
    const bool cookie_is_session = same_secret(cookie, s->csrf);
    if (token.empty() || !header_is_cookie || !cookie_is_session)
      return respond(error_response(
          403, "X-CSRF-Token must be the mailroom_csrf cookie's value (GET /api/mailroom/me gives it)"));
  }
  return allow(s->account, s->csrf);
}

Response Logins::login_checked(const Request& login, const std::string& user, bool ok,
                               Clock::time_point now) {
  if (!ok) {
    Response r = error_response(401, "wrong user name or password");
    r.delay_ms = settings_.failure_delay_ms;
    return r;
  }
  const std::string account = store::normalize_mailbox(user);
  std::string id = random_token(), csrf = random_token();
  {
    std::lock_guard lock(mutex_);
    expire(now);
    // One user's many logins end their own oldest session, never another's.
    std::vector<std::unordered_map<std::string, Session>::iterator> mine;
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
      if (it->second.account == account) mine.push_back(it);
    if (!mine.empty() && mine.size() >= settings_.max_sessions_per_user) {
      auto oldest = *std::min_element(mine.begin(), mine.end(), [](auto a, auto b) {
        return a->second.created < b->second.created;
      });
      sessions_.erase(oldest);
    }
    if (sessions_.size() >= settings_.max_sessions)
      return error_response(503, "too many sessions are open: try again later");
    sessions_[id] = Session{account, csrf, now, now, login.tls};
  }
  const auto age = std::to_string(settings_.idle_lifetime.count());
  const std::string secure = login.tls ? "; Secure" : "";
  Response r = json_answer(json::object{{"User", account}, {"CSRF", csrf}});
  r.header("Set-Cookie", std::string(kSessionCookie) + "=" + id + "; Path=/; Max-Age=" + age +
                             "; HttpOnly; SameSite=Strict" + secure);
  r.header("Set-Cookie", std::string(kCsrfCookie) + "=" + csrf + "; Path=/; Max-Age=" + age +
                             "; SameSite=Strict" + secure);
  return r;
}

LoginDecision Logins::basic_checked(const std::string& user, bool ok) const {
  if (ok) return allow(store::normalize_mailbox(user));
  Response r = error_response(401, "wrong user name or password");
  r.header("WWW-Authenticate", "Basic realm=\"mailroom\", charset=\"UTF-8\"");
  r.delay_ms = settings_.failure_delay_ms;
  return respond(std::move(r));
}

}  // namespace mailroom::http
