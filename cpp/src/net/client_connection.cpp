// ClientConnection: asynchronous operations on a private io_context, each run
// to completion or to its deadline on the calling thread.
#include "mailroom/net/client_connection.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "endpoint_text.hpp"
#include "mailroom/text.hpp"

#include <netdb.h>

#include <cerrno>
#include <optional>
#include <system_error>

namespace mailroom::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// The client's TLS context: TLS 1.2 and later only (RFC 8996), the trusted
// CAs from a file, PEM text or the system store.
std::unique_ptr<ssl::context> make_client_context(const TlsClientOptions& o) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_RENEGOTIATION);
  boost::system::error_code ec;
  if (!o.verify) {
    ctx->set_verify_mode(ssl::verify_none);
    return ctx;
  }
  ctx->set_verify_mode(ssl::verify_peer);
  if (!o.cafile.empty()) {
    ctx->load_verify_file(o.cafile, ec);
    if (ec) throw TlsError("cannot load the CA file " + o.cafile + ": " + ec.message());
  }
  if (!o.ca_pem.empty()) {
    ctx->add_certificate_authority(asio::buffer(o.ca_pem), ec);
    if (ec) throw TlsError("cannot use the CA certificate: " + ec.message());
  }
  if (o.cafile.empty() && o.ca_pem.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) throw TlsError("cannot load the system's trusted CAs: " + ec.message());
  }
  return ctx;
}

bool is_ip_literal(const std::string& name) {
  boost::system::error_code ec;
  asio::ip::make_address(name, ec);
  return !ec;
}

}  // namespace

struct ClientConnection::Impl {
  asio::io_context io;
  tcp::socket socket{io};
  asio::steady_timer timer{io};
  std::string host;
  std::string where;  // for error messages
  std::unique_ptr<ssl::context> tls_context;
  std::unique_ptr<ssl::stream<tcp::socket&>> tls;  // once start_tls() began
  char chunk[256 * 1024];
  std::shared_ptr<StreamCodec> codec;  // set_codec()
  std::string encoded;                 // a write's octets, encoded
  std::string decoded;                 // what read_view() gave, decoded

  // Runs the operation just started on `io` to completion, with a timer that
  // cancels it at the deadline. io.run() blocks in epoll until one of them
  // fires (run_for would poll).
  void run(std::chrono::milliseconds timeout, const std::optional<boost::system::error_code>& done,
           const char* what) {
    bool timed_out = false;
    timer.expires_after(timeout);
    timer.async_wait([&](boost::system::error_code ec) {
      if (ec) return;  // cancelled: the operation finished first
      timed_out = true;
      boost::system::error_code ignored;
      socket.cancel(ignored);
    });
    io.restart();
    io.run();
    if (timed_out || !done)
      throw std::system_error(std::make_error_code(std::errc::timed_out),
                              std::string(what) + " " + where + " timed out after " +
                                  seconds_text(timeout));
  }
};

namespace {

// The resolver's error as getaddrinfo(3) numbers it (Asio maps EAI_NONAME and
// the like onto its netdb codes), so Python can raise a socket.gaierror.
int gai_code(const boost::system::error_code& ec) {
  namespace err = asio::error;
  if (ec == err::host_not_found) return EAI_NONAME;
  if (ec == err::host_not_found_try_again) return EAI_AGAIN;
  if (ec == err::no_recovery) return EAI_FAIL;
#ifdef EAI_NODATA
  if (ec == err::no_data) return EAI_NODATA;
#endif
  if (ec == err::service_not_found) return EAI_SERVICE;
  if (ec.category() == err::get_addrinfo_category()) return ec.value();
  return EAI_FAIL;
}

}  // namespace

ClientConnection::ClientConnection() : impl_(std::make_unique<Impl>()) {}
ClientConnection::~ClientConnection() { close(); }

void ClientConnection::connect(const std::string& host, std::uint16_t port,
                               std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  d.host = host;
  d.where = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  boost::system::error_code ec;
  tcp::resolver resolver(d.io);
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) {
    const int code = gai_code(ec);
    std::string detail = gai_strerror(code);
    throw ConnectError(ConnectError::Stage::Resolve, host, port, code, detail,
                       "cannot resolve the host name '" + host + "' (port " +
                           std::to_string(port) + "): " + detail);
  }
  std::optional<boost::system::error_code> done;
  asio::async_connect(d.socket, endpoints,
                      [&](boost::system::error_code e, const tcp::endpoint&) {
                        done = e;
                        d.timer.cancel();
                      });
  try {
    d.run(timeout, done, "connecting to");
  } catch (const std::system_error&) {
    throw ConnectError(ConnectError::Stage::Timeout, host, port, ETIMEDOUT, "timed out",
                       "timed out after " + seconds_text(timeout) + " connecting to " + d.where);
  }
  if (*done) {
    boost::system::error_code ignored;
    d.socket.close(ignored);
    std::string detail = done->message();
    throw ConnectError(ConnectError::Stage::Connect, host, port, done->value(), detail,
                       "cannot connect to " + d.where + ": " + detail);
  }
  d.socket.set_option(tcp::no_delay(true), ec);
  d.socket.non_blocking(true, ec);  // for the fast paths below
}

void ClientConnection::set_codec(std::shared_ptr<StreamCodec> codec) {
  impl_->codec = std::move(codec);
}

bool ClientConnection::codec_active() const { return impl_->codec != nullptr; }

void ClientConnection::write(std::string_view data, std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  if (!d.codec) return write_wire(data, timeout);
  d.encoded.clear();
  d.codec->encode(data, /*flush=*/true, d.encoded);
  write_wire(d.encoded, timeout);
}

void ClientConnection::write_wire(std::string_view data, std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  // Fast path: write what the socket takes now; wait (with a deadline) only
  // for the rest. Inside TLS every write goes through the stream.
  boost::system::error_code ec;
  while (!data.empty() && !d.tls) {
    std::size_t n = d.socket.write_some(asio::buffer(data.data(), data.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) throw std::system_error(ec.value(), std::system_category(), "cannot write to " + d.where);
    data.remove_prefix(n);
  }
  if (data.empty()) return;
  std::optional<boost::system::error_code> done;
  auto written = [&](boost::system::error_code e, std::size_t) {
    done = e;
    d.timer.cancel();
  };
  if (d.tls)
    asio::async_write(*d.tls, asio::buffer(data.data(), data.size()), written);
  else
    asio::async_write(d.socket, asio::buffer(data.data(), data.size()), written);
  d.run(timeout, done, "writing to");
  if (*done) throw std::system_error(done->value(), std::system_category(), "cannot write to " + d.where);
}

std::size_t ClientConnection::read_some(std::string& buffer, std::chrono::milliseconds timeout) {
  std::string_view got = read_view(timeout);
  buffer.append(got);
  return got.size();
}

std::string_view ClientConnection::read_view(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  if (!d.codec) return read_wire(timeout);
  d.decoded.clear();
  // What an earlier read left in the codec first; then read until the
  // octets decode to something (a read may end inside a DEFLATE block).
  if (d.codec->pending() && d.codec->decoded(d.decoded, kMaxDecoded) > 0) return d.decoded;
  for (;;) {
    const std::string_view wire = read_wire(timeout);
    if (wire.empty()) return {};
    d.codec->received(wire);
    if (d.codec->decoded(d.decoded, kMaxDecoded) > 0) return d.decoded;
  }
}

std::string_view ClientConnection::read_wire(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  // Fast path: the reply is often there already (plain text only: inside
  // TLS, OpenSSL may hold decrypted bytes the socket no longer shows).
  boost::system::error_code ec;
  if (!d.tls) {
    std::size_t got = d.socket.read_some(asio::buffer(d.chunk), ec);
    if (!ec) return std::string_view(d.chunk, got);
    if (ec == asio::error::eof || ec == asio::error::connection_reset) return {};
    if (ec != asio::error::would_block && ec != asio::error::try_again)
      throw std::system_error(ec.value(), std::system_category(), "cannot read from " + d.where);
  }
  std::optional<boost::system::error_code> done;
  std::size_t n = 0;
  auto got = [&](boost::system::error_code e, std::size_t k) {
    done = e;
    n = k;
    d.timer.cancel();
  };
  if (d.tls)
    d.tls->async_read_some(asio::buffer(d.chunk), got);
  else
    d.socket.async_read_some(asio::buffer(d.chunk), got);
  d.run(timeout, done, "reading from");
  // A TLS peer that closes without close_notify (stream_truncated) has
  // still ended the connection.
  if (*done == asio::error::eof || *done == asio::error::connection_reset ||
      *done == ssl::error::stream_truncated)
    return {};
  if (*done) throw std::system_error(done->value(), std::system_category(), "cannot read from " + d.where);
  return std::string_view(d.chunk, n);
}

void ClientConnection::start_tls(const TlsClientOptions& options,
                                 std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  if (d.tls) throw std::logic_error("start_tls(): TLS is already on");
  if (!d.socket.is_open()) throw std::logic_error("start_tls(): not connected");
  const std::string name = options.server_name.empty() ? d.host : options.server_name;
  d.tls_context = make_client_context(options);
  d.tls = std::make_unique<ssl::stream<tcp::socket&>>(d.socket, *d.tls_context);
  SSL* native = d.tls->native_handle();
  const bool ip = is_ip_literal(name);
  if (options.verify) {
    // RFC 6125 via OpenSSL: the name (or address) must be in the
    // certificate's subjectAltName; no partial wildcards.
    X509_VERIFY_PARAM* param = SSL_get0_param(native);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                       : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    if (set != 1) throw TlsError("cannot verify the name " + name);
  }
  // SNI carries names only (RFC 6066 §3).
  if (!ip && !name.empty()) SSL_set_tlsext_host_name(native, name.c_str());
  std::optional<boost::system::error_code> done;
  d.tls->async_handshake(ssl::stream_base::client, [&](boost::system::error_code e) {
    done = e;
    d.timer.cancel();
  });
  // On failure: no close_notify for a handshake that did not finish.
  const auto abandon = [&] {
    d.tls.reset();
    d.tls_context.reset();
    close();
  };
  try {
    d.run(timeout, done, "TLS handshake with");
  } catch (const std::system_error& e) {
    abandon();
    throw TlsError(e.what());
  }
  if (*done) {
    const long verify = SSL_get_verify_result(native);
    std::string message = "TLS handshake with " + d.where + " failed: ";
    abandon();
    if (options.verify && verify != X509_V_OK) {
      std::string reason = X509_verify_cert_error_string(verify);
      message += "certificate verify failed: " + reason;
      if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
        message.append(" (expected ").append(name).append(")");
      throw CertificateError(message, std::move(reason));
    }
    throw TlsError(message + done->message());
  }
}

bool ClientConnection::tls_active() const { return impl_->tls != nullptr && impl_->socket.is_open(); }

std::string ClientConnection::tls_version() const {
  return impl_->tls ? SSL_get_version(impl_->tls->native_handle()) : "";
}

std::string ClientConnection::tls_cipher() const {
  if (!impl_->tls) return {};
  const char* name = SSL_get_cipher_name(impl_->tls->native_handle());
  return name ? name : "";
}

std::string ClientConnection::peer_certificate_der() const {
  if (!impl_->tls) return {};
  X509* cert = SSL_get1_peer_certificate(impl_->tls->native_handle());
  if (cert == nullptr) return {};
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  std::string out;
  if (n > 0) out.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  X509_free(cert);
  return out;
}

void ClientConnection::close() {
  if (!impl_) return;
  auto& d = *impl_;
  boost::system::error_code ignored;
  if (d.tls && d.socket.is_open()) {
    // close_notify, then the peer's (or its end of the connection), briefly.
    std::optional<boost::system::error_code> done;
    d.tls->async_shutdown([&](boost::system::error_code e) {
      done = e;
      d.timer.cancel();
    });
    try {
      d.run(std::chrono::seconds(1), done, "closing TLS with");
    } catch (const std::exception&) {
    }
  }
  if (d.socket.is_open()) {
    d.socket.shutdown(tcp::socket::shutdown_both, ignored);
    d.socket.close(ignored);
  }
}

bool ClientConnection::is_open() const { return impl_->socket.is_open(); }

bool ClientConnection::peer_is_loopback() const {
  boost::system::error_code ec;
  auto addr = impl_->socket.remote_endpoint(ec).address();
  if (ec) return false;
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).is_loopback();
  return addr.is_loopback();
}

std::string ClientConnection::peer() const {
  boost::system::error_code ec;
  auto ep = impl_->socket.remote_endpoint(ec);
  return ec ? std::string() : endpoint_text(ep);
}

std::string ClientConnection::local() const {
  boost::system::error_code ec;
  auto ep = impl_->socket.local_endpoint(ec);
  return ec ? std::string() : endpoint_text(ep);
}

}  // namespace mailroom::net
