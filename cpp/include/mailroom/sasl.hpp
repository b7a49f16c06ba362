// Shared pieces of SASL mechanisms (RFC 4422) used by the servers and clients.
#pragma once

#include <string>
#include <string_view>

namespace mailroom {

// CRAM-MD5 (RFC 2195 §2): HMAC-MD5 of the challenge keyed with the shared
// secret, as 32 lower-case hex digits. Empty when MD5 is unavailable (a
// FIPS-only provider).
std::string cram_md5_digest(std::string_view challenge, std::string_view secret);

// Whether `s` is the digest of a CRAM-MD5 response: 32 hex digits
// (RFC 2195 §2; either case accepted).
bool cram_md5_response_digest(std::string_view s);

// Compares two secrets in time that depends only on the length of `given`.
bool same_secret(std::string_view given, std::string_view expected);

// An AUTH PLAIN response (RFC 4616 §2: [authzid] NUL authcid NUL passwd), as
// SMTP (RFC 4954) and POP3 (RFC 5034) servers receive it: base64, "=" for an
// empty response. The decoded octets (the password among them) are wiped when
// it goes; it is neither copied nor moved.
class PlainResponse {
 public:
  enum class Error { None, Base64, Syntax };
  explicit PlainResponse(std::string_view base64);
  ~PlainResponse();
  PlainResponse(const PlainResponse&) = delete;
  PlainResponse& operator=(const PlainResponse&) = delete;

  Error error() const { return error_; }
  std::string_view authzid() const { return authzid_; }  // "" when not given
  std::string_view authcid() const { return authcid_; }
  std::string_view password() const { return password_; }
  // Whom the session logs in as: the authorization identity when given, else
  // the authentication identity.
  std::string_view identity() const { return authzid_.empty() ? authcid_ : authzid_; }

 private:
  std::string decoded_;
  std::string_view authzid_, authcid_, password_;
  Error error_ = Error::None;
};

// RFC 4616 §2: with no authorization policy a client may act only for itself:
// no authzid, or the authcid's own address (the domain compared without case,
// as the store names accounts).
bool acts_for_itself(std::string_view authzid, std::string_view authcid);

}  // namespace mailroom
