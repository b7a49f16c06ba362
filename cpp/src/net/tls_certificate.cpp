#include "mailroom/net/tls_certificate.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace mailroom::net {

namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Free>;

[[noreturn]] void fail(const char* what) {
  char buf[256] = "unknown error";
  if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  throw std::runtime_error(std::string("cannot make the TLS certificate: ") + what + ": " + buf);
}

void check(int ok, const char* what) {
  if (ok != 1) fail(what);
}

Owned<EVP_PKEY> new_key() {
  Owned<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) fail("key generation");
  return key;
}

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext) fail("certificate extension");
  check(X509_add_ext(cert, ext.get(), -1), "adding an extension");
}

Owned<X509> new_certificate(const std::string& cn, EVP_PKEY* key, int days) {
  Owned<X509> cert(X509_new());
  if (!cert) fail("X509_new");
  check(X509_set_version(cert.get(), 2), "version");  // v3
  unsigned char serial[16];
  check(RAND_bytes(serial, sizeof serial), "serial number");
  serial[0] &= 0x7f;  // positive (RFC 5280 §4.1.2.2)
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()))) {
    BN_free(bn);
    fail("serial number");
  }
  BN_free(bn);
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * days))
    fail("validity");
  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>("mailroom"), -1, -1, 0),
        "subject");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0),
        "subject");
  check(X509_set_pubkey(cert.get(), key), "public key");
  return cert;
}

std::string pem_of(X509* cert) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("PEM encoding");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string pem_of(EVP_PKEY* key) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    fail("PEM encoding");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

CertificateBundle make_throwaway_certificate(const std::vector<std::string>& names, int days) {
  if (names.empty()) throw std::invalid_argument("a certificate needs at least one name");
  auto ca_key = new_key();
  unsigned char tag[4];
  check(RAND_bytes(tag, sizeof tag), "random");
  char hex[9];
  std::snprintf(hex, sizeof hex, "%02x%02x%02x%02x", tag[0], tag[1], tag[2], tag[3]);
  auto ca = new_certificate(std::string("mailroom throwaway CA ") + hex, ca_key.get(), days);
  check(X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get())), "issuer");
  // RFC 5280 §4.2.1: a CA has basicConstraints CA:TRUE (critical), keyCertSign
  // and a subject key identifier its certificates point to.
  add_ext(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_ext(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  add_ext(ca.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(ca.get(), ca_key.get(), EVP_sha256()) <= 0) fail("signing the CA");

  auto key = new_key();
  auto cert = new_certificate(names.front(), key.get(), days);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get())), "issuer");
  std::string san;
  for (const auto& n : names) {
    if (n.empty()) continue;
    if (!san.empty()) san += ",";
    san += (is_ip(n) ? "IP:" : "DNS:") + n;
  }
  add_ext(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  add_ext(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  add_ext(cert.get(), ca.get(), NID_subject_alt_name, san);
  add_ext(cert.get(), ca.get(), NID_subject_key_identifier, "hash");
  add_ext(cert.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) <= 0) fail("signing the certificate");

  CertificateBundle b;
  b.ca_pem = pem_of(ca.get());
  b.certificate_pem = pem_of(cert.get()) + b.ca_pem;
  b.key_pem = pem_of(key.get());
  return b;
}

}  // namespace mailroom::net
