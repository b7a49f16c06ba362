// SMTP replies (RFC 5321 §4.2) with RFC 3463 enhanced status codes (RFC 2034).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailroom::smtp {

// One SMTP reply: a three-digit code, an optional enhanced status code
// ("2.0.0"; empty for none) and one or more text lines.
struct Reply {
  int code = 0;
  std::string enhanced;
  std::vector<std::string> lines;

  Reply() = default;
  Reply(int c, std::string enh, std::string text)
      : code(c), enhanced(std::move(enh)), lines{std::move(text)} {}
  Reply(int c, std::string enh, std::vector<std::string> text)
      : code(c), enhanced(std::move(enh)), lines(std::move(text)) {}

  // The reply as it goes on the wire: "250-first\r\n250 last\r\n", every line
  // carrying the enhanced code when there is one. CR and LF inside the text
  // are replaced by spaces, so a reply is always well-formed and can never
  // inject a second reply. A code outside 200..599 is written as 451.
  std::string wire() const;

  bool positive() const { return code >= 200 && code < 400; }
};

}  // namespace mailroom::smtp
