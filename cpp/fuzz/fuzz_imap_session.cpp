// libFuzzer target for the IMAP server state machine.
//
// Input layout: byte 0 picks configuration switches, byte 1 the limits,
// bytes 2..3 seed the split points; the rest is the client's byte stream.
// The session runs over an in-memory store where bob@fuzz.test (password
// "pw", CRAM-MD5 secret "pw") has a plain, a multipart and a header-only
// message in INBOX; the user "later" is answered later (as bob), "throw"
// makes the handler throw. With reply rules on, NOOP is answered NO, LIST
// BYE, UID FETCH delayed and EXPUNGE drops the connection. Flag 64 offers
// COMPRESS=DEFLATE (the session answers; the inflating is the transport's).
// Halfway through the stream "another session" appends to INBOX, flags
// message 1, appends to Archive and makes a folder; the store's changes are
// queued for NOTIFY (RFC 5465) as the server's event bus queues them. Flag
// 128 runs store work (APPEND, STORE, COPY, EXPUNGE...) as the server does on
// a Maildir: the session pauses until it is done. The stream is fed twice, in two halves and in pseudo-random
// splits, the second time with the handler noting the selected folder's
// changes as the server does (so the syncs look up only those); both runs
// must give the same responses (UIDVALIDITY values and internal dates, which
// a fresh store makes afresh, masked).
// Invariants: every response ends in CRLF and is a tagged, untagged or
// continuation response; nothing after a closing one; buffers and the
// transcript stay bounded; a selected session has a folder.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailroom/imap/folder_change_notes.hpp"
#include "mailroom/imap/server_session.hpp"
#include "mailroom/sasl.hpp"
#include "mailroom/store/mail_store.hpp"

#include "fuzz_support.hpp"

using namespace mailroom::imap;
namespace store = mailroom::store;

namespace {

const char* const kBob = "bob@fuzz.test";

struct FuzzHandler : Handler {
  store::MailStore& st;
  std::optional<LoginResult> later;
  bool rules = false;
  // Store work kept, as the server's pool would, until the session is fed
  // again (flag 128).
  bool defer = false;
  std::vector<std::function<void()>> jobs;
  std::optional<std::function<void()>> run_store_work(std::function<void()> work) override {
    if (!defer) return work;
    jobs.push_back(std::move(work));
    return std::nullopt;
  }
  // With `notes` on, the changes of the watched folder, noted as the server
  // notes them (engine/imap_sessions.cpp), from the store's change hook.
  bool notes = false;
  std::string watched;
  FolderChangeNotes noted;
  void watch(std::string_view, std::string_view folder) override {
    watched = folder;
    noted.reset();
  }
  void note(const store::StoreChange& c) {
    if (FolderChangeNotes::concerns(c, watched)) noted.note(c);
  }
  std::optional<std::vector<std::uint32_t>> take_folder_changes() override {
    if (!notes) return std::nullopt;
    return noted.take();
  }
  explicit FuzzHandler(store::MailStore& s) : st(s) {}
  std::string cram_md5_challenge() override { return "<1.2@fuzz>"; }
  LoginResult login_cram_md5(std::string_view user, std::string_view challenge,
                             std::string_view digest) override {
    if (user == "throw") throw 8;
    if (user == "bob" && digest == mailroom::cram_md5_digest(challenge, "pw"))
      return LoginResult::ok(kBob);
    return LoginResult::bad_credentials();
  }
  std::optional<CommandReply> on_command(std::string_view name) override {
    if (!rules) return std::nullopt;
    CommandReply r;
    if (name == "NOOP") r.status = "NO";
    else if (name == "LIST") r.status = "BYE", r.text = "going\r\n* OK fake";
    else if (name == "UID FETCH") r.delay_ms = 5;
    else if (name == "EXPUNGE") r.disconnect = true;
    else return std::nullopt;
    return r;
  }
  LoginResult login(std::string_view authzid, std::string_view user,
                    std::string_view password) override {
    if (user == "throw") throw 7;
    const bool good = password == "pw" && (authzid.empty() || authzid == user);
    if (user == "later") {
      REQUIRE(!later);
      later = good ? LoginResult::ok(kBob) : LoginResult::bad_credentials();
      return LoginResult::pending();
    }
    if (user == "bob" && good) return LoginResult::ok(kBob);
    return LoginResult::bad_credentials();
  }
};

void seed(store::MailStore& st) {
  st.ensure_account(kBob);
  store::AppendOptions o;
  o.internal_date = 1704103200;
  st.append(kBob, "INBOX",
            "From: A <a@fuzz.test>\r\nTo: bob@fuzz.test\r\nSubject: one\r\n"
            "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nhello\r\n",
            o);
  o.flags = {"\\Seen", "$Label"};
  st.append(kBob, "INBOX",
            "Subject: =?utf-8?q?caf=C3=A9?=\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n--b\r\n"
            "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--b--\r\n",
            o);
  o.flags = {};
  st.append(kBob, "Archive", "X: only a header", o);
}

std::string masked(std::string s) {
  for (const char* key : {"UIDVALIDITY ", "APPENDUID ", "COPYUID ", "INTERNALDATE \""}) {
    std::size_t p = 0;
    while ((p = s.find(key, p)) != std::string::npos) {
      p += std::strlen(key);
      std::size_t e = p;
      while (e < s.size() && s[e] != ' ' && s[e] != ']' && s[e] != ')' && s[e] != '"') ++e;
      s.replace(p, e - p, "V");
    }
  }
  return s;
}

void check_output(const Output& o) {
  const std::string w = o.wire();
  if (w.empty() && o.close_after) return;  // a dropped connection (a reply rule)
  if (w.size() < 3 || w[0] == ' ' || w[0] == '\r' || w[0] == '\n')
    std::fprintf(stderr, "response: [%s]\n", w.c_str());  // what the REQUIRE below refuses
  REQUIRE(w.size() >= 3);
  REQUIRE(w.compare(w.size() - 2, 2, "\r\n") == 0);
  REQUIRE(w[0] != ' ' && w[0] != '\r' && w[0] != '\n');
  if (o.start_tls) REQUIRE(o.ok);
  if (o.body) REQUIRE(o.tail == ")\r\n");
  if (o.close_after) REQUIRE(w.empty() || w.find("* BYE ") != std::string::npos);
}

std::string run(const Config& cfg, std::string_view stream, std::uint32_t seed_value,
                bool split, bool others, bool rules, bool defer, bool notes) {
  store::MailStore st;
  seed(st);
  MessageCache cache(4096);
  FuzzHandler h(st);
  h.rules = rules;
  h.notes = notes;
  st.set_change_hook([&h](const store::StoreChange& c) {
    h.notifications().push(mailbox_change(c));
    h.note(c);
  });
  h.defer = defer;
  std::string replies;
  ServerSession s(cfg, h, st, cache, "fuzz");
  const Output g = s.greeting();
  check_output(g);
  replies += g.wire();
  bool closed = false;
  const std::size_t half = stream.size() / 2;
  bool injected = false;
  std::size_t i = 0;
  while (i < stream.size()) {
    std::size_t n = mailroom_fuzz::next_piece(seed_value, stream.size() - i, split);
    if (!injected && i < half) n = std::min(n, half - i);  // a piece ends at the half
    std::vector<Output> out;
    s.feed(stream.substr(i, n), out);
    while (s.paused()) {
      if (!h.jobs.empty()) {
        REQUIRE(h.jobs.size() == 1);  // one command at a time
        auto job = std::move(h.jobs.back());
        h.jobs.clear();
        job();
        s.resume_store(out);
        continue;
      }
      REQUIRE(h.later.has_value());
      LoginResult r = std::move(*h.later);
      h.later.reset();
      s.resume_login(std::move(r), out);
    }
    if (cfg.starttls) s.tls_established();
    i += n;
    if (!injected && i >= half) {
      injected = true;
      if (others) {
        st.append(kBob, "INBOX", "Subject: later\r\n\r\nnew\r\n");
        st.store(kBob, "INBOX", {1}, store::FlagChange::Add, {"\\Flagged"});
        try {  // the client may have renamed Archive, or made Fuzz/New
          st.append(kBob, "Archive", "Subject: filed\r\n\r\nx\r\n");
          st.create_folder(kBob, "Fuzz/New");
        } catch (const store::StoreError&) {
        }
        s.store_changed(out);
      }
    }
    for (const Output& o : out) {
      REQUIRE(!closed);
      check_output(o);
      closed = o.close_after;
      replies += o.wire();
    }
    REQUIRE(s.closed() == closed);
    REQUIRE(s.buffered_bytes() <= cfg.max_command_size + cfg.max_literal + cfg.max_command_line);
    REQUIRE(s.transcript().size() <= cfg.max_transcript_bytes);
    REQUIRE((s.state() == State::Selected) == !s.folder().empty());
  }
  std::vector<Output> out;
  s.on_timeout(out);
  REQUIRE(out.size() == (closed ? 0u : 1u));
  return masked(replies);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mailroom_fuzz::SessionFuzzInput in;
  if (!in.parse(data, size)) return 0;
  const std::uint8_t flags = in.flags, limits = in.limits;
  Config cfg;
  cfg.auth_failure_delay_ms = 0;
  cfg.starttls = flags & 1;
  cfg.plaintext_auth = !(flags & 2);
  cfg.max_transcript_bytes = (flags & 4) ? 400 : 0;
  const bool others = flags & 8;
  cfg.auth_cram_md5 = flags & 16;
  const bool rules = flags & 32;
  cfg.compress = flags & 64;
  cfg.max_command_line = (limits & 1) ? 40 : 8192;
  cfg.max_command_size = (limits & 2) ? 120 : 65536;
  cfg.max_literal = (limits & 4) ? 64 : 1 << 20;
  cfg.max_errors = (limits & 8) ? 0 : 10;
  cfg.max_auth_failures = (limits & 16) ? 0 : 3;
  const bool defer = flags & 128;
  // The second run's syncs look up only the changes the handler noted, the
  // first's compare the whole view: the same responses either way.
  const std::string halves = run(cfg, in.stream, in.seed, false, others, rules, defer, false);
  const std::string parts = run(cfg, in.stream, in.seed, true, others, rules, defer, true);
  // STARTTLS drops input up to the handshake, COMPRESS the rest of its read.
  if (!cfg.starttls && !cfg.compress && halves != parts) {
    std::size_t d = 0;
    while (d < halves.size() && d < parts.size() && halves[d] == parts[d]) ++d;
    const std::size_t from = d > 200 ? d - 200 : 0;
    std::fprintf(stderr, "whole:\n%s\n---- split:\n%s\n", halves.substr(from, 400).c_str(),
                 parts.substr(from, 400).c_str());
    REQUIRE(halves == parts);
  }
  return 0;
}
