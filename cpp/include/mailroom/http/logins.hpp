// Who an HTTP request speaks for, sans-IO: requests in, decisions out.
//
// Test mode (a server without accounts): no logins; every mailbox is
// visible, as in Mailpit. With accounts:
// - the web client logs in with POST /api/mailroom/login {"User","Password"}
//   and gets two cookies (RFC 6265): `mailroom_session`, a random 128-bit id
//   (HttpOnly, SameSite=Strict, Path=/, Secure under TLS), and
//   `mailroom_csrf`, a second random value readable by script. Sessions are
//   bounded in number, expire when unused, and end with POST
//   /api/mailroom/logout.
// - One Logins serves every HTTP and HTTPS listener of a server (the
//   listeners' threads share it; one mutex guards the sessions): a login on
//   either is honoured on both, and a logout on either ends it on both.
//   Sessions live in memory only; a restart ends them all. The exception is
//   a session opened over TLS (its cookies are Secure, RFC 6265 §4.1.2.5):
//   a browser sends them over plain HTTP only to a host it trusts as local
//   (Chromium and curl do for http://localhost), so its id arriving over
//   plain HTTP from another host means it crossed the network in clear; the
//   session is then ended, not honoured (401), and the user logs in again
//   over HTTPS. From a loopback address (this host, no network crossed) it
//   is honoured. A session opened over plain HTTP is honoured over HTTPS too
//   (its cookie went in clear from the start; TLS only adds).
// - every change made with a session cookie (any method but GET and HEAD)
//   carries the header X-CSRF-Token equal to the `mailroom_csrf` cookie and
//   to the session's own value (double submit, compared in constant time);
//   in every mode a change whose Origin (RFC 6454 §7) is not this server, or
//   whose Sec-Fetch-Site is cross-site or same-site, is refused (403).
// - REST clients send HTTP basic auth (RFC 7617) or a bearer token
//   (RFC 6750 §2.1) instead, and need no CSRF token.
// Unauthenticated: 401 JSON for /api/..., a 302 to /login?next=... for pages.
// The password check itself is the server's (it may block, and a wrong
// password is answered after the server's failure delay): a decision may
// ask for it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mailroom/http/message.hpp"

namespace mailroom::http {

struct LoginSettings {
  bool test_mode = true;  // no accounts: nothing to log in to, every mailbox visible
  std::size_t max_sessions = 10'000;           // past this, a login gets 503
  std::size_t max_sessions_per_user = 64;      // past this, the user's oldest ends
  std::chrono::seconds idle_lifetime{8 * 3600};  // a session unused this long ends
  std::uint32_t failure_delay_ms = 500;        // before a wrong password's 401
  std::map<std::string, std::string, std::less<>> tokens;  // bearer token -> account
};

// The outcome of looking at a request.
struct LoginDecision {
  enum class Kind {
    Allow,          // serve it, for `account` (nullopt: every account, test mode)
    Respond,        // answer `response` (401, 403, 302, the login routes' answers)
    CheckPassword,  // check `user`/`password`, then login_checked() or basic_checked()
  };
  Kind kind = Kind::Allow;
  std::optional<std::string> account;
  std::string csrf;  // Allow by a session: its CSRF token
  Response response;
  std::string user, password;
  bool basic = false;  // CheckPassword for HTTP basic auth (else the login route)
};

class Logins {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Logins(LoginSettings settings);

  const LoginSettings& settings() const { return settings_; }

  // Looks at a request (thread-safe): the login and logout routes are
  // answered here; every other request is allowed for an account (GET
  // /api/mailroom/me for none rather than 401), refused, or waits for a
  // password check.
  LoginDecision decide(const Request& request, Clock::time_point now = Clock::now());

  // The login route's answer once the password was checked: the cookies
  // (Secure when `login` came over TLS) and {"User","CSRF"}; or 401 after
  // the failure delay (503 when too many sessions are open).
  Response login_checked(const Request& login, const std::string& user, bool ok,
                         Clock::time_point now = Clock::now());
  // Basic auth once the password was checked: Allow for the user, or 401
  // after the failure delay.
  LoginDecision basic_checked(const std::string& user, bool ok) const;

  std::size_t session_count() const;

 private:
  struct Session {
    std::string account;
    std::string csrf;
    Clock::time_point created, last_used;
    bool tls = false;  // opened over TLS: honoured only there
  };
  LoginDecision logout(const Request& request, Clock::time_point now);
  Response unauthenticated(const Request& request, std::string_view why) const;
  // The live session a request's cookie names (touching it), or null; `why`
  // says why a named one is not (mutex_ held).
  Session* session_of(const Request& request, Clock::time_point now, std::string& why);
  void expire(Clock::time_point now);

  LoginSettings settings_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Session> sessions_;  // by id
};

// The value of cookie `name` in a request's Cookie fields (RFC 6265 §5.4), ""
// when absent.
std::string cookie_value(const Request& request, std::string_view name);

// Whether a request that changes something may come from where it says it
// comes from: no Origin or an Origin naming this Host, and no Sec-Fetch-Site
// other than same-origin or none. `why` says what is wrong.
bool same_origin_change(const Request& request, std::string& why);

// The credentials of an Authorization field: Basic user:password (RFC 7617
// §2, UTF-8) or a Bearer token (RFC 6750 §2.1). False when absent or malformed.
bool basic_credentials(const Request& request, std::string& user, std::string& password);
bool bearer_token(const Request& request, std::string& token);

// A random value of 128 bits as 32 hex digits (the system's CSPRNG).
std::string random_token();

// Where a login sends the browser next: `next` when it is a path of this
// server ("/..." but not "//..." nor "/\\..."), else "/".
std::string login_target(std::string_view next);

}  // namespace mailroom::http
