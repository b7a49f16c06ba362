// The reply rules and Mailpit's chaos over the REST API, sans-IO: requests
// in, responses out, with the engine's rule lists, without sockets. Also the
// queue routes' answers when the server has no queue.
#include <string>
#include <vector>

#include "conversation.hpp"
#include "mailroom/engine/imap_reply_rules.hpp"
#include "mailroom/engine/reply_rules.hpp"
#include "mailroom/http/mail_api.hpp"
#include "mailroom/store/mail_store.hpp"

using namespace mailroom;

namespace {

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

struct Api {
  store::MailStore store;
  engine::ReplyRules smtp;
  engine::ImapReplyRules imap;
  http::MailApi api{store, [](const std::string&, const std::vector<std::string>&, std::string) {},
                    {"1", "mail.example.test", 1 << 20}, controls()};

  http::ServerControls controls() {
    http::ServerControls c;
    c.smtp_rules = &smtp;
    c.imap_rules = &imap;
    return c;
  }
  http::Response go(const std::string& method, const std::string& target, const std::string& body = "",
                    std::optional<std::string> account = std::nullopt) {
    http::Request r;
    r.method = method;
    r.target = target;
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.body = body;
    r.account = std::move(account);
    auto a = api.handle(r);
    CHECK(a.kind == http::Answer::Kind::Now);
    return a.response;
  }
};

TEST(smtp_and_imap_rules_are_added_listed_and_removed) {
  Api a;
  auto added = a.go("POST", "/api/mailroom/rules",
                    "{\"Protocol\":\"smtp\",\"Code\":550,\"Recipient\":\"ghost@example.test\"}");
  CHECK_EQ(added.status, 200);
  CHECK(has(added.body, "\"Stage\":\"rcpt\"") && has(added.body, "\"Times\":null"));
  auto rules = a.smtp.list();
  CHECK_EQ(rules.size(), std::size_t(1));
  CHECK(rules[0].code == 550 && rules[0].recipient == "ghost@example.test");
  auto d = a.smtp.match(engine::ReplyRule::Stage::Rcpt, "a@example.test", {"ghost@example.test"});
  CHECK(d && d->reply.code == 550);
  CHECK_EQ(a.go("POST", "/api/mailroom/rules", "{\"Protocol\":\"imap\",\"Command\":\"fetch\",\"Status\":\"no\"}").status,
           200);
  const auto imap_rules = a.imap.list();
  CHECK(imap_rules.size() == 1 && imap_rules[0].command == "FETCH");
  auto listed = a.go("GET", "/api/mailroom/rules");
  CHECK(has(listed.body, "\"Protocol\":\"smtp\"") && has(listed.body, "\"Protocol\":\"imap\""));
  // The engine's check answers for a rule that cannot be.
  auto bad = a.go("POST", "/api/mailroom/rules", "{\"Protocol\":\"smtp\",\"Code\":250,\"Close\":true}");
  CHECK_EQ(bad.status, 400);
  CHECK(has(bad.body, "close=True goes with a 4yz or 5yz reply"));
  CHECK_EQ(a.go("POST", "/api/mailroom/rules", "{\"Protocol\":\"imap\"}").status, 400);
  CHECK_EQ(a.smtp.list().size(), std::size_t(1));
  CHECK_EQ(a.go("DELETE", "/api/mailroom/rules", "{\"Protocol\":\"imap\"}").status, 200);
  CHECK(a.imap.list().empty() && a.smtp.list().size() == 1);
  const std::string id = std::to_string(rules[0].id);
  CHECK_EQ(a.go("DELETE", "/api/mailroom/rules", "{\"Protocol\":\"smtp\",\"ID\":" + id + "}").status, 200);
  CHECK_EQ(a.go("DELETE", "/api/mailroom/rules", "{\"Protocol\":\"smtp\",\"ID\":" + id + "}").status, 404);
  // Server-wide: not for a logged-in user.
  CHECK_EQ(a.go("GET", "/api/mailroom/rules", "", std::string("bob@example.test")).status, 403);
}

TEST(chaos_triggers_are_rules_with_a_probability) {
  Api a;
  auto none = a.go("GET", "/api/v1/chaos");
  CHECK(has(none.body, "\"Sender\":{\"ErrorCode\":451,\"Probability\":0}"));
  auto set = a.go("PUT", "/api/v1/chaos", "{\"Recipient\":{\"ErrorCode\":550,\"Probability\":100}}");
  CHECK_EQ(set.status, 200);
  CHECK(has(set.body, "\"Recipient\":{\"ErrorCode\":550,\"Probability\":100}"));
  auto d = a.smtp.match(engine::ReplyRule::Stage::Rcpt, "a@example.test", {"b@example.test"});
  CHECK(d && d->reply.code == 550);
  // A rule of one's own stays when the triggers change; chaos ones go.
  a.go("POST", "/api/mailroom/rules", "{\"Protocol\":\"smtp\",\"Code\":451,\"Sender\":\"*@spam.test\"}");
  CHECK_EQ(a.go("PUT", "/api/v1/chaos", "{}").status, 200);
  auto left = a.smtp.list();
  CHECK(left.size() == 1 && !left[0].chaos && left[0].sender == "*@spam.test");
  CHECK_EQ(a.go("PUT", "/api/v1/chaos", "{\"Sender\":{\"ErrorCode\":200,\"Probability\":5}}").status, 400);
  CHECK_EQ(a.go("PUT", "/api/v1/chaos", "{\"Authentication\":{\"ErrorCode\":535,\"Probability\":100}}").status, 200);
  auto refused = a.smtp.match(engine::ReplyRule::Stage::Auth, "", {});
  CHECK(refused && refused->kind == smtp::Decision::Reject && refused->reply.code == 535);
  CHECK_EQ(a.go("PUT", "/api/v1/chaos", "{}").status, 200);
  // 0%: never fires; the command goes on to the next rule.
  engine::ReplyRule never;
  never.code = 554;
  never.stage = engine::ReplyRule::Stage::Data;
  never.probability = 0;
  a.smtp.add(never);
  CHECK(!a.smtp.match(engine::ReplyRule::Stage::Data, "a@example.test", {"b@example.test"}));
}

TEST(queue_routes_say_when_there_is_no_queue) {
  Api a;
  for (auto [method, path] : {std::pair{"GET", "/api/mailroom/queue"}, {"POST", "/api/mailroom/queue/flush"},
                              {"DELETE", "/api/mailroom/queue/x"}}) {
    auto r = a.go(method, path);
    CHECK_EQ(r.status, 400);
    CHECK(has(r.body, "queue is off"));
  }
  auto t = a.go("GET", "/api/mailroom/transcripts");
  CHECK(t.status == 200 && has(t.body, "\"Transcripts\":[]"));
}

}  // namespace

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
