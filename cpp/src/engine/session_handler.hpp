// The smtp::Handler of one session: asks the Server for policy and delivery.
// What may block (a message hook, an fsync, a password_check callable) runs
// with Server::run_blocking(); the answer comes back on the connection's
// strand as ServerSession::resume_data() / resume_auth().
#pragma once

#include <string>

#include "mailroom/engine/server.hpp"
#include "mailroom/net/session.hpp"
#include "mailroom/sasl.hpp"
#include "services.hpp"
#include "mailroom/smtp/handler.hpp"
#include "mailroom/smtp/server_session.hpp"

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
  smtp::Decision on_auth_command(std::string_view /*mechanism*/) override {
    auto d = server_.rules().match(ReplyRule::Stage::Auth, "", {});
    return d ? *d : smtp::Decision{};
  }
  smtp::AuthOutcome on_auth(const smtp::AuthRequest& r) override {
    if (r.mechanism == "CRAM-MD5")
      return outcome(server_.check_cram_md5(r.user, r.challenge, r.digest), r.authzid, r.user);
    if (!session_ || !server_.password_check_may_block())
      return outcome(server_.check_password(r.user, r.password), r.authzid, r.user);
    server_.run_blocking([&server = server_, connection = connection_, session = session_,
                          authzid = std::string(r.authzid), user = std::string(r.user),
                          password = std::string(r.password)]() mutable {
      smtp::AuthOutcome o;
      try {
        o = outcome(server.check_password(user, password), authzid, user);
      } catch (...) {
        o = smtp::AuthOutcome::TempFail;
      }
      std::fill(password.begin(), password.end(), '\0');
      resume_on<smtp::Output>(connection, [session, o](auto& out) { session->resume_auth(o, out); });
    });
    return smtp::AuthOutcome::Pending;
  }
  std::string auth_challenge() override { return server_.new_challenge(); }
  smtp::Decision on_data(const smtp::Envelope& env, std::string&& message) override {
    ++messages_;
    if (!session_ || !server_.delivery_may_block())
      return server_.accept_message(env, std::move(message), peer_, session_id_);
    server_.run_blocking([&server = server_, connection = connection_, session = session_, env,
                          message = std::move(message), peer = peer_,
                          id = session_id_]() mutable {
      smtp::Decision d;
      try {
        d = server.accept_message(env, std::move(message), peer, id);
      } catch (...) {
        d = smtp::Decision::reject(451, "4.3.0", "Error: local error in processing");
      }
      resume_on<smtp::Output>(connection, [session, d](auto& out) { session->resume_data(d, out); });
    });
    return smtp::Decision::answer_later();
  }
  std::size_t messages() const { return messages_; }
  // The Server's id of this session: stored with each message it delivers,
  // so the message's transcript can be found.
  void session_started(std::uint64_t id) { session_id_ = id; }

  // Answers may come later, from run_blocking(), for `session` on `connection`.
  void answer_later(net::ConnectionRef connection, smtp::ServerSession* session) {
    connection_ = std::move(connection);
    session_ = session;
  }

 private:
  // RFC 4616 §2: acting for another identity needs an authorization policy,
  // and there is none: only the user itself.
  static smtp::AuthOutcome outcome(bool ok, std::string_view authzid, std::string_view user) {
    if (ok && !acts_for_itself(authzid, user)) ok = false;
    return ok ? smtp::AuthOutcome::Ok : smtp::AuthOutcome::BadCredentials;
  }

  Server& server_;
  std::string peer_;
  std::size_t messages_ = 0;
  std::uint64_t session_id_ = 0;
  net::ConnectionRef connection_;
  smtp::ServerSession* session_ = nullptr;
};

}  // namespace mailroom::engine
