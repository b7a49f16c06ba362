// A client's TCP connection with a deadline on every operation, for the
// protocol clients (SMTP, POP3). Each connection has its own io_context, run
// on the calling thread: no shared static context, no thread of its own.
// No Asio in this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "mailroom/net/session.hpp"

namespace mailroom::net {

// How a client checks the server in a TLS handshake.
struct TlsClientOptions {
  // The name the certificate must carry (a DNS subjectAltName, or an IP one
  // when this is an IP literal; RFC 6125); also sent as SNI when a name.
  // Empty: the host given to connect().
  std::string server_name;
  bool verify = true;  // false: no chain or name check (testing only)
  std::string cafile;  // PEM file of trusted CAs; empty: the system store
  std::string ca_pem;  // or the trusted CAs as PEM text
};

// The TLS handshake failed, or TLS was asked for and the server did not
// offer it.
class TlsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The server's certificate did not verify; `reason` is OpenSSL's
// (X509_verify_cert_error_string: "certificate has expired", "hostname
// mismatch", ...).
class CertificateError : public TlsError {
 public:
  CertificateError(const std::string& what, std::string reason)
      : TlsError(what), reason(std::move(reason)) {}
  std::string reason;
};

// Connecting failed before any byte was exchanged: the name does not resolve
// (`code` is the resolver's EAI_* value, as getaddrinfo(3) gives it), the peer
// refused or cannot be reached (`code` is the errno), or the connect did not
// finish within its timeout (`code` is ETIMEDOUT). what() names host and port.
class ConnectError : public std::system_error {
 public:
  enum class Stage { Resolve, Connect, Timeout };
  ConnectError(Stage stage, std::string host, std::uint16_t port, int code, std::string detail,
               const std::string& what)
      : std::system_error(code, std::generic_category(), what),
        stage(stage), host(std::move(host)), port(port), code_value(code),
        detail(std::move(detail)) {}
  Stage stage;
  std::string host;
  std::uint16_t port;
  int code_value;
  std::string detail;  // the system's words: "Name or service not known"
};

class ClientConnection {
 public:
  ClientConnection();
  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // Resolves `host` and connects; throws ConnectError (does not resolve,
  // refused, unreachable, timed out) with "host:port" in the text.
  void connect(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);
  // Writes all of `data`.
  void write(std::string_view data, std::chrono::milliseconds timeout);
  // Appends what arrives (at least one byte) to `buffer`; returns the number
  // of bytes read, 0 when the peer closed the connection.
  std::size_t read_some(std::string& buffer, std::chrono::milliseconds timeout);
  // The same without a copy: a view of what arrived, valid until the next
  // call; empty when the peer closed the connection.
  std::string_view read_view(std::chrono::milliseconds timeout);
  // The TLS handshake over the connected socket (RFC 8446/5246 client side:
  // TLS 1.2 or later), bounded by `timeout`; afterwards every read and write
  // goes through TLS. Throws CertificateError when verification fails,
  // TlsError for any other handshake failure (the connection is closed).
  void start_tls(const TlsClientOptions& options, std::chrono::milliseconds timeout);
  bool tls_active() const;
  // From now on every byte both ways goes through `codec`, above TLS (RFC
  // 4978 §4: TLS first, then compression): write() encodes and flushes,
  // read_view() gives what the codec decodes, at most kMaxDecoded octets a
  // call (more stays in the codec for the next call). A codec's decoding
  // error propagates (DeflateError).
  void set_codec(std::shared_ptr<StreamCodec> codec);
  bool codec_active() const;
  static constexpr std::size_t kMaxDecoded = 256 * 1024;
  std::string tls_version() const;  // "TLSv1.3"; empty without TLS
  std::string tls_cipher() const;
  std::string peer_certificate_der() const;  // the server's certificate, DER
  // Inside TLS, sends close_notify first (RFC 8446 §6.1), waiting at most a
  // second for the server's.
  void close();
  bool is_open() const;
  // The peer is on this host (127.0.0.0/8, ::1, ::ffff:127.x).
  bool peer_is_loopback() const;
  std::string peer() const;   // "ip:port"
  std::string local() const;  // "ip:port"

 private:
  struct Impl;
  void write_wire(std::string_view data, std::chrono::milliseconds timeout);
  std::string_view read_wire(std::chrono::milliseconds timeout);
  std::unique_ptr<Impl> impl_;
};

// One step of a protocol client: write what the session has to say, then read
// once with the deadline the session's current wait calls for, and hand the
// bytes (or the timeout, or the end of the connection) to the session.
// `Session` is smtp::ClientSession or pop3::ClientSession.
template <class Session>
void pump(ClientConnection& connection, Session& session, std::chrono::milliseconds write_timeout) {
  // A failed write or read ends the session: a timeout (which the session
  // names, with the seconds waited) or the end of the connection.
  const auto failed = [&](const std::system_error& e, std::chrono::milliseconds waited,
                          bool writing) {
    if (e.code() == std::errc::timed_out)
      session.on_timeout(waited, writing);
    else
      session.on_eof();
  };
  std::string out = session.take_output();
  if (!out.empty()) {
    try {
      connection.write(out, write_timeout);
    } catch (const std::system_error& e) {
      return failed(e, write_timeout, true);
    }
  }
  auto timeout = session.current_timeout();
  if (timeout.count() == 0 || session.closed()) return;
  std::string_view got;
  try {
    got = connection.read_view(timeout);
  } catch (const std::system_error& e) {
    return failed(e, timeout, false);
  }
  if (got.empty())
    session.on_eof();
  else
    session.feed(got);
}

}  // namespace mailroom::net
