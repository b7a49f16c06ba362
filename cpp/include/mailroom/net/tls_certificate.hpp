// Throwaway certificates for test servers: a fresh CA and a server
// certificate it signs, made with the OpenSSL API (no external tool).
#pragma once

#include <string>
#include <vector>

namespace mailroom::net {

struct CertificateBundle {
  std::string ca_pem;           // the CA certificate, for clients to trust
  std::string certificate_pem;  // the server certificate, then the CA (a chain)
  std::string key_pem;          // the server's private key (PKCS#8)
};

// A P-256 CA and a server certificate for `names` (host names become DNS
// subjectAltNames, IP literals IP ones; the first is the subject CN), valid
// from an hour ago for `days` days. Throws std::runtime_error with OpenSSL's
// reason on failure.
CertificateBundle make_throwaway_certificate(const std::vector<std::string>& names, int days = 30);

}  // namespace mailroom::net
