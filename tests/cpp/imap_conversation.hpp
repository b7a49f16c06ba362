// Test fixture for the IMAP server state machine: a Conversation over an
// in-memory MailStore (the account bob@example.test, password "secret"),
// feeding "C:" lines (CRLF added) or raw bytes and checking "S:" lines. When
// it ends it replays everything one byte at a time and in pseudo-random
// splits into a fresh store seeded the same way, which must give the same
// responses (UIDVALIDITY values, which a new store makes afresh, masked).
// Header-only; the harness itself is conversation.hpp.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "conversation.hpp"
#include "mailroom/imap/folder_change_notes.hpp"
#include "mailroom/imap/server_session.hpp"
#include "mailroom/sasl.hpp"
#include "mailroom/store/mail_store.hpp"

using namespace mailroom::imap;
namespace store = mailroom::store;

namespace {

const char* const kBob = "bob@example.test";

struct Accounts : Handler {
  store::MailStore& st;
  std::string watched;
  explicit Accounts(store::MailStore& s) : st(s) {}
  LoginResult login(std::string_view authzid, std::string_view user,
                    std::string_view password) override {
    if (user == "down") return LoginResult::temp_fail();
    if (user == "thrower") throw std::runtime_error("accounts unreachable");
    if (!authzid.empty() && authzid != user) return LoginResult::bad_credentials();
    if ((user != "bob" && user != kBob) || password != "secret") return LoginResult::bad_credentials();
    return LoginResult::ok(st.ensure_account(kBob));
  }
  void watch(std::string_view, std::string_view folder) override {
    watched = folder;
    noted.reset();
  }
  // With `notes` on, the changes of the watched folder, noted as the server
  // notes them for its sessions (engine/imap_sessions.cpp), from the store's
  // change hook (Conversation::note_changes): the session then looks up only
  // those. Off: it compares its whole view with the folder.
  bool notes = false;
  FolderChangeNotes noted;
  void on_store_change(const store::StoreChange& c) {
    if (FolderChangeNotes::concerns(c, watched)) noted.note(c);
  }
  std::optional<std::vector<std::uint32_t>> take_folder_changes() override {
    if (!notes) return std::nullopt;
    return noted.take();
  }
  // A second session's handler shares the first one's \Recent claims.
  Accounts* claims_from = nullptr;
  std::uint32_t claim_recent(std::string_view account, std::string_view folder,
                             std::uint32_t uidvalidity, std::uint32_t last_uid) override {
    if (claims_from) return claims_from->Handler::claim_recent(account, folder, uidvalidity, last_uid);
    return Handler::claim_recent(account, folder, uidvalidity, last_uid);
  }
  // A reply rule for the command named `ruled` ("*": any).
  std::string ruled;
  CommandReply rule;
  std::optional<CommandReply> on_command(std::string_view name) override {
    if (ruled.empty() || (ruled != "*" && ruled != name)) return std::nullopt;
    return rule;
  }
  std::string cram_md5_challenge() override { return "<1896.697170952@postoffice.example.net>"; }
  LoginResult login_cram_md5(std::string_view user, std::string_view challenge,
                             std::string_view digest) override {
    if (user != "bob" || digest != mailroom::cram_md5_digest(challenge, "secret"))
      return LoginResult::bad_credentials();
    return LoginResult::ok(st.ensure_account(kBob));
  }
};

Config test_config() {
  Config c;
  c.auth_failure_delay_ms = 0;
  return c;
}

using Seed = std::function<void(store::MailStore&)>;

// "[UIDVALIDITY 1712345678]" -> "[UIDVALIDITY V]", also in APPENDUID and COPYUID.
inline std::string mask_validity(std::string s) {
  for (const char* key : {"UIDVALIDITY ", "APPENDUID ", "COPYUID "}) {
    std::size_t p = 0;
    while ((p = s.find(key, p)) != std::string::npos) {
      p += std::strlen(key);
      std::size_t e = p;
      while (e < s.size() && s[e] >= '0' && s[e] <= '9') ++e;
      if (e > p) s.replace(p, e - p, "V");
    }
  }
  return s;
}

struct Peer {
  std::unique_ptr<ServerSession> s;
  std::unique_ptr<Accounts> h;
  std::string replies;
  std::size_t pos = 0;
};

struct Conversation : ScriptedReplies<Conversation> {
  Config cfg;
  Seed seed;
  std::unique_ptr<store::MailStore> st;
  MessageCache cache;
  std::unique_ptr<Accounts> h;
  std::unique_ptr<ServerSession> s;
  std::vector<Output> outputs;
  bool split_invariant = true;  // false when the test changes the store between feeds
  std::vector<Accounts*> noting;  // handlers fed by the store's change hook

  explicit Conversation(Seed sd = {}, Config c = test_config()) : cfg(std::move(c)), seed(std::move(sd)) {
    st = std::make_unique<store::MailStore>();
    st->ensure_account(kBob);
    if (seed) seed(*st);
    h = std::make_unique<Accounts>(*st);
    s = std::make_unique<ServerSession>(cfg, *h, *st, cache, "192.0.2.1:1234");
    Output g = s->greeting();
    replies += g.wire();
    outputs.push_back(std::move(g));
  }
  ~Conversation() {
    if (split_invariant) check_splits();
  }

  void raw(std::string_view bytes) {
    sent += bytes;
    std::vector<Output> out;
    s->feed(bytes, out);
    take(out);
    CHECK(s->buffered_bytes() <= cfg.max_command_size + cfg.max_literal + cfg.max_command_line);
  }
  // The next reply line, UIDVALIDITY values masked (see mask_validity).
  void S(std::string_view want) {
    const std::size_t e = replies.find("\r\n", pos);
    if (e == std::string::npos) return ScriptedReplies::S(want);
    const std::string got = mask_validity(replies.substr(pos, e - pos));
    std::string masked = mask_validity(std::string(want));
    if (masked.size() >= 3 && masked.compare(masked.size() - 3, 3, "...") == 0) {
      masked.resize(masked.size() - 3);
      CHECK_EQ(got.substr(0, masked.size()), masked);
    } else {
      CHECK_EQ(got, masked);
    }
    pos = e + 2;
  }
  void script(std::string_view text) { run_script(*this, text); }
  void take(std::vector<Output>& out) {
    for (auto& o : out) {
      replies += o.wire();
      outputs.push_back(std::move(o));
    }
    out.clear();
  }
  void changed() {
    std::vector<Output> out;
    s->store_changed(out);
    take(out);
  }
  void login() {
    S("* OK [CAPABILITY ...");
    C("a0 LOGIN bob secret");
    S("a0 OK [CAPABILITY ...");
  }
  void select_inbox() {
    login();
    C("a1 SELECT INBOX");
    while (pos < replies.size() && replies.compare(pos, 3, "a1 ") != 0) S("...");
    S("a1 OK [READ-WRITE] SELECT completed");
  }
  // From now on every session's handler (this one's and its peers') notes
  // the changes of the folder it watches, as the server does.
  void note_changes() {
    h->notes = true;
    noting.push_back(h.get());
    st->set_change_hook([this](const store::StoreChange& c) {
      for (Accounts* a : noting) a->on_store_change(c);
    });
  }
  // A second session on the same store (created before it ends).
  Peer peer() {
    Peer p;
    p.h = std::make_unique<Accounts>(*st);
    p.h->claims_from = h.get();
    if (h->notes) {
      p.h->notes = true;
      noting.push_back(p.h.get());
    }
    p.s = std::make_unique<ServerSession>(cfg, *p.h, *st, cache, "192.0.2.2:1");
    p.replies = p.s->greeting().wire();
    return p;
  }

  std::string replay(const std::function<std::size_t(std::size_t)>& next_len) {
    store::MailStore fresh;
    fresh.ensure_account(kBob);
    if (seed) seed(fresh);
    MessageCache c;
    Accounts acc(fresh);
    ServerSession r(cfg, acc, fresh, c, "192.0.2.1:1234");
    std::string got = r.greeting().wire();
    std::size_t i = 0;
    while (i < sent.size()) {
      const std::size_t n = std::min(next_len(i), sent.size() - i);
      std::vector<Output> out;
      r.feed(std::string_view(sent).substr(i, n), out);
      for (auto& o : out) got += o.wire();
      i += n;
    }
    return got;
  }
  void check_splits() {
    CHECK_EQ(mask_validity(replay(one_byte)), mask_validity(replies));
    CHECK_EQ(mask_validity(replay(RandomSplits{})), mask_validity(replies));
  }
};

// Feeds a line to a second session and returns its reply text.
inline std::string talk(Peer& p, std::string_view line) {
  std::vector<Output> out;
  p.s->feed(std::string(line) + "\r\n", out);
  std::string r;
  for (auto& o : out) r += o.wire();
  p.replies += r;
  return r;
}

inline std::string message(const std::string& subject, const std::string& body = "hello\r\n",
                    const std::string& from = "Alice <alice@example.test>") {
  return "From: " + from + "\r\nTo: bob@example.test\r\nSubject: " + subject +
         "\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <" + subject +
         "@example.test>\r\n\r\n" + body;
}

// Three messages in INBOX, dated 1 Jan 2024 (the second \Seen).
inline void three_messages(store::MailStore& st) {
  store::AppendOptions o;
  o.internal_date = 1704103200;  // 2024-01-01 10:00:00 UTC
  st.append(kBob, "INBOX", message("one"), o);
  o.flags = {"\\Seen"};
  st.append(kBob, "INBOX", message("two", "second body\r\n", "Carol <carol@example.test>"), o);
  o.flags = {};
  o.internal_date = 1706781600;  // 2024-02-01 10:00:00 UTC
  st.append(kBob, "INBOX", message("three", "third\r\n"), o);
}

}  // namespace
