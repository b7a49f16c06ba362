// ClientSession: STARTTLS (RFC 3207) and AUTH (RFC 4954) with the PLAIN
// (RFC 4616), LOGIN and CRAM-MD5 (RFC 2195) mechanisms.
#include <array>
#include <string_view>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/sasl.hpp"
#include "mailroom/smtp/client_session.hpp"

namespace mailroom::smtp {

namespace {

// Strongest first: CRAM-MD5 never shows the secret, even outside TLS.
constexpr std::array<std::string_view, 3> kMechanisms{"CRAM-MD5", "PLAIN", "LOGIN"};

std::string offered_list(const Extensions& e) {
  std::string s;
  for (const auto& m : e.auth) s.append(s.empty() ? "" : " ").append(m);
  return s.empty() ? std::string("none") : s;
}

}  // namespace

bool known_auth_mechanism(std::string_view name) {
  for (auto m : kMechanisms)
    if (iequals(m, name)) return true;
  return false;
}

// After a successful EHLO/HELO: STARTTLS first when asked for, then AUTH,
// then ready.
void ClientSession::after_ehlo() {
  const bool opportunistic = !cfg_.starttls && cfg_.starttls_if_offered && ext_.starttls &&
                             !starttls_declined_;
  if ((cfg_.starttls || opportunistic) && !tls_active_) {
    if (!ext_.starttls) {
      refuse_session(ClientError::Tls, "server does not offer STARTTLS", Reply());
      return;
    }
    state_ = ClientState::StartTls;
    send("STARTTLS", Await::StartTls);
    return;
  }
  if (!cfg_.auth_user.empty() && !authenticated_) {
    begin_auth();
    return;
  }
  go_idle();
}

void ClientSession::on_starttls_reply(const Reply& r) {
  if (r.code != 220) {
    if (!cfg_.starttls) {
      // Opportunistic: RFC 3207 §4 lets the client go on without TLS.
      starttls_declined_ = true;
      after_ehlo();
      return;
    }
    refuse_session(ClientError::Tls, reply_summary("STARTTLS refused", r), r);
    return;
  }
  // RFC 3207 §4.2: whatever follows the 220 in plain text was not said by
  // the server we are about to authenticate; feed() drops it all.
  handshake_due_ = true;
  line_.clear();
  in_reply_ = false;
}

void ClientSession::tls_established(std::string_view description) {
  tls_active_ = true;
  transcript_.tls_established(description);
  if (!handshake_due_) return;  // implicit TLS: the greeting comes next
  handshake_due_ = false;
  line_.clear();
  in_reply_ = false;
  // RFC 3207 §4.2: forget what the server said before TLS, and ask again.
  ext_ = Extensions();
  state_ = ClientState::Ehlo;
  send("EHLO " + cfg_.helo_name, Await::Ehlo);
}

void ClientSession::begin_auth() {
  if (!tls_active_ && !cfg_.allow_plaintext_auth) {
    refuse_session(ClientError::Auth,
                   "refusing to send credentials over a connection without TLS "
                   "(ask for TLS, or allow plaintext authentication)",
                   Reply());
    return;
  }
  const auto offered = [&](std::string_view m) {
    for (const auto& o : ext_.auth)
      if (o == m) return true;
    return false;
  };
  std::string mech = cfg_.auth_mechanism;
  if (ext_.auth.empty()) {
    refuse_session(ClientError::Auth, "server does not offer AUTH", Reply());
    return;
  }
  if (mech.empty()) {
    for (auto m : kMechanisms)
      if (offered(m)) {
        mech = m;
        break;
      }
    if (mech.empty()) {
      refuse_session(ClientError::Auth,
                     "server offers no AUTH mechanism this client knows (it offers: " +
                         offered_list(ext_) + ")",
                     Reply());
      return;
    }
  } else if (!offered(mech)) {
    refuse_session(ClientError::Auth,
                   "server does not offer AUTH " + mech + " (it offers: " + offered_list(ext_) + ")",
                   Reply());
    return;
  }
  auth_mechanism_ = mech;
  state_ = ClientState::Auth;
  if (mech == "PLAIN") {
    // RFC 4954 §4 initial response; RFC 4616 §2: authzid NUL authcid NUL passwd.
    std::string creds;
    creds.push_back('\0');
    creds.append(cfg_.auth_user);
    creds.push_back('\0');
    creds.append(cfg_.auth_password);
    auth_step_ = AuthStep::Plain;
    send_hidden("AUTH PLAIN " + mime::base64_encode(creds, 0), "AUTH PLAIN <hidden>");
  } else if (mech == "LOGIN") {
    auth_step_ = AuthStep::LoginUser;
    send("AUTH LOGIN", Await::Auth);
  } else {
    auth_step_ = AuthStep::CramMd5;
    send("AUTH CRAM-MD5", Await::Auth);
  }
}

void ClientSession::send_hidden(std::string_view command, std::string_view log) {
  transcript_.add("C: ", log);
  out_.append(command);
  out_ += "\r\n";
  pending_.push_back({Await::Auth, 0});
}

void ClientSession::on_auth_reply(const Reply& r) {
  if (r.code == 235) {  // RFC 4954 §6: authentication successful
    authenticated_ = true;
    auth_step_ = AuthStep::None;
    go_idle();
    return;
  }
  if (r.code != 334 || auth_step_ == AuthStep::None) {
    // 535 5.7.8 bad credentials, 534 5.7.9 mechanism too weak, 538 5.7.11
    // encryption required, 530 5.7.0 authentication required, 454 4.7.0
    // temporary failure, 501 to a cancelled exchange...
    refuse_session(ClientError::Auth, reply_summary("authentication failed", r), r);
    return;
  }
  const std::string_view challenge = r.lines.empty() ? std::string_view{} : trim(r.lines.front());
  switch (auth_step_) {
    case AuthStep::LoginUser:
      auth_step_ = AuthStep::LoginPassword;
      send_hidden(mime::base64_encode(cfg_.auth_user, 0), "<user name, base64>");
      return;
    case AuthStep::LoginPassword:
      auth_step_ = AuthStep::Cancelled;  // a further challenge is cancelled
      send_hidden(mime::base64_encode(cfg_.auth_password, 0), "<password, base64>");
      return;
    case AuthStep::CramMd5: {
      // RFC 2195 §2: the challenge is base64; the answer is base64 of
      // "user SP hex(HMAC-MD5(secret, challenge))".
      bool bad = false;
      const std::string decoded = mime::base64_decode(challenge, &bad);
      const std::string digest = bad ? std::string() : cram_md5_digest(decoded, cfg_.auth_password);
      if (digest.empty()) break;  // cancel below
      auth_step_ = AuthStep::Cancelled;
      std::string answer = cfg_.auth_user;
      answer.append(" ").append(digest);
      send_hidden(mime::base64_encode(answer, 0), "<user name and digest, base64>");
      return;
    }
    default:
      break;
  }
  // A challenge where none was due (or one we cannot answer): cancel the
  // exchange (RFC 4954 §4); the server's 501 ends the session.
  auth_step_ = AuthStep::None;
  send_hidden("*", "*");
}

}  // namespace mailroom::smtp
