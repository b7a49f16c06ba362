// CredentialMask: what a transcript shows of a client's command line, masked
// by what the line could be rather than by what the server decided. A refused
// AUTH still leaves the client free to send its SASL responses (AUTH LOGIN's
// base64 user and password, PLAIN's blob) on the next lines, so those lines are
// masked too; so are the arguments of AUTH, PASS and APOP however they are
// separated (space or tab). Shared by the SMTP and POP3 server sessions.
#pragma once

#include <string>
#include <string_view>

namespace mailroom {

class CredentialMask {
 public:
  // `hidden` stands in for what is masked ("<hidden>" for SMTP, "****" for POP3).
  explicit CredentialMask(std::string hidden) : hidden_(std::move(hidden)) {}

  // The line as the transcript shows it. Call once per client line, in order.
  std::string shown(std::string_view line);
  // A SASL exchange the session is running: its response lines are masked
  // whatever they look like (they are read as SASL, never as commands).
  std::string sasl_response() {
    sasl_lines_ = sasl_lines_ > 0 ? sasl_lines_ - 1 : 0;
    return hidden_;
  }

 private:
  std::string hidden_;
  int sasl_lines_ = 0;  // lines after an AUTH that could still be SASL responses
};

}  // namespace mailroom
