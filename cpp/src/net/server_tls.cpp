// The server's TLS context: TLS 1.2 and 1.3 only (RFC 8996 retired the older
// versions), the certificate chain and key from files or made now.
#include "server_tls.hpp"

#include <stdexcept>

#include "mailroom/net/tls_certificate.hpp"

namespace mailroom::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;

std::shared_ptr<ServerTls> make_server_tls(const ServerTlsSettings& t, std::string& ca_pem,
                                           std::string& certificate_pem) {
  auto tls = std::make_shared<ServerTls>();
  ssl::context& ctx = tls->context;
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::single_dh_use);
  // No renegotiation: a client could otherwise make us redo handshakes.
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  boost::system::error_code ec;
  if (!t.throwaway_names.empty()) {
    auto bundle = make_throwaway_certificate(t.throwaway_names);
    ctx.use_certificate_chain(asio::buffer(bundle.certificate_pem), ec);
    if (!ec) ctx.use_private_key(asio::buffer(bundle.key_pem), ssl::context::pem, ec);
    if (ec) throw std::runtime_error("cannot use the throwaway certificate: " + ec.message());
    ca_pem = std::move(bundle.ca_pem);
    certificate_pem = std::move(bundle.certificate_pem);
    return tls;
  }
  ctx.use_certificate_chain_file(t.cert_file, ec);
  if (ec) throw std::invalid_argument("cannot load the TLS certificate " + t.cert_file + ": " + ec.message());
  ctx.use_private_key_file(t.key_file, ssl::context::pem, ec);
  if (ec) throw std::invalid_argument("cannot load the TLS key " + t.key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1)
    throw std::invalid_argument("the TLS key " + t.key_file + " does not match the certificate " +
                                t.cert_file);
  ca_pem.clear();
  certificate_pem.clear();
  return tls;
}

}  // namespace mailroom::net
