#include "pop3_handler.hpp"

#include <algorithm>
#include <vector>

#include "mailroom/pop3/maildrop.hpp"
#include "services.hpp"

namespace mailroom::engine {

namespace {

// Message bytes with CRLF line ends, as POP3 sizes and sends them (RFC 1939
// §3). Stored mail from SMTP already has them; files from elsewhere may not.
std::shared_ptr<const std::string> with_crlf(const std::shared_ptr<const std::string>& data) {
  const std::string& s = *data;
  bool bare_lf = false;
  for (std::size_t i = s.find('\n'); i != std::string::npos; i = s.find('\n', i + 1))
    if (i == 0 || s[i - 1] != '\r') {
      bare_lf = true;
      break;
    }
  if (!bare_lf) return data;
  auto out = std::make_shared<std::string>();
  out->reserve(s.size() + s.size() / 32);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) out->push_back('\r');
    out->push_back(s[i]);
  }
  return out;
}

// A locked snapshot of one account's INBOX (RFC 1939: the maildrop).
class StoreMaildrop final : public pop3::Maildrop {
 public:
  StoreMaildrop(store::MailStore& store, std::string mailbox, std::shared_ptr<std::size_t> retrieved)
      : store_(store), mailbox_(std::move(mailbox)), retrieved_(std::move(retrieved)) {
    auto messages = store_.inbox(mailbox_);
    if (messages.empty()) return;
    const std::uint32_t uidvalidity = store_.status(mailbox_, "INBOX").uidvalidity;
    for (auto& m : messages) {
      std::shared_ptr<const std::string> data;
      try {
        data = with_crlf(store_.read(*m));
      } catch (const store::NoSuchMessage&) {
        continue;  // expunged meanwhile
      }
      // Dovecot's pop3_uidl_format %08Xv%08Xu: stable while UIDVALIDITY is.
      entries_.push_back({data->size(), store::pop3_uidl(uidvalidity, m->uid)});
      contents_.push_back(std::move(data));
      uids_.push_back(m->uid);
    }
    seen_.assign(entries_.size(), false);
  }

  ~StoreMaildrop() override {
    // RETR sets \Seen (Maildir: the file moves to cur/ with ":2,S"), QUIT or not.
    std::vector<std::uint32_t> seen;
    for (std::size_t i = 0; i < seen_.size(); ++i)
      if (seen_[i]) seen.push_back(uids_[i]);
    try {
      if (!seen.empty()) store_.store(mailbox_, "INBOX", seen, store::FlagChange::Add, {"\\Seen"});
    } catch (...) {
    }
    store_.unlock_mailbox(mailbox_);
  }

  const std::vector<pop3::MaildropEntry>& entries() const override { return entries_; }

  std::shared_ptr<const std::string> content(std::size_t index) override {
    if (index >= contents_.size()) return nullptr;
    if (!seen_[index]) {
      seen_[index] = true;
      ++*retrieved_;
    }
    return contents_[index];
  }

  // UPDATE (RFC 1939 §6): only now are DELE'd messages removed, as expunges
  // (\Deleted, then EXPUNGE of those UIDs: what IMAP sessions see).
  void commit(const std::vector<std::size_t>& deleted) override {
    std::vector<std::uint32_t> uids;
    for (auto i : deleted)
      if (i < uids_.size()) uids.push_back(uids_[i]);
    if (!uids.empty()) {
      store_.store(mailbox_, "INBOX", uids, store::FlagChange::Add, {"\\Deleted"});
      store_.expunge(mailbox_, "INBOX", uids);
    }
    for (auto i : deleted)
      if (i < seen_.size()) seen_[i] = false;  // gone: nothing to mark
  }

 private:
  store::MailStore& store_;
  std::string mailbox_;
  std::shared_ptr<std::size_t> retrieved_;
  std::vector<pop3::MaildropEntry> entries_;
  std::vector<std::shared_ptr<const std::string>> contents_;
  std::vector<std::uint32_t> uids_;
  std::vector<bool> seen_;
};

// Checks the password and opens the maildrop, counting retrievals in
// `retrieved`.
pop3::AuthResult open_maildrop(Server& server, std::string_view user, std::string_view password,
                               const std::shared_ptr<std::size_t>& retrieved) {
  if (!server.check_password(user, password)) return pop3::AuthResult::bad_credentials();
  // Test mode (no users): any password opens the mailbox named (loopback only,
  // checked when the server starts).
  const std::string mailbox = store::normalize_mailbox(user);
  if (!server.store().try_lock_mailbox(mailbox)) return pop3::AuthResult::in_use();
  try {
    return pop3::AuthResult::ok(std::make_shared<StoreMaildrop>(server.store(), mailbox, retrieved));
  } catch (...) {
    server.store().unlock_mailbox(mailbox);
    return pop3::AuthResult::temp_fail("cannot read the mailbox");
  }
}

}  // namespace

pop3::AuthResult Pop3Handler::login(std::string_view user, std::string_view password) {
  auto retrieved = std::make_shared<std::size_t>(0);
  if (!session_ || !server_.password_check_may_block()) {
    auto r = open_maildrop(server_, user, password, retrieved);
    if (r.kind == pop3::AuthResult::Ok) retrieved_ = std::move(retrieved);
    return r;
  }
  retrieved_ = retrieved;  // read here, counted by the maildrop on this strand
  server_.run_blocking([&server = server_, connection = connection_, session = session_,
                        retrieved, user = std::string(user), password = std::string(password)]() mutable {
    pop3::AuthResult r;
    try {
      r = open_maildrop(server, user, password, retrieved);
    } catch (...) {
      r = pop3::AuthResult::temp_fail();
    }
    std::fill(password.begin(), password.end(), '\0');
    resume_on<pop3::Output>(connection, [session, r = std::move(r)](auto& out) mutable {
      session->resume_login(std::move(r), out);
    });
  });
  return pop3::AuthResult::pending();
}

}  // namespace mailroom::engine
