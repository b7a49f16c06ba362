// A blocking IMAP client: imap::ClientSession (the protocol, no I/O) driven
// over a ClientConnection. Commands queue at once and are pipelined; wait()
// pumps until one command's completion is in. No Asio in this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "mailroom/imap/client_session.hpp"
#include "mailroom/net/client_connection.hpp"
#include "mailroom/net/tls_mode.hpp"

namespace mailroom::net {

class ImapSessionError : public std::runtime_error {
 public:
  ImapSessionError(imap::ClientError kind, const std::string& what)
      : std::runtime_error(what), kind(kind) {}
  imap::ClientError kind;
};

struct ImapClientOptions {
  std::string host;
  std::uint16_t port = 143;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  imap::ClientConfig session;
  TlsMode tls = TlsMode::None;   // StartTls: STARTTLS (RFC 9051 §6.2.1)
  TlsClientOptions tls_options;  // server_name defaults to host
  // Passwords outside TLS: unset = only to a peer on this host.
  std::optional<bool> allow_plaintext_auth;
};

class ImapClient {
 public:
  explicit ImapClient(ImapClientOptions options);

  // Connects and reads the greeting, asks CAPABILITY when the greeting did
  // not list them, and with TlsMode::StartTls says STARTTLS (which the
  // server must offer) and asks CAPABILITY again inside TLS. With Implicit
  // the handshake comes first (RFC 8314). Throws TlsError/CertificateError
  // and ImapSessionError; a BYE greeting is returned (status Bye).
  imap::Completion connect();
  imap::ClientSession& session() { return session_; }
  const imap::ClientSession& session() const { return session_; }
  // Pumps until the completion of command `id` has arrived.
  imap::Completion wait(std::uint64_t id);
  // UID FETCH `items` for `uids`, `batch` UIDs a command, all queued at once
  // (the session keeps up to max_in_flight of them on the wire); the ids in
  // order, for wait().
  std::vector<std::uint64_t> queue_uid_fetch(const std::vector<std::uint32_t>& uids,
                                             const std::string& items, std::size_t batch);
  // IDLE (RFC 2177): start waits for the server's "+" (or a refusal, whose
  // completion it returns); next waits up to `timeout` for what the server
  // says meanwhile (empty when nothing came); stop sends DONE and returns the
  // completion (with what came after DONE in its untagged list).
  std::optional<imap::Completion> idle_start();
  std::vector<imap::Untagged> idle_next(std::chrono::milliseconds timeout);
  imap::Completion idle_stop();
  // COMPRESS DEFLATE (RFC 4978) and its completion; on OK every byte both
  // ways goes through a DeflateStream from the octet after the OK (above
  // TLS, §4). NO [COMPRESSIONACTIVE] when it already is (RFC 5530).
  imap::Completion compress();
  bool compressing() const { return connection_.codec_active(); }
  void close();
  bool connected() const { return connection_.is_open() && !session_.closed(); }
  const ClientConnection& connection() const { return connection_; }

 private:
  void pump();
  void start_compression();
  void handshake();
  [[noreturn]] void session_failed();

  ImapClientOptions options_;
  imap::ClientSession session_;
  ClientConnection connection_;
  std::map<std::uint64_t, imap::Completion> arrived_;
  std::uint64_t idle_id_ = 0;
};

}  // namespace mailroom::net
