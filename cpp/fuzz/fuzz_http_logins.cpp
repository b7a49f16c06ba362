// libFuzzer target for HTTP logins (http/logins.hpp): a request parsed by the
// HTTP parser, then decided by a Logins with two sessions open (one opened
// over plain HTTP, one over TLS) and one bearer token, as the engine does
// before routing; decided as come over TLS, then as come over plain HTTP.
//
// Input: one HTTP request (the parser's limits); the tokens "{csrf}" and
// "{session}" in it are replaced by the plain session's values, and
// "{tls_csrf}" and "{tls_session}" by the TLS one's, so the fuzzer reaches
// the allowed paths too. Invariants: a change is allowed by a session only
// with its CSRF token in X-CSRF-Token and the mailroom_csrf cookie; an
// allowed request speaks for a session's account, the token's, a basic-auth
// user or nobody ("" ), never for every account; the TLS session is never
// honoured over plain HTTP; a login's next target is a path of this server.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mailroom/http/logins.hpp"
#include "mailroom/http/request_parser.hpp"
#include "mailroom/text.hpp"

#include "fuzz_support.hpp"

using namespace mailroom::http;
using mailroom_fuzz::fail;

namespace {

void replace_all(std::string& s, std::string_view from, const std::string& to) {
  for (std::size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size())
    s.replace(at, from.size(), to);
}

// The cookies of a login's answer: the session id and the CSRF token.
void opened_cookies(const Response& opened, std::string& session, std::string& csrf) {
  for (const auto& h : opened.headers) {
    if (h.name != "Set-Cookie") continue;
    const std::string value = h.value.substr(h.value.find('=') + 1, 32);
    (h.value.rfind("mailroom_session=", 0) == 0 ? session : csrf) = value;
  }
  if (session.size() != 32 || csrf.size() != 32) fail("a login sets both cookies");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  LoginSettings settings;
  settings.test_mode = false;
  settings.max_sessions = 4;
  settings.tokens = {{"token-0123456789abcdef", "eve@example.test"}};
  Logins logins(settings);
  Request login;
  std::string session, csrf, tls_session, tls_csrf;
  opened_cookies(logins.login_checked(login, "bob@example.test", true), session, csrf);
  login.tls = true;
  opened_cookies(logins.login_checked(login, "carol@example.test", true), tls_session, tls_csrf);

  std::string stream(reinterpret_cast<const char*>(data), size);
  replace_all(stream, "{session}", session);
  replace_all(stream, "{csrf}", csrf);
  replace_all(stream, "{tls_session}", tls_session);
  replace_all(stream, "{tls_csrf}", tls_csrf);
  RequestParser parser{ParserLimits{}};
  parser.feed(stream);
  if (parser.state() != RequestParser::State::Complete) return 0;
  Request request = parser.request();

  for (const bool tls : {true, false}) {
    request.tls = tls;
    LoginDecision d = logins.decide(request);
    if (d.kind == LoginDecision::Kind::Allow) {
      if (!d.account) fail("with accounts, nothing is allowed for every account");
      const bool change = request.method != "GET" && request.method != "HEAD";
      const std::string* own = *d.account == "bob@example.test"     ? &csrf
                               : *d.account == "carol@example.test" ? &tls_csrf
                                                                    : nullptr;
      if (own && !d.csrf.empty() && change) {
        if (std::string(mailroom::trim(request.header("X-CSRF-Token"))) != *own ||
            cookie_value(request, "mailroom_csrf") != *own)
          fail("a change by a session carries its CSRF token");
      }
      if (!tls && *d.account == "carol@example.test" && !d.csrf.empty())
        fail("a session opened over TLS is not honoured over plain HTTP");
      if (!d.account->empty() && *d.account != "bob@example.test" &&
          *d.account != "carol@example.test" && *d.account != "eve@example.test")
        fail("an allowed request speaks for a known account");
    } else if (d.kind == LoginDecision::Kind::CheckPassword) {
      if (d.basic) {
        LoginDecision after = logins.basic_checked(d.user, false);
        if (after.kind != LoginDecision::Kind::Respond || after.response.status != 401)
          fail("a wrong basic password is 401");
      } else {
        Response r = logins.login_checked(request, d.user, false);
        if (r.status != 401 || r.delay_ms != settings.failure_delay_ms)
          fail("a wrong password is 401 after the delay");
      }
    } else if (d.response.status < 200 || d.response.status > 599) {
      fail("a response has a status");
    }
  }
  std::string next;
  query_param(request.query, "next", next);
  const std::string target = login_target(next);
  if (target.empty() || target[0] != '/' || (target.size() > 1 && (target[1] == '/' || target[1] == '\\')))
    fail("a login goes on to a path of this server");
  return 0;
}
