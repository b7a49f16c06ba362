#include "mailroom/net/imap_client.hpp"

#include <algorithm>
#include <system_error>

#include "mailroom/deflate_stream.hpp"
#include "mailroom/imap/sequence_set.hpp"
#include "mailroom/net/deflate_codec.hpp"

namespace mailroom::net {

ImapClient::ImapClient(ImapClientOptions options)
    : options_(std::move(options)), session_(options_.session) {}

void ImapClient::handshake() {
  connection_.start_tls(options_.tls_options, options_.connect_timeout);
  std::string description = connection_.tls_version();
  description.append(" ").append(connection_.tls_cipher());
  session_.tls_established(description);
}

imap::Completion ImapClient::connect() {
  connection_.connect(options_.host, options_.port, options_.connect_timeout);
  if (options_.tls == TlsMode::Implicit) handshake();  // RFC 8314 §3
  session_.set_allow_plaintext_auth(
      options_.allow_plaintext_auth.value_or(connection_.peer_is_loopback()));
  imap::Completion greeting = wait(0);
  if (greeting.status == imap::Status::Bye) return greeting;
  if (session_.capabilities().empty()) wait(session_.command("CAPABILITY"));
  if (options_.tls != TlsMode::StartTls) return greeting;
  if (!session_.has_capability("STARTTLS")) {
    connection_.close();
    throw TlsError("the IMAP server does not offer STARTTLS");
  }
  imap::Completion r = wait(session_.starttls());
  if (r.status != imap::Status::Ok) {
    connection_.close();
    throw TlsError("STARTTLS refused: " + std::string(imap::to_string(r.status)) + " " + r.text);
  }
  handshake();
  wait(session_.command("CAPABILITY"));  // RFC 9051 §6.2.1: ask again inside TLS
  return greeting;
}

void ImapClient::pump() {
  try {
    net::pump(connection_, session_, options_.session.response_timeout);
  } catch (const DeflateError& e) {
    session_.on_stream_error(e.what());
  }
  if (session_.compression_due()) start_compression();
}

// RFC 4978 §4: the codec goes under the session before anything more is
// written, and what came after the OK in the same read is inflated first.
void ImapClient::start_compression() {
  auto codec = deflate_codec();
  connection_.set_codec(codec);
  const std::string after_ok = session_.compression_started();
  if (after_ok.empty()) return;
  try {
    codec->received(after_ok);
    std::string text;
    while (codec->decoded(text, ClientConnection::kMaxDecoded) > 0) {
      session_.feed(text);
      text.clear();
    }
  } catch (const DeflateError& e) {
    session_.on_stream_error(e.what());
  }
}

imap::Completion ImapClient::compress() { return wait(session_.compress()); }

void ImapClient::session_failed() {
  connection_.close();
  throw ImapSessionError(session_.error(),
                         session_.failed() ? session_.error_text() : "the IMAP session is closed");
}

imap::Completion ImapClient::wait(std::uint64_t id) {
  for (;;) {
    while (auto c = session_.next_completion()) arrived_.emplace(c->id, std::move(*c));
    if (auto it = arrived_.find(id); it != arrived_.end()) {
      imap::Completion c = std::move(it->second);
      arrived_.erase(it);
      return c;
    }
    if (session_.failed() || session_.closed()) session_failed();
    if (session_.in_flight() == 0)
      throw std::logic_error("wait(): no command " + std::to_string(id) + " in flight");
    // Another command waits behind an IDLE: end it (RFC 2177 §3, DONE), or
    // nothing would ever be written or awaited.
    if (session_.idling()) session_.idle_done();
    pump();
  }
}

std::vector<std::uint64_t> ImapClient::queue_uid_fetch(const std::vector<std::uint32_t>& uids,
                                                       const std::string& items,
                                                       std::size_t batch) {
  batch = std::max<std::size_t>(batch, 1);
  std::vector<std::uint64_t> ids;
  for (std::size_t i = 0; i < uids.size(); i += batch) {
    std::vector<std::uint32_t> part(uids.begin() + static_cast<std::ptrdiff_t>(i),
                                    uids.begin() + static_cast<std::ptrdiff_t>(
                                                       std::min(uids.size(), i + batch)));
    std::sort(part.begin(), part.end());
    ids.push_back(session_.command(
        "UID FETCH", {imap::Arg::raw(imap::compact_set(part)), imap::Arg::raw(items)}));
  }
  return ids;
}

std::optional<imap::Completion> ImapClient::idle_start() {
  idle_id_ = session_.idle();
  for (;;) {
    while (auto c = session_.next_completion()) arrived_.emplace(c->id, std::move(*c));
    if (auto it = arrived_.find(idle_id_); it != arrived_.end()) {
      imap::Completion c = std::move(it->second);
      arrived_.erase(it);
      idle_id_ = 0;
      return c;  // refused (or over before it began)
    }
    if (session_.idling()) return std::nullopt;
    if (session_.failed() || session_.closed()) session_failed();
    pump();
  }
}

std::vector<imap::Untagged> ImapClient::idle_next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<imap::Untagged> out;
  for (;;) {
    while (auto u = session_.next_unsolicited()) out.push_back(std::move(*u));
    if (!out.empty()) return out;
    if (session_.failed() || session_.closed()) session_failed();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return out;
    std::string pending = session_.take_output();
    if (!pending.empty()) connection_.write(pending, options_.session.response_timeout);
    std::string_view got;
    try {
      got = connection_.read_view(left);
    } catch (const std::system_error& e) {
      if (e.code() == std::errc::timed_out) return out;
      session_.on_eof();
      continue;
    } catch (const DeflateError& e) {
      session_.on_stream_error(e.what());
      continue;
    }
    if (got.empty())
      session_.on_eof();
    else
      session_.feed(got);
  }
}

imap::Completion ImapClient::idle_stop() {
  if (idle_id_ == 0) throw std::logic_error("idle_stop(): not idling");
  session_.idle_done();
  const std::uint64_t id = std::exchange(idle_id_, 0);
  imap::Completion c = wait(id);
  while (auto u = session_.next_unsolicited()) c.untagged.push_back(std::move(*u));
  return c;
}

void ImapClient::close() { connection_.close(); }

}  // namespace mailroom::net
