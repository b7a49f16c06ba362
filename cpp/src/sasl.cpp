#include "mailroom/sasl.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/store/message.hpp"

namespace mailroom {

std::string cram_md5_digest(std::string_view challenge, std::string_view secret) {
  unsigned char md[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "MD5", nullptr, secret.data(), secret.size(),
                reinterpret_cast<const unsigned char*>(challenge.data()), challenge.size(), md,
                sizeof md, &len) == nullptr)
    return {};
  static const char hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * len);
  for (std::size_t i = 0; i < len; ++i) {
    s.push_back(hex[md[i] >> 4]);
    s.push_back(hex[md[i] & 15]);
  }
  return s;
}

bool cram_md5_response_digest(std::string_view s) {
  if (s.size() != 32) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

bool same_secret(std::string_view given, std::string_view expected) {
  std::string padded(expected);
  padded.resize(given.size());
  const bool equal = CRYPTO_memcmp(given.data(), padded.data(), given.size()) == 0;
  return equal && given.size() == expected.size();
}

PlainResponse::PlainResponse(std::string_view base64) {
  bool bad = false;
  if (base64 != "=") decoded_ = mime::base64_decode(base64, &bad);
  if (bad) {
    error_ = Error::Base64;
    return;
  }
  // Exactly two NULs, and an authcid between them.
  const std::size_t a = decoded_.find('\0');
  const std::size_t b = a == std::string::npos ? a : decoded_.find('\0', a + 1);
  if (b == std::string::npos || decoded_.find('\0', b + 1) != std::string::npos || b == a + 1) {
    error_ = Error::Syntax;
    return;
  }
  const std::string_view view(decoded_);
  authzid_ = view.substr(0, a);
  authcid_ = view.substr(a + 1, b - a - 1);
  password_ = view.substr(b + 1);
}

PlainResponse::~PlainResponse() { OPENSSL_cleanse(decoded_.data(), decoded_.size()); }

bool acts_for_itself(std::string_view authzid, std::string_view authcid) {
  return authzid.empty() || store::normalize_mailbox(authzid) == store::normalize_mailbox(authcid);
}

}  // namespace mailroom
