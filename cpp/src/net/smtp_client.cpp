#include "mailroom/net/smtp_client.hpp"

#include <system_error>

namespace mailroom::net {

SmtpClient::SmtpClient(SmtpClientOptions options)
    : options_(std::move(options)), session_(options_.session) {}

void SmtpClient::connect() {
  connection_.connect(options_.host, options_.port, options_.session.timeouts.connect);
  while (!session_.ready() && !session_.closed()) pump();
  check_failed();
}

void SmtpClient::check_failed() {
  if (!session_.failed()) return;
  connection_.close();
  throw SmtpSessionError(session_.error(), session_.last_reply(), session_.error_text());
}

void SmtpClient::pump() {
  std::string out = session_.take_output();
  if (!out.empty()) connection_.write(out, options_.session.timeouts.data_block);
  auto timeout = session_.current_timeout();
  if (timeout.count() == 0 || session_.closed()) return;
  inbox_.clear();
  std::size_t n;
  try {
    n = connection_.read_some(inbox_, timeout);
  } catch (const std::system_error& e) {
    if (e.code() == std::errc::timed_out) {
      session_.on_timeout();
      return;
    }
    session_.on_eof();
    return;
  }
  if (n == 0)
    session_.on_eof();
  else
    session_.feed(inbox_);
}

smtp::SendResult SmtpClient::send(const std::string& mail_from, const std::vector<std::string>& rcpts,
                                  std::string content, const smtp::MessageOptions& options) {
  if (!connected()) throw SmtpSessionError(smtp::ClientError::ConnectionLost, {}, "not connected");
  session_.begin_message(mail_from, rcpts, std::move(content), options);
  while (!session_.message_done() && !session_.closed()) pump();
  check_failed();
  return session_.result();
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
