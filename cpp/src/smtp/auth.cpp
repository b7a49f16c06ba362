// ServerSession: AUTH (RFC 4954) with the PLAIN (RFC 4616), LOGIN and
// CRAM-MD5 (RFC 2195) mechanisms. The session decodes the exchange; the
// Handler checks the credentials.
#include <cstring>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/sasl.hpp"
#include "mailroom/smtp/server_session.hpp"
#include "mailroom/text.hpp"

namespace mailroom::smtp {

namespace {

constexpr std::string_view kUsername = "VXNlcm5hbWU6";  // base64("Username:")
constexpr std::string_view kPassword = "UGFzc3dvcmQ6";  // base64("Password:")

}  // namespace

std::size_t ServerSession::line_limit(std::string_view head) const {
  if (auth_step_ != AuthStep::None || istarts_with(head, "AUTH "))
    return std::max(cfg_.max_auth_line, cfg_.max_command_line);
  return cfg_.max_command_line;
}

void ServerSession::cmd_auth(std::string_view arg, std::vector<Output>& out) {
  if (!cfg_.auth) return reply(out, 502, "5.5.1", "Error: command not implemented");
  if (!greeted_ || !env_.esmtp) return reply(out, 503, "5.5.1", "Error: send EHLO first");
  if (!env_.auth_user.empty()) return reply(out, 503, "5.5.1", "Error: already authenticated");
  if (tx_ != Tx::None) return reply(out, 503, "5.5.1", "Error: AUTH not allowed during a mail transaction");
  if (cfg_.require_tls && !tls_active_)
    return reply(out, 530, "5.7.0", "Must issue a STARTTLS command first");
  // RFC 4954 §4 and §6: a mechanism that needs an encryption layer first.
  if (!auth_offered())
    return reply(out, 538, "5.7.11", "Encryption required for requested authentication mechanism");
  arg = trim(arg);
  const std::size_t sp = arg.find(' ');
  const std::string_view mech = arg.substr(0, sp);
  std::string_view initial;
  bool has_initial = false;
  if (sp != std::string_view::npos) {
    initial = trim(arg.substr(sp + 1));
    has_initial = true;
  }
  if (mech.empty()) return reply(out, 501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
  const Decision d = call_handler([&] { return handler_.on_auth_command(mech); });
  if (d.kind != Decision::Accept)
    return static_cast<void>(decide(d, out, Reply(235, "2.7.0", "Authentication successful"),
                                    Reply(454, "4.7.0", "Temporary authentication failure")));
  if (cfg_.auth_plain && iequals(mech, "PLAIN")) {
    if (has_initial) return auth_plain(initial, out);
    auth_step_ = AuthStep::Plain;
    return emit(out, Reply(334, "", ""), 0, false, false, false);
  }
  if (cfg_.auth_login && iequals(mech, "LOGIN")) {
    if (has_initial) {  // the user name as an initial response (what smtplib sends)
      auth_step_ = AuthStep::LoginUser;
      return auth_step(initial, out);
    }
    auth_step_ = AuthStep::LoginUser;
    return emit(out, Reply(334, "", std::string(kUsername)), 0, false, false, false);
  }
  if (cfg_.auth_cram_md5 && iequals(mech, "CRAM-MD5")) {
    // RFC 2195 §2: no initial response; the server sends the challenge.
    if (has_initial) return reply(out, 501, "5.5.4", "Error: CRAM-MD5 takes no initial response");
    try {
      auth_challenge_ = handler_.auth_challenge();
    } catch (...) {
      return reply(out, 454, "4.7.0", "Temporary authentication failure");
    }
    auth_step_ = AuthStep::CramMd5;
    return emit(out, Reply(334, "", mime::base64_encode(auth_challenge_, 0)), 0, false, false,
                false);
  }
  reply(out, 504, "5.5.4", "Unrecognized authentication type");
}

void ServerSession::auth_step(std::string_view response, std::vector<Output>& out) {
  const AuthStep step = auth_step_;
  auth_step_ = AuthStep::None;
  // RFC 4954 §4: "*" cancels the exchange with 501.
  if (response == "*") return reply(out, 501, "5.0.0", "Authentication cancelled");
  if (step == AuthStep::Plain) return auth_plain(response, out);
  bool bad = false;
  // RFC 4954 §4: "=" stands for an empty initial response.
  std::string decoded = response == "=" ? std::string() : mime::base64_decode(response, &bad);
  if (bad) return reply(out, 501, "5.5.2", "Cannot decode response");
  switch (step) {
    case AuthStep::LoginUser:
      auth_login_user_ = std::move(decoded);
      auth_step_ = AuthStep::LoginPassword;
      return emit(out, Reply(334, "", std::string(kPassword)), 0, false, false, false);
    case AuthStep::LoginPassword: {
      AuthRequest r;
      r.mechanism = "LOGIN";
      r.user = auth_login_user_;
      r.password = decoded;
      auth_finish(r, out);
      std::fill(decoded.begin(), decoded.end(), '\0');
      auth_login_user_.clear();
      return;
    }
    case AuthStep::CramMd5: {
      // "user SP 32 hex digits" (RFC 2195 §2); the user name may hold spaces.
      const std::size_t sp = decoded.rfind(' ');
      if (sp == std::string::npos || sp == 0 || !cram_md5_response_digest(std::string_view(decoded).substr(sp + 1)))
        return reply(out, 501, "5.5.2", "Invalid CRAM-MD5 response");
      AuthRequest r;
      r.mechanism = "CRAM-MD5";
      r.user = std::string_view(decoded).substr(0, sp);
      r.challenge = auth_challenge_;
      r.digest = std::string_view(decoded).substr(sp + 1);
      return auth_finish(r, out);
    }
    case AuthStep::None:
    case AuthStep::Plain: break;
  }
}

// RFC 4616 §2: base64(authzid NUL authcid NUL passwd); the decoded octets
// are wiped when `plain` goes.
void ServerSession::auth_plain(std::string_view response, std::vector<Output>& out) {
  const PlainResponse plain(response);
  if (plain.error() == PlainResponse::Error::Base64)
    return reply(out, 501, "5.5.2", "Cannot decode response");
  if (plain.error() != PlainResponse::Error::None)
    return reply(out, 501, "5.5.2", "Invalid PLAIN response");
  AuthRequest r;
  r.mechanism = "PLAIN";
  r.authzid = plain.authzid();
  r.user = plain.authcid();
  r.password = plain.password();
  auth_finish(r, out);
}

void ServerSession::auth_finish(const AuthRequest& request, std::vector<Output>& out) {
  AuthOutcome outcome;
  try {
    outcome = handler_.on_auth(request);
  } catch (...) {
    outcome = AuthOutcome::TempFail;
  }
  // RFC 4616 §2: the authorization identity when given (the handler decides
  // whether the user may act for it).
  const std::string_view identity = request.authzid.empty() ? request.user : request.authzid;
  if (outcome == AuthOutcome::Pending) {
    auth_identity_.assign(identity);
    pause_ = Pause::Auth;
    return;
  }
  auth_result(outcome, identity, out);
}

void ServerSession::resume_auth(AuthOutcome outcome, std::vector<Output>& out) {
  if (pause_ != Pause::Auth) return;
  pause_ = Pause::None;
  std::string identity;
  identity.swap(auth_identity_);
  auth_result(outcome, identity, out);
  release_held(out);
}

void ServerSession::auth_result(AuthOutcome outcome, std::string_view identity,
                                std::vector<Output>& out) {
  switch (outcome) {
    case AuthOutcome::Ok:
      env_.auth_user.assign(identity);
      return reply(out, 235, "2.7.0", "Authentication successful");
    case AuthOutcome::Pending:  // not a second time: as if the check failed
    case AuthOutcome::TempFail:
      return reply(out, 454, "4.7.0", "Temporary authentication failure");
    case AuthOutcome::TooWeak:
      return reply(out, 534, "5.7.9", "Authentication mechanism is too weak");
    case AuthOutcome::BadCredentials: break;
  }
  ++auth_failures_;
  if (cfg_.max_auth_failures > 0 && auth_failures_ >= cfg_.max_auth_failures) {
    emit(out, Reply(535, "5.7.8", "Authentication credentials invalid"),
         cfg_.auth_failure_delay_ms, false, false, false);
    return close_with(out, Reply(421, "4.7.0", hostname_text("Too many failed logins, closing connection")));
  }
  emit(out, Reply(535, "5.7.8", "Authentication credentials invalid"), cfg_.auth_failure_delay_ms);
}

}  // namespace mailroom::smtp
