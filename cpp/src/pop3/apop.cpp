#include "mailroom/pop3/apop.hpp"

#include <openssl/evp.h>

#include <memory>

namespace mailroom::pop3 {

std::string apop_digest(std::string_view timestamp, std::string_view secret) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                      &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), timestamp.data(), timestamp.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), secret.data(), secret.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), md, &len) != 1)
    return {};  // MD5 unavailable (a FIPS-only provider): no digest matches
  static const char hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    s.push_back(hex[md[i] >> 4]);
    s.push_back(hex[md[i] & 15]);
  }
  return s;
}

bool apop_digest_matches(std::string_view digest, std::string_view timestamp,
                         std::string_view secret) {
  const std::string want = apop_digest(timestamp, secret);
  if (want.empty() || digest.size() != want.size()) return false;
  unsigned diff = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    char c = digest[i];
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c + 32);
    diff |= static_cast<unsigned char>(c ^ want[i]);
  }
  return diff == 0;
}

}  // namespace mailroom::pop3
