// The smtp::Handler of one session: asks the Server for policy and delivery.
#pragma once

#include <string>

#include "mailroom/engine/server.hpp"
#include "mailroom/smtp/handler.hpp"

namespace mailroom::engine {

class SessionHandler final : public smtp::Handler {
 public:
  SessionHandler(Server& server, std::string peer) : server_(server), peer_(std::move(peer)) {}

  smtp::Decision on_mail(const smtp::Envelope& env, std::string_view from) override {
    auto d = server_.rules().match(ReplyRule::Stage::Mail, from, env.rcpt_to);
    return d ? *d : smtp::Decision{};
  }
  smtp::Decision on_rcpt(const smtp::Envelope& env, std::string_view rcpt) override {
    return server_.check_recipient(env, rcpt, peer_);
  }
  smtp::AuthOutcome on_auth(const smtp::AuthRequest& r) override {
    bool ok = r.mechanism == "CRAM-MD5" ? server_.check_cram_md5(r.user, r.challenge, r.digest)
                                        : server_.check_password(r.user, r.password);
    // RFC 4616 §2: acting for another identity needs an authorization policy,
    // and there is none: only the user itself.
    if (ok && !r.authzid.empty() && store::normalize_mailbox(r.authzid) != store::normalize_mailbox(r.user))
      ok = false;
    return ok ? smtp::AuthOutcome::Ok : smtp::AuthOutcome::BadCredentials;
  }
  std::string auth_challenge() override { return server_.new_challenge(); }
  smtp::Decision on_data(const smtp::Envelope& env, std::string&& message) override {
    ++messages_;
    return server_.accept_message(env, std::move(message), peer_);
  }
  std::size_t messages() const { return messages_; }

 private:
  Server& server_;
  std::string peer_;
  std::size_t messages_ = 0;
};

}  // namespace mailroom::engine
