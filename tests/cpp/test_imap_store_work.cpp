// Byte-level tests of store work run elsewhere (Handler::run_store_work, as
// the server does on a Maildir): the session is paused while APPEND, STORE,
// COPY, MOVE, EXPUNGE or CLOSE waits for the store, the next pipelined
// command waits for its tagged reply, and another session's updates come in
// the order RFC 9051 §7 asks for.
#include <string>

#include "imap_conversation.hpp"

namespace {

// Keeps the store work instead of running it, until the test says so.
struct Deferring : Accounts {
  std::vector<std::function<void()>> jobs;
  explicit Deferring(store::MailStore& s) : Accounts(s) {}
  std::optional<std::function<void()>> run_store_work(std::function<void()> work) override {
    jobs.push_back(std::move(work));
    return std::nullopt;
  }
};

struct Paused {
  store::MailStore st;
  MessageCache cache;
  Config cfg = test_config();
  std::unique_ptr<Deferring> h;
  std::unique_ptr<ServerSession> s;
  Paused() {
    st.ensure_account(kBob);
    for (int i = 1; i <= 3; ++i)
      st.append(kBob, "INBOX", "Subject: m" + std::to_string(i) + "\r\n\r\nbody\r\n");
    h = std::make_unique<Deferring>(st);
    s = std::make_unique<ServerSession>(cfg, *h, st, cache, "192.0.2.1:1234");
    s->greeting();
  }
  std::string feed(std::string_view bytes) {
    std::vector<Output> out;
    s->feed(bytes, out);
    return wire(out);
  }
  // Runs the store work given so far, then brings its answer back.
  std::string finish() {
    auto jobs = std::move(h->jobs);
    h->jobs.clear();
    for (auto& j : jobs) j();
    std::vector<Output> out;
    s->resume_store(out);
    return wire(out);
  }
  static std::string wire(std::vector<Output>& out) {
    std::string w;
    for (auto& o : out) w += o.wire();
    return mask_validity(w);
  }
};

}  // namespace

TEST(store_work_pauses_the_session_until_its_reply) {
  Paused p;
  p.feed("a0 LOGIN bob secret\r\na1 SELECT INBOX\r\n");
  // STORE and the commands pipelined after it: nothing until the store answers.
  CHECK_EQ(p.feed("a2 STORE 1 +FLAGS (\\Seen)\r\na3 NOOP\r\na4 FETCH 1 (FLAGS)\r\n"),
           std::string());
  CHECK(p.s->paused());
  CHECK_EQ(p.h->jobs.size(), 1u);
  CHECK_EQ(int(p.st.messages(kBob, "INBOX").at(0)->flags), 0);  // not run yet
  CHECK_EQ(p.finish(),
           std::string("* 1 FETCH (FLAGS (\\Seen \\Recent))\r\na2 OK STORE completed\r\n"
                       "a3 OK NOOP completed\r\n"
                       "* 1 FETCH (FLAGS (\\Seen \\Recent))\r\na4 OK FETCH completed\r\n"));
  CHECK(!p.s->paused());
}

TEST(append_expunge_and_close_wait_for_the_store) {
  Paused p;
  p.feed("a0 LOGIN bob secret\r\na1 SELECT INBOX\r\n");
  CHECK_EQ(p.feed("a2 APPEND INBOX {14+}\r\nSubject: new\r\n\r\na3 UID STORE 4 +FLAGS.SILENT "
                  "(\\Deleted)\r\n"),
           std::string());
  // The session learns of its own APPEND before the tagged OK (RFC 9051
  // §6.3.12); the STORE held meanwhile then runs as the next command.
  CHECK_EQ(p.finish(), std::string("* 4 EXISTS\r\n* 4 RECENT\r\n"
                                   "a2 OK [APPENDUID V 4] APPEND completed\r\n"));
  CHECK_EQ(p.finish(), std::string("a3 OK STORE completed\r\n"));
  CHECK_EQ(p.feed("a4 UID EXPUNGE 4\r\n"), std::string());
  CHECK_EQ(p.finish(), std::string("* 4 EXPUNGE\r\na4 OK EXPUNGE completed\r\n"));
  p.feed("a5 STORE 2 +FLAGS.SILENT (\\Deleted)\r\n");
  p.finish();
  CHECK_EQ(p.feed("a6 CLOSE\r\na7 NOOP\r\n"), std::string());
  CHECK_EQ(p.finish(), std::string("a6 OK CLOSE completed\r\na7 OK NOOP completed\r\n"));
  CHECK_EQ(p.st.messages(kBob, "INBOX").size(), 2u);
  CHECK_EQ(p.s->messages_appended(), 1u);
}

TEST(copy_and_move_wait_for_the_store_and_errors_keep_their_tag) {
  Paused p;
  p.feed("a0 LOGIN bob secret\r\na1 SELECT INBOX\r\n");
  CHECK_EQ(p.feed("a2 COPY 1 Archive\r\n"), std::string());
  CHECK_EQ(p.finish(), std::string("a2 OK [COPYUID V 1 1] COPY completed\r\n"));
  CHECK_EQ(p.feed("a3 MOVE 2:3 Trash\r\n"), std::string());
  CHECK_EQ(p.finish(), std::string("* OK [COPYUID V 2:3 1:2] Moved\r\n* 3 EXPUNGE\r\n"
                                   "* 2 EXPUNGE\r\na3 OK MOVE completed\r\n"));
  // The folder goes away while the COPY waits: the error answers its tag.
  CHECK_EQ(p.feed("a4 COPY 1 Archive\r\n"), std::string());
  p.st.delete_folder(kBob, "Archive");
  CHECK_EQ(p.finish(), std::string("a4 NO [NONEXISTENT] No such mailbox\r\n"));
}

TEST(another_sessions_change_while_paused_comes_after_the_reply) {
  Paused p;
  p.feed("a0 LOGIN bob secret\r\na1 SELECT INBOX\r\n");
  CHECK_EQ(p.feed("a2 STORE 1 +FLAGS.SILENT (\\Seen)\r\n"), std::string());
  // Another session appends meanwhile: no output now, the EXISTS comes with
  // the next reply.
  p.st.append(kBob, "INBOX", "Subject: other\r\n\r\nx\r\n");
  std::vector<Output> none;
  p.s->store_changed(none);
  CHECK(none.empty());
  CHECK_EQ(p.finish(), std::string("* 4 EXISTS\r\n* 4 RECENT\r\na2 OK STORE completed\r\n"));
}

TEST(in_place_store_work_answers_at_once) {
  Conversation t;  // its handler runs store work in place
  t.select_inbox();
  t.raw("a2 APPEND INBOX {14+}\r\nSubject: new\r\n\r\na3 NOOP\r\n");
  t.S("* 1 EXISTS");
  t.S("* 1 RECENT");
  t.S("a2 OK [APPENDUID V 1] APPEND completed");
  t.S("a3 OK NOOP completed");
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
