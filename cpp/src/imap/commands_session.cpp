// The commands of any state and of the not-authenticated state: CAPABILITY,
// STARTTLS, LOGIN, AUTHENTICATE (PLAIN, LOGIN; SASL-IR), ID, ENABLE, and IDLE.
#include <algorithm>

#include "mailroom/imap/arguments.hpp"
#include "mailroom/imap/server_session.hpp"
#include "mailroom/mime/codecs.hpp"
#include "mailroom/sasl.hpp"

namespace mailroom::imap {

void ServerSession::cmd_capability(const std::string& tag, Arguments& a,
                                   std::vector<Output>& out) {
  a.end();
  untagged("CAPABILITY " + capabilities());
  tagged(out, tag, "OK", "CAPABILITY completed");
}

void ServerSession::cmd_starttls(const std::string& tag, Arguments& a, std::vector<Output>& out) {
  a.end();
  if (!cfg_.starttls || tls_active_) return tagged(out, tag, "BAD", "STARTTLS is not available");
  tagged(out, tag, "OK", "Begin TLS negotiation now");
  out.back().start_tls = true;
  // RFC 9051 §6.2.1: nothing the client sent before the handshake counts
  // (the STARTTLS command injection of CVE-2011-0411).
  tls_pending_ = true;
  line_.clear();
  command_.clear();
}

void ServerSession::cmd_login(const std::string& tag, Arguments& a, std::vector<Output>& out) {
  a.sp();
  const std::string user = a.astring();
  a.sp();
  std::string password = a.astring();
  a.end();
  // RFC 9051 §6.2.3: LOGINDISABLED.
  if (!logins_allowed())
    return tagged(out, tag, "NO",
                  "[PRIVACYREQUIRED] Plaintext authentication is not allowed without TLS");
  login_tag_ = tag;
  try_login("", user, password, out);
  std::fill(password.begin(), password.end(), '\0');
}

void ServerSession::cmd_authenticate(const std::string& tag, Arguments& a,
                                     std::vector<Output>& out) {
  a.sp();
  std::string mech = a.atom();
  for (char& c : mech) c = ascii_upper(c);
  std::optional<std::string> initial;
  if (a.try_sp()) {
    // RFC 4959: base64 or "=" for an empty response. A space with nothing
    // after it (mutt's CRAM-MD5) is taken as no initial response, as
    // Dovecot's imap-login takes it.
    const std::string_view w = a.word();
    if (w.empty() && !a.at_end()) a.fail("Invalid initial response");
    if (!w.empty()) initial = std::string(w);
  }
  a.end();
  const bool cram = mech == "CRAM-MD5" && cfg_.auth_cram_md5;
  if (mech != "PLAIN" && mech != "LOGIN" && !cram)
    return tagged(out, tag, "NO", "Unsupported authentication mechanism");
  if (!logins_allowed())
    return tagged(out, tag, "NO",
                  "[PRIVACYREQUIRED] Plaintext authentication is not allowed without TLS");
  sasl_tag_ = tag;
  login_tag_ = tag;
  if (cram) {
    // RFC 2195 §2: no initial response; the server's challenge comes first.
    if (initial) return tagged(out, tag, "BAD", "CRAM-MD5 takes no initial response");
    try {
      sasl_challenge_ = handler_.cram_md5_challenge();
    } catch (...) {
      sasl_challenge_.clear();
    }
    if (sasl_challenge_.empty())
      return tagged(out, tag, "NO", "[UNAVAILABLE] Temporary authentication failure");
    sasl_ = Sasl::CramMd5;
    Output o;
    o.bytes = "+ " + mime::base64_encode(sasl_challenge_, 0) + "\r\n";
    return emit(out, std::move(o));
  }
  sasl_ = mech == "PLAIN" ? Sasl::Plain : Sasl::LoginUser;
  if (initial) return auth_response(*initial == "=" ? std::string_view{} : *initial, out);
  Output o;
  // RFC 4616 PLAIN has an empty challenge; LOGIN asks "Username:".
  o.bytes = sasl_ == Sasl::Plain ? "+ \r\n" : "+ VXNlcm5hbWU6\r\n";
  emit(out, std::move(o));
}

void ServerSession::raw_line(std::string_view line, std::vector<Output>& out) {
  if (idling_) {
    log_client(line);
    idling_ = false;
    if (!iequals(line, "DONE")) return tagged(out, idle_tag_, "BAD", "Expected DONE");
    sync(true);
    return tagged(out, idle_tag_, "OK", "IDLE terminated");
  }
  transcript_.add("C: ", "****");
  if (line == "*") {  // RFC 9051 §6.2.2: the client cancels
    sasl_ = Sasl::None;
    return tagged(out, sasl_tag_, "BAD", "Authentication cancelled");
  }
  auth_response(line, out);
}

void ServerSession::auth_response(std::string_view base64, std::vector<Output>& out) {
  bool bad = false;
  std::string decoded = mime::base64_decode(base64, &bad);
  if (bad) {
    sasl_ = Sasl::None;
    return tagged(out, sasl_tag_, "BAD", "Invalid base64 data");
  }
  switch (sasl_) {
    case Sasl::Plain: {
      sasl_ = Sasl::None;
      // RFC 4616: authzid NUL authcid NUL passwd.
      const std::size_t a = decoded.find('\0');
      const std::size_t b = a == std::string::npos ? a : decoded.find('\0', a + 1);
      if (b == std::string::npos || decoded.find('\0', b + 1) != std::string::npos)
        return tagged(out, sasl_tag_, "BAD", "Invalid PLAIN response");
      try_login(std::string_view(decoded).substr(0, a),
                std::string_view(decoded).substr(a + 1, b - a - 1),
                std::string_view(decoded).substr(b + 1), out);
      break;
    }
    case Sasl::LoginUser: {
      sasl_user_ = decoded;
      sasl_ = Sasl::LoginPassword;
      Output o;
      o.bytes = "+ UGFzc3dvcmQ6\r\n";  // "Password:"
      emit(out, std::move(o));
      break;
    }
    case Sasl::LoginPassword: {
      sasl_ = Sasl::None;
      const std::string user = std::move(sasl_user_);
      sasl_user_.clear();
      try_login("", user, decoded, out);
      break;
    }
    case Sasl::CramMd5: {
      sasl_ = Sasl::None;
      // "user SP digest" (RFC 2195 §2); the user name may hold spaces.
      const std::size_t sp = decoded.rfind(' ');
      if (sp == std::string::npos || sp == 0 ||
          !cram_md5_response_digest(std::string_view(decoded).substr(sp + 1)))
        return tagged(out, sasl_tag_, "BAD", "Invalid CRAM-MD5 response");
      LoginResult r;
      try {
        r = handler_.login_cram_md5(std::string_view(decoded).substr(0, sp), sasl_challenge_,
                                    std::string_view(decoded).substr(sp + 1));
      } catch (...) {
        r = LoginResult::temp_fail();
      }
      if (r.kind == LoginResult::Pending) r = LoginResult::temp_fail();
      finish_login(std::move(r), out);
      break;
    }
    case Sasl::None: break;
  }
  std::fill(decoded.begin(), decoded.end(), '\0');
}

void ServerSession::try_login(std::string_view authzid, std::string_view user,
                              std::string_view password, std::vector<Output>& out) {
  LoginResult r;
  try {
    r = handler_.login(authzid, user, password);
  } catch (...) {
    r = LoginResult::temp_fail();
  }
  if (r.kind == LoginResult::Pending) {
    paused_ = true;
    return;
  }
  finish_login(std::move(r), out);
}

void ServerSession::resume_login(LoginResult result, std::vector<Output>& out) {
  if (!paused_) return;
  paused_ = false;
  if (result.kind == LoginResult::Pending) result = LoginResult::temp_fail();
  finish_login(std::move(result), out);
  std::string held = std::move(held_);
  held_.clear();
  if (!held.empty()) feed(held, out);
}

void ServerSession::finish_login(LoginResult r, std::vector<Output>& out) {
  switch (r.kind) {
    case LoginResult::Ok:
      account_ = std::move(r.account);
      state_ = State::Authenticated;
      return tagged(out, login_tag_, "OK", "[CAPABILITY " + capabilities() + "] Logged in");
    case LoginResult::TempFail:
    case LoginResult::Pending:
      return tagged(out, login_tag_, "NO", "[UNAVAILABLE] Temporary authentication failure");
    case LoginResult::BadCredentials: break;
  }
  ++auth_failures_;
  tagged(out, login_tag_, "NO", "[AUTHENTICATIONFAILED] Authentication failed",
         cfg_.auth_failure_delay_ms);
  if (cfg_.max_auth_failures > 0 && auth_failures_ >= cfg_.max_auth_failures)
    bye(out, "Too many authentication failures");
}

void ServerSession::cmd_id(const std::string& tag, Arguments& a, std::vector<Output>& out) {
  // RFC 2971: ID ("name" "value" ...) or ID NIL; at most 30 pairs.
  a.sp();
  if (!a.take_word("NIL")) {
    a.expect('(');
    int pairs = 0;
    if (!a.take(')')) {
      while (true) {
        a.string();
        a.sp();
        a.nstring();
        if (++pairs > 30) a.fail("Too many ID fields");
        if (a.take(')')) break;
        a.sp();
      }
    }
  }
  a.end();
  untagged("ID (\"name\" \"mailroom\" \"vendor\" \"mailroom\")");
  tagged(out, tag, "OK", "ID completed");
}

void ServerSession::cmd_enable(const std::string& tag, Arguments& a, std::vector<Output>& out) {
  // RFC 5161 §3.1: what this server does not know is ignored; ENABLED
  // lists what this command turned on.
  a.sp();
  std::vector<std::string> names{a.atom()};
  while (a.try_sp()) names.push_back(a.atom());
  a.end();
  std::string line = "ENABLED";
  for (const auto& n : names) {
    const std::string on = enable(n);
    if (!on.empty()) line += " " + on;
  }
  untagged(line);
  tagged(out, tag, "OK", "ENABLE completed");
}

void ServerSession::cmd_idle(const std::string& tag, Arguments& a, std::vector<Output>& out) {
  a.end();
  idling_ = true;
  idle_tag_ = tag;
  sync(state_ == State::Selected);
  pending_ += "+ idling\r\n";
  flush(out);
}

}  // namespace mailroom::imap
