// The REST API as sans-IO code: requests in, responses out, over an
// in-memory store, without sockets. Mailpit's field names and status codes,
// the WebSocket event texts and the long poll's matching.
#include <string>
#include <vector>

#include "conversation.hpp"
#include "mailroom/http/mail_api.hpp"
#include "mailroom/store/mail_store.hpp"

using namespace mailroom;

namespace {

struct Api {
  store::MailStore store;
  std::vector<std::string> submitted;
  http::MailApi api{store,
                    [this](const std::string& from, const std::vector<std::string>& rcpts,
                           std::string data) {
                      submitted.push_back(from);
                      store.deliver(rcpts, std::make_shared<const std::string>(std::move(data)),
                                    nullptr);
                    },
                    {"1.2.3", "mail.example.test", 1 << 20}};

  void deliver(const std::string& to, const std::string& subject) {
    store.deliver({to},
                  std::make_shared<const std::string>("From: Alice <a@example.test>\r\nTo: " + to +
                                                      "\r\nSubject: " + subject +
                                                      "\r\n\r\nYour code is 246810.\r\n"),
                  nullptr);
  }
  http::Response go(const std::string& method, const std::string& target,
                    const std::string& body = "") {
    http::Request r;
    r.method = method;
    r.target = target;
    auto q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.body = body;
    auto a = api.handle(r);
    CHECK(a.kind == http::Answer::Kind::Now);
    return a.response;
  }
};

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The value of "ID" in the first object of a JSON text.
std::string first_id(const std::string& json) {
  auto at = json.find("\"ID\":\"");
  if (at == std::string::npos) return {};
  at += 6;
  return json.substr(at, json.find('"', at) - at);
}

TEST(messages_list_in_mailpit_shape) {
  Api a;
  a.deliver("bob@example.test", "first");
  a.deliver("carol@example.test", "second");
  auto r = a.go("GET", "/api/v1/messages?limit=1");
  CHECK_EQ(r.status, 200);
  CHECK(has(r.body, "\"total\":2"));
  CHECK(has(r.body, "\"unread\":2"));
  CHECK(has(r.body, "\"count\":1"));
  CHECK(has(r.body, "\"Subject\":\"second\""));  // newest first
  CHECK(has(r.body, "\"From\":{\"Name\":\"Alice\",\"Address\":\"a@example.test\"}"));
  CHECK(has(r.body, "\"Snippet\":\"Your code is 246810.\""));
  const std::string id = first_id(r.body);
  auto m = a.go("GET", "/api/v1/message/" + id);
  CHECK_EQ(m.status, 200);
  CHECK(has(m.body, "\"Text\":\"Your code is 246810.\\r\\n\""));
  CHECK(has(a.go("GET", "/api/v1/messages").body, "\"unread\":1"));  // read once fetched
  CHECK(has(a.go("GET", "/api/mailroom/message/" + id + "/codes").body, "[\"246810\"]"));
  CHECK_EQ(a.go("GET", "/api/v1/message/" + id + "x").status, 404);
  CHECK_EQ(a.go("POST", "/api/v1/message/" + id).status, 405);
  CHECK_EQ(a.go("GET", "/api/v1/messages?start=-1").status, 400);
}

TEST(send_builds_and_submits) {
  Api a;
  auto r = a.go("POST", "/api/v1/send",
                R"({"From":{"Email":"app@example.test"},"To":[{"Email":"u@example.test"}],)"
                R"("Subject":"Welcome","Text":"hi"})");
  CHECK_EQ(r.status, 200);
  CHECK_EQ(a.submitted.size(), std::size_t(1));
  CHECK(!first_id(r.body).empty());
  CHECK(has(a.go("GET", "/api/v1/search?query=subject:welcome").body, "\"messages_count\":1"));
  auto bad = a.go("POST", "/api/v1/send", R"({"From":{"Email":"a@example.test"},"To":[{}]})");
  CHECK_EQ(bad.status, 400);
  CHECK(has(bad.body, "To[0].Email"));
}

TEST(event_texts_and_wait_matching) {
  Api a;
  std::vector<store::StoreChange> changes;
  a.store.set_change_hook([&](const store::StoreChange& c) { changes.push_back(c); });
  a.deliver("bob@example.test", "hello");
  // The account's folders are made first: no events of Mailpit's for them,
  // mailroom's own (the folder tree changed) alone.
  CHECK(changes.size() > 1);
  for (std::size_t i = 0; i + 1 < changes.size(); ++i) {
    CHECK(changes[i].kind == store::StoreChange::Kind::FolderCreated);
    const auto made = a.api.events_for(changes[i]);
    CHECK_EQ(made.size(), std::size_t(1));
    CHECK(has(made[0], "\"Type\":\"mailroom.folder\""));
    CHECK(has(made[0], "\"Folder\":\"" + changes[i].folder + "\""));
  }
  const store::StoreChange appended = changes.back();
  CHECK(appended.kind == store::StoreChange::Kind::Appended);
  auto texts = a.api.events_for(appended);
  CHECK_EQ(texts.size(), std::size_t(3));
  CHECK(texts[0].rfind("{\"Type\":\"new\",\"Data\":{\"ID\":", 0) == 0);
  CHECK(has(texts[1], "\"Type\":\"stats\""));
  CHECK(has(texts[1], "\"Total\":1"));
  // mailroom's own, after Mailpit's: the folder's counts.
  CHECK(has(texts[2], "\"Type\":\"mailroom.folder\""));
  CHECK(has(texts[2], "\"Folder\":\"INBOX\",\"Total\":1,\"Unread\":1"));
  // Another account's change is not for a logged-in user.
  CHECK(a.api.events_for(appended, std::string("eve@example.test")).empty());
  http::WaitQuery q;
  q.to = "bob@";
  q.subject = "hell";
  CHECK(has(a.api.wait_match(q, appended.account, appended.uid), "\"Subject\":\"hello\""));
  q.subject = "bye";
  CHECK_EQ(a.api.wait_match(q), std::string());
}

}  // namespace

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
