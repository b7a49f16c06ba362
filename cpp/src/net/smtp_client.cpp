#include "mailroom/net/smtp_client.hpp"

#include <deque>
#include <system_error>
#include <utility>

namespace mailroom::net {

namespace {

smtp::ClientConfig with_tls_mode(smtp::ClientConfig c, TlsMode mode) {
  c.starttls = mode == TlsMode::StartTls;
  c.starttls_if_offered = mode == TlsMode::Opportunistic;
  return c;
}

}  // namespace

SmtpClient::SmtpClient(SmtpClientOptions options)
    : options_(std::move(options)), session_(with_tls_mode(options_.session, options_.tls)) {}

// The handshake, bounded by the connect timeout; the session learns of it.
void SmtpClient::handshake() {
  connection_.start_tls(options_.tls_options, options_.session.timeouts.connect);
  std::string description = connection_.tls_version();
  description.append(" ").append(connection_.tls_cipher());
  session_.tls_established(description);
}

void SmtpClient::connect() {
  connection_.connect(options_.host, options_.port, options_.session.timeouts.connect);
  if (options_.tls == TlsMode::Implicit) handshake();  // RFC 8314 §3
  session_.set_allow_plaintext_auth(
      options_.allow_plaintext_auth.value_or(connection_.peer_is_loopback()));
  while (!session_.ready() && !session_.closed()) {
    if (session_.tls_handshake_due()) handshake();  // STARTTLS answered 220
    else pump();
  }
  check_failed();
}

void SmtpClient::check_failed() {
  if (!session_.failed()) return;
  connection_.close();
  throw SmtpSessionError(session_.error(), session_.error_reply(), session_.error_text());
}

void SmtpClient::pump() { net::pump(connection_, session_, options_.session.timeouts.data_block); }

smtp::SendResult SmtpClient::send(const std::string& mail_from, const std::vector<std::string>& rcpts,
                                  std::string content, const smtp::MessageOptions& options) {
  if (!connected()) throw SmtpSessionError(smtp::ClientError::ConnectionLost, {}, "not connected");
  while (session_.results_pending() > 0) session_.next_result();  // stale ones
  const std::uint64_t id = session_.begin_message(mail_from, rcpts, std::move(content), options);
  while (!session_.message_done() && !session_.closed()) pump();
  check_failed();
  smtp::SendResult r;
  while (auto next = session_.next_result())
    if (next->id == id) r = std::move(*next);
  return r;
}

std::vector<smtp::SendResult> SmtpClient::send_many(std::vector<OutgoingMessage>& batch,
                                                    const smtp::MessageOptions& options) {
  if (!connected()) throw SmtpSessionError(smtp::ClientError::ConnectionLost, {}, "not connected");
  while (session_.results_pending() > 0) session_.next_result();
  std::vector<smtp::SendResult> results(batch.size());
  // Results come back in the order begun: the indexes of the messages begun.
  std::deque<std::pair<std::uint64_t, std::size_t>> begun;
  std::size_t next = 0, done = 0;
  const auto collect = [&] {
    while (auto r = session_.next_result()) {
      while (!begun.empty() && begun.front().first < r->id) begun.pop_front();
      if (begun.empty() || begun.front().first != r->id) continue;
      results[begun.front().second] = std::move(*r);
      begun.pop_front();
      ++done;
    }
  };
  while (done < batch.size()) {
    while (next < batch.size() && session_.can_begin_message()) {
      OutgoingMessage& m = batch[next];
      try {
        begun.emplace_back(
            session_.begin_message(m.mail_from, m.rcpts, std::move(m.content), options), next);
      } catch (const std::invalid_argument& e) {  // nothing of it was sent
        results[next].ok = false;
        results[next].error = e.what();
        for (const auto& r : m.rcpts) results[next].rcpts.emplace_back(r, smtp::Reply());
        ++done;
      }
      ++next;
    }
    collect();
    if (done >= batch.size()) break;
    if (session_.closed()) break;
    if (session_.in_flight() == 0 && !session_.can_begin_message())
      throw std::logic_error("send_many(): the session cannot take a message");
    pump();
  }
  collect();
  check_failed();
  return results;
}

void SmtpClient::quit() {
  if (!connection_.is_open()) return;
  try {
    if (!session_.closed()) {
      session_.quit();
      while (!session_.closed()) pump();
    }
  } catch (const std::exception&) {
  }
  connection_.close();
}

void SmtpClient::close() { connection_.close(); }

}  // namespace mailroom::net
