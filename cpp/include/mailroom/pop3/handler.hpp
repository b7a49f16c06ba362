// What the POP3 session asks the rest of the server: is this login good, and
// which maildrop does it open.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "mailroom/sasl.hpp"
#include "mailroom/pop3/maildrop.hpp"

namespace mailroom::pop3 {

// The answer to a login.
//  Ok: TRANSACTION state on `maildrop` (a missing maildrop is a TempFail).
//  BadCredentials: -ERR [AUTH] after Config::auth_failure_delay_ms; counts
//                  towards Config::max_auth_failures.
//  InUse: -ERR [IN-USE] (RFC 2449 §8.1.1): another session holds the maildrop.
//  TempFail: -ERR [SYS/TEMP] (RFC 3206 §4), e.g. the store is unreachable.
//  PermFail: -ERR [SYS/PERM] (RFC 3206 §4), e.g. the account is disabled.
// `message` replaces the default text after the response code.
//  Pending: answered later, through ServerSession::resume_login() (a slow
//           password check); the session is paused() meanwhile.
struct AuthResult {
  enum Kind { Ok, BadCredentials, InUse, TempFail, PermFail, Pending } kind = BadCredentials;
  std::shared_ptr<Maildrop> maildrop;
  std::string message;

  static AuthResult ok(std::shared_ptr<Maildrop> m) { return {Ok, std::move(m), {}}; }
  static AuthResult bad_credentials() { return {}; }
  static AuthResult in_use() { return {InUse, nullptr, {}}; }
  static AuthResult temp_fail(std::string text = {}) { return {TempFail, nullptr, std::move(text)}; }
  static AuthResult pending() { return {Pending, nullptr, {}}; }
};

// Hooks called synchronously from ServerSession::feed(). A hook that throws is
// answered -ERR [SYS/TEMP] (not an authentication failure).
class Handler {
 public:
  virtual ~Handler() = default;
  // USER/PASS and AUTH PLAIN: check the password and open the maildrop.
  virtual AuthResult login(std::string_view user, std::string_view password) = 0;
  // AUTH PLAIN with an authorization identity (RFC 4616): log in as `authzid`
  // with the credentials of `user`. The default allows only an empty authzid
  // or `user`'s own address (acts_for_itself, as SMTP AUTH).
  virtual AuthResult login_as(std::string_view authzid, std::string_view user,
                              std::string_view password) {
    if (!acts_for_itself(authzid, user)) return AuthResult::bad_credentials();
    return login(user, password);
  }
  // APOP (only when Config::apop): `digest` is 32 lower-case hex digits,
  // `timestamp` the one in the greeting. Look up the user's shared secret and
  // compare with apop_digest_matches() (mailroom/pop3/apop.hpp).
  virtual AuthResult apop(std::string_view /*user*/, std::string_view /*digest*/,
                          std::string_view /*timestamp*/) {
    return AuthResult::bad_credentials();
  }
};

}  // namespace mailroom::pop3
