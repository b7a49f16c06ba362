// HTTP logins as sans-IO code (http/logins.hpp), without sockets: the login
// route's cookies, CSRF (double submit) on changes, Origin and Fetch
// Metadata, logout, basic auth and bearer tokens, expiry and the bounds on
// sessions; and the REST API restricted to the logged-in user's account.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "conversation.hpp"
#include "mailroom/http/logins.hpp"
#include "mailroom/http/mail_api.hpp"
#include "mailroom/store/mail_store.hpp"

using namespace mailroom;
using Kind = http::LoginDecision::Kind;
using std::chrono::seconds;

namespace {

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

http::Request request(const std::string& method, const std::string& target,
                      std::vector<http::Header> headers = {}, std::string body = "") {
  http::Request r;
  r.method = method;
  r.target = target;
  const auto q = target.find('?');
  r.path = target.substr(0, q);
  r.query = q == std::string::npos ? "" : target.substr(q + 1);
  r.headers = std::move(headers);
  r.headers.push_back({"Host", "mail.example.test:8025"});
  r.body = std::move(body);
  return r;
}

std::vector<std::string> set_cookies(const http::Response& r) {
  std::vector<std::string> out;
  for (const auto& h : r.headers)
    if (h.name == "Set-Cookie") out.push_back(h.value);
  return out;
}

std::string header(const http::Response& r, const std::string& name) {
  for (const auto& h : r.headers)
    if (h.name == name) return h.value;
  return {};
}

http::LoginSettings accounts() {
  http::LoginSettings s;
  s.test_mode = false;
  s.failure_delay_ms = 700;
  s.tokens = {{"tok-0123456789abcdef", "eve@example.test"}};
  return s;
}

// A logged-in session: its cookie header and CSRF token.
struct Session {
  std::string cookie, csrf;
};

Session log_in(http::Logins& logins, const std::string& user,
               http::Logins::Clock::time_point now = http::Logins::Clock::now(), bool tls = false) {
  auto login = request("POST", "/api/mailroom/login", {},
                       "{\"User\":\"" + user + "\",\"Password\":\"pw\"}");
  login.tls = tls;
  auto d = logins.decide(login, now);
  CHECK(d.kind == Kind::CheckPassword && !d.basic);
  CHECK_EQ(d.user, user);
  CHECK_EQ(d.password, std::string("pw"));
  http::Response r = logins.login_checked(login, d.user, true, now);
  CHECK_EQ(r.status, 200);
  Session s;
  for (const auto& c : set_cookies(r)) {
    if (!s.cookie.empty()) s.cookie += "; ";
    s.cookie += c.substr(0, c.find(';'));
    if (c.rfind("mailroom_csrf=", 0) == 0) s.csrf = c.substr(14, c.find(';') - 14);
  }
  return s;
}

TEST(login_sets_httponly_strict_cookies) {
  http::Logins logins(accounts());
  auto d = logins.decide(request("POST", "/api/mailroom/login", {}, "{\"User\":\"bob@example.test\",\"Password\":\"x\"}"));
  CHECK(d.kind == Kind::CheckPassword);
  const auto plain = request("POST", "/api/mailroom/login");
  http::Response bad = logins.login_checked(plain, "bob@example.test", false);
  CHECK_EQ(bad.status, 401);
  CHECK_EQ(bad.delay_ms, 700u);  // the failure delay, waited by the connection
  CHECK(set_cookies(bad).empty());
  http::Response ok = logins.login_checked(plain, "bob@EXAMPLE.test", true);
  CHECK_EQ(ok.status, 200);
  CHECK(has(ok.body, "\"User\":\"bob@example.test\""));
  auto cookies = set_cookies(ok);
  CHECK_EQ(cookies.size(), std::size_t(2));
  CHECK(cookies[0].rfind("mailroom_session=", 0) == 0);
  CHECK(has(cookies[0], "; HttpOnly") && has(cookies[0], "; SameSite=Strict") &&
        has(cookies[0], "; Path=/"));
  CHECK(!has(cookies[0], "Secure"));
  CHECK(cookies[1].rfind("mailroom_csrf=", 0) == 0 && !has(cookies[1], "HttpOnly"));
  CHECK_EQ(cookies[0].find(';') - 17, std::size_t(32));  // 128 bits as hex
  CHECK_EQ(logins.session_count(), std::size_t(1));
  auto over_tls = plain;
  over_tls.tls = true;
  for (const auto& c : set_cookies(logins.login_checked(over_tls, "bob@example.test", true)))
    CHECK(has(c, "; Secure"));
  // Bad bodies name the field.
  for (const char* body : {"", "[]", "{\"User\":\"\",\"Password\":\"x\"}", "{\"User\":\"a@b\"}"}) {
    auto e = logins.decide(request("POST", "/api/mailroom/login", {}, body));
    CHECK(e.kind == Kind::Respond);
    CHECK_EQ(e.response.status, 400);
  }
}

TEST(a_session_reads_but_changes_only_with_the_csrf_token) {
  http::Logins logins(accounts());
  Session s = log_in(logins, "bob@example.test");
  auto get = logins.decide(request("GET", "/api/v1/messages", {{"Cookie", s.cookie}}));
  CHECK(get.kind == Kind::Allow);
  CHECK(get.account && *get.account == "bob@example.test");
  CHECK_EQ(get.csrf, s.csrf);
  auto none = logins.decide(request("DELETE", "/api/v1/messages", {{"Cookie", s.cookie}}));
  CHECK(none.kind == Kind::Respond && none.response.status == 403);
  auto wrong = logins.decide(request("DELETE", "/api/v1/messages",
                                     {{"Cookie", s.cookie}, {"X-CSRF-Token", std::string(32, 'a')}}));
  CHECK(wrong.kind == Kind::Respond && wrong.response.status == 403);
  // The header must equal the cookie, and the cookie be the session's.
  auto forged = logins.decide(request(
      "DELETE", "/api/v1/messages",
      {{"Cookie", s.cookie.substr(0, s.cookie.find(';')) + "; mailroom_csrf=abc"}, {"X-CSRF-Token", "abc"}}));
  CHECK(forged.kind == Kind::Respond && forged.response.status == 403);
  auto right = logins.decide(
      request("DELETE", "/api/v1/messages", {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}}));
  CHECK(right.kind == Kind::Allow && *right.account == "bob@example.test");
  // Another site's page, even with the token.
  for (http::Header h : {http::Header{"Origin", "http://evil.example"},
                         http::Header{"Sec-Fetch-Site", "cross-site"},
                         http::Header{"Sec-Fetch-Site", "same-site"}, http::Header{"Origin", "null"}}) {
    auto d = logins.decide(
        request("PUT", "/api/v1/messages", {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}, h}));
    CHECK(d.kind == Kind::Respond && d.response.status == 403);
  }
  auto own = logins.decide(request("PUT", "/api/v1/messages",
                                   {{"Cookie", s.cookie},
                                    {"X-CSRF-Token", s.csrf},
                                    {"Origin", "http://mail.example.test:8025"},
                                    {"Sec-Fetch-Site", "same-origin"}}));
  CHECK(own.kind == Kind::Allow);
}

TEST(without_a_login_401_for_the_api_and_302_for_pages) {
  http::Logins logins(accounts());
  auto api = logins.decide(request("GET", "/api/v1/messages"));
  CHECK(api.kind == Kind::Respond && api.response.status == 401);
  CHECK(has(header(api.response, "WWW-Authenticate"), "Basic"));
  auto page = logins.decide(request("GET", "/view/abc.html?x=1"));
  CHECK(page.kind == Kind::Respond && page.response.status == 302);
  CHECK_EQ(header(page.response, "Location"), std::string("/login?next=/view/abc.html%3Fx%3D1"));
  for (const char* open : {"/login", "/web/login.js", "/livez", "/api/openapi.json"}) {
    auto d = logins.decide(request("GET", open));
    CHECK(d.kind == Kind::Allow && d.account && d.account->empty());  // no account's mail
  }
  auto me = logins.decide(request("GET", "/api/mailroom/me"));
  CHECK(me.kind == Kind::Allow && me.account && me.account->empty());
  auto unknown = logins.decide(request("GET", "/api/v1/messages", {{"Cookie", "mailroom_session=" + std::string(32, '0')}}));
  CHECK(unknown.kind == Kind::Respond && unknown.response.status == 401);
}

TEST(logout_needs_the_token_and_ends_the_session) {
  http::Logins logins(accounts());
  Session s = log_in(logins, "bob@example.test");
  auto refused = logins.decide(request("POST", "/api/mailroom/logout", {{"Cookie", s.cookie}}));
  CHECK(refused.kind == Kind::Respond && refused.response.status == 403);
  CHECK_EQ(logins.session_count(), std::size_t(1));
  auto out = logins.decide(
      request("POST", "/api/mailroom/logout", {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}}));
  CHECK(out.kind == Kind::Respond && out.response.status == 200);
  for (const auto& c : set_cookies(out.response)) CHECK(has(c, "Max-Age=0"));
  CHECK_EQ(logins.session_count(), std::size_t(0));
  auto after = logins.decide(request("GET", "/api/v1/messages", {{"Cookie", s.cookie}}));
  CHECK(after.kind == Kind::Respond && after.response.status == 401);
}

TEST(sessions_expire_and_are_bounded) {
  auto settings = accounts();
  settings.idle_lifetime = seconds(60);
  settings.max_sessions = 3;
  settings.max_sessions_per_user = 2;
  http::Logins logins(settings);
  const auto t0 = http::Logins::Clock::now();
  Session a = log_in(logins, "a@example.test", t0);
  CHECK(logins.decide(request("GET", "/api/v1/info", {{"Cookie", a.cookie}}), t0 + seconds(50)).kind ==
        Kind::Allow);
  // Used at +50 s: alive until +110 s.
  CHECK(logins.decide(request("GET", "/api/v1/info", {{"Cookie", a.cookie}}), t0 + seconds(100)).kind ==
        Kind::Allow);
  CHECK(logins.decide(request("GET", "/api/v1/info", {{"Cookie", a.cookie}}), t0 + seconds(161)).kind ==
        Kind::Respond);
  // A user's third login ends their oldest session, not another user's.
  const auto t1 = t0 + seconds(200);
  Session b1 = log_in(logins, "b@example.test", t1);
  Session b2 = log_in(logins, "b@example.test", t1 + seconds(1));
  Session c = log_in(logins, "c@example.test", t1 + seconds(2));
  Session b3 = log_in(logins, "b@example.test", t1 + seconds(3));
  auto at = t1 + seconds(4);
  CHECK(logins.decide(request("GET", "/", {{"Cookie", b1.cookie}}), at).kind == Kind::Respond);
  CHECK(logins.decide(request("GET", "/", {{"Cookie", b2.cookie}}), at).kind == Kind::Allow);
  CHECK(logins.decide(request("GET", "/", {{"Cookie", b3.cookie}}), at).kind == Kind::Allow);
  CHECK(logins.decide(request("GET", "/", {{"Cookie", c.cookie}}), at).kind == Kind::Allow);
  // Full: a fourth user waits (503), nobody is logged out for them.
  http::Response full = logins.login_checked(request("POST", "/api/mailroom/login"), "d@example.test", true, at);
  CHECK_EQ(full.status, 503);
  CHECK_EQ(logins.session_count(), std::size_t(3));
}

TEST(basic_auth_and_bearer_tokens) {
  http::Logins logins(accounts());
  // "bob@example.test:pw" in base64
  auto d = logins.decide(request("GET", "/api/v1/messages",
                                 {{"Authorization", "Basic Ym9iQGV4YW1wbGUudGVzdDpwdw=="}}));
  CHECK(d.kind == Kind::CheckPassword && d.basic);
  CHECK_EQ(d.user, std::string("bob@example.test"));
  CHECK_EQ(d.password, std::string("pw"));
  auto ok = logins.basic_checked(d.user, true);
  CHECK(ok.kind == Kind::Allow && *ok.account == "bob@example.test");
  auto bad = logins.basic_checked(d.user, false);
  CHECK(bad.kind == Kind::Respond && bad.response.status == 401 && bad.response.delay_ms == 700);
  auto malformed = logins.decide(request("GET", "/api/v1/messages", {{"Authorization", "Basic !!!"}}));
  CHECK(malformed.kind == Kind::Respond && malformed.response.status == 401);
  auto token = logins.decide(request("DELETE", "/api/v1/messages",
                                     {{"Authorization", "Bearer tok-0123456789abcdef"}}));
  CHECK(token.kind == Kind::Allow && *token.account == "eve@example.test");  // no CSRF needed
  auto wrong = logins.decide(request("GET", "/api/v1/messages", {{"Authorization", "Bearer tok-x"}}));
  CHECK(wrong.kind == Kind::Respond && wrong.response.status == 401 && wrong.response.delay_ms == 700);
}

TEST(test_mode_allows_every_account_but_not_other_sites_changes) {
  http::Logins logins{http::LoginSettings{}};
  auto d = logins.decide(request("DELETE", "/api/v1/messages"));
  CHECK(d.kind == Kind::Allow && !d.account);
  auto site = logins.decide(request("DELETE", "/api/v1/messages", {{"Origin", "https://evil.example"}}));
  CHECK(site.kind == Kind::Respond && site.response.status == 403);
  auto login = logins.decide(request("POST", "/api/mailroom/login", {}, "{\"User\":\"a@b\",\"Password\":\"x\"}"));
  CHECK(login.kind == Kind::Respond && login.response.status == 400);
}

TEST(cookies_next_targets_and_credentials_parse) {
  auto r = request("GET", "/", {{"Cookie", "a=1; mailroom_session=\"abc\" ; b=2"}});
  CHECK_EQ(http::cookie_value(r, "mailroom_session"), std::string("abc"));
  CHECK_EQ(http::cookie_value(r, "b"), std::string("2"));
  CHECK_EQ(http::cookie_value(r, "c"), std::string());
  CHECK_EQ(http::login_target("/web/x?y=1"), std::string("/web/x?y=1"));
  for (const char* elsewhere : {"", "//evil.example/", "/\\evil.example", "https://evil.example", "x"})
    CHECK_EQ(http::login_target(elsewhere), std::string("/"));
  CHECK(http::random_token() != http::random_token());
}

// One table serves a server's HTTP and HTTPS listeners: a plain session is
// honoured over TLS, and a logout over either ends it; a session opened over
// TLS is honoured over plain HTTP from a loopback address only: its cookie
// come over plain HTTP from elsewhere ends it.
TEST(one_table_for_http_and_https) {
  http::Logins logins(accounts());
  auto over = [](http::Request r, bool tls) {
    r.tls = tls;
    return r;
  };
  Session plain = log_in(logins, "bob@example.test");
  auto there = logins.decide(over(request("GET", "/api/v1/messages", {{"Cookie", plain.cookie}}), true));
  CHECK(there.kind == Kind::Allow && *there.account == "bob@example.test");
  auto out = logins.decide(over(request("POST", "/api/mailroom/logout",
                                        {{"Cookie", plain.cookie}, {"X-CSRF-Token", plain.csrf}}),
                                true));
  CHECK(out.kind == Kind::Respond && out.response.status == 200);
  for (const auto& c : set_cookies(out.response)) CHECK(has(c, "; Secure"));
  auto ended = logins.decide(request("GET", "/api/v1/messages", {{"Cookie", plain.cookie}}));
  CHECK(ended.kind == Kind::Respond && ended.response.status == 401);
  CHECK(has(ended.response.body, "has ended"));

  Session secure = log_in(logins, "bob@example.test", http::Logins::Clock::now(), true);
  auto get = request("GET", "/api/v1/messages", {{"Cookie", secure.cookie}});
  CHECK(logins.decide(over(get, true)).kind == Kind::Allow);
  auto local = get;  // plain HTTP from this host (a browser at http://localhost)
  local.loopback = true;
  CHECK(logins.decide(local).kind == Kind::Allow);
  auto in_clear = logins.decide(get);
  CHECK(in_clear.kind == Kind::Respond && in_clear.response.status == 401);
  CHECK(has(in_clear.response.body, "over HTTPS"));
  CHECK_EQ(logins.session_count(), std::size_t(0));
  CHECK(logins.decide(over(get, true)).kind == Kind::Respond);  // not even over TLS now
}

// The listeners run on several threads: logins, uses and logouts at once
// leave the table consistent and within its bounds (no CHECK on the threads:
// the counts are checked after).
TEST(sessions_are_shared_by_threads) {
  auto settings = accounts();
  settings.max_sessions = 40;
  settings.max_sessions_per_user = 8;
  http::Logins logins(settings);
  std::atomic<int> opened{0}, allowed{0}, ended{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      const std::string user = "user" + std::to_string(t) + "@example.test";
      for (int i = 0; i < 200; ++i) {
        auto login = request("POST", "/api/mailroom/login");
        login.tls = i % 2 == 0;
        const http::Response r = logins.login_checked(login, user, true);
        if (r.status != 200) continue;
        ++opened;
        std::string cookie, csrf;
        for (const auto& c : set_cookies(r)) {
          cookie += (cookie.empty() ? "" : "; ") + c.substr(0, c.find(';'));
          if (c.rfind("mailroom_csrf=", 0) == 0) csrf = c.substr(14, c.find(';') - 14);
        }
        auto get = request("GET", "/api/v1/info", {{"Cookie", cookie}});
        get.tls = true;
        const auto d = logins.decide(get);
        if (d.kind == Kind::Allow && d.account == user) ++allowed;
        if (i % 3 == 0) {
          auto out = request("POST", "/api/mailroom/logout", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
          out.tls = true;
          const auto o = logins.decide(out);
          if (o.kind == Kind::Respond && o.response.status == 200 &&
              logins.decide(get).kind == Kind::Respond)
            ++ended;
        }
      }
    });
  for (auto& t : threads) t.join();
  CHECK_EQ(opened.load(), 800);   // 4 users x 8 fit in 40: nobody is refused
  CHECK_EQ(allowed.load(), 800);  // each thread's own session is the newest of its user
  CHECK_EQ(ended.load(), 4 * 67);
  CHECK(logins.session_count() <= std::size_t(4 * 8));
}

TEST(the_api_shows_a_user_only_their_own_account) {
  store::MailStore store;
  http::MailApi api{store, [](const std::string&, const std::vector<std::string>&, std::string) {},
                    {"1", "mail.example.test", 1 << 20}};
  for (const char* to : {"bob@example.test", "eve@example.test"})
    store.deliver({to}, std::make_shared<const std::string>(std::string("Subject: for ") + to + "\r\n\r\nhi\r\n"),
                  nullptr);
  auto go = [&](http::Request r, std::optional<std::string> account) {
    r.account = std::move(account);
    auto a = api.handle(r);
    CHECK(a.kind == http::Answer::Kind::Now);
    return a.response;
  };
  auto all = go(request("GET", "/api/v1/messages"), std::nullopt);
  CHECK(has(all.body, "\"total\":2"));
  auto bob = go(request("GET", "/api/v1/messages"), "bob@example.test");
  CHECK(has(bob.body, "\"total\":1") && has(bob.body, "for bob@") && !has(bob.body, "for eve@"));
  auto nobody = go(request("GET", "/api/v1/messages"), "");
  CHECK(has(nobody.body, "\"total\":0"));
  auto accounts = go(request("GET", "/api/mailroom/accounts"), "bob@example.test");
  CHECK(!has(accounts.body, "eve@"));
  CHECK_EQ(go(request("GET", "/api/mailroom/folders?account=eve@example.test"), "bob@example.test").status,
           403);
  auto me = go(request("GET", "/api/mailroom/me"), "bob@example.test");
  CHECK(has(me.body, "\"User\":\"bob@example.test\"") && has(me.body, "\"TestMode\":false"));
  CHECK(has(go(request("GET", "/api/mailroom/me"), std::nullopt).body, "\"TestMode\":true"));
  store::StoreChange eve_arrival;
  eve_arrival.kind = store::StoreChange::Kind::Appended;
  eve_arrival.account = "eve@example.test";
  eve_arrival.folder = "INBOX";
  eve_arrival.uid = 1;
  CHECK(api.events_for(eve_arrival, std::string("bob@example.test")).empty());
  CHECK(!api.events_for(eve_arrival, std::string("eve@example.test")).empty());
}

}  // namespace

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
