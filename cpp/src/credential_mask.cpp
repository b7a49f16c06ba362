#include "mailroom/credential_mask.hpp"

#include "mailroom/text.hpp"

namespace mailroom {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Bare commands a client may send right after a refused AUTH, which no SASL
// response would be mistaken for in practice; shown as they are.
bool is_bare_command(std::string_view line) {
  for (std::string_view v : {"QUIT", "NOOP", "RSET", "DATA", "STARTTLS", "STLS", "CAPA",
                             "STAT", "LIST", "UIDL", "HELP", "*"})
    if (iequals(line, v)) return true;
  return false;
}

}  // namespace

std::string CredentialMask::shown(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && !is_blank(line[i])) ++i;
  const std::string_view verb = line.substr(0, i);
  std::size_t j = i;
  while (j < line.size() && is_blank(line[j])) ++j;
  const std::string_view rest = line.substr(j);
  if (iequals(verb, "AUTH")) {
    // AUTH mechanism [initial-response]: the mechanism only. Up to two SASL
    // responses may follow (LOGIN's user and password), accepted or not.
    sasl_lines_ = 2;
    std::size_t k = 0;
    while (k < rest.size() && !is_blank(rest[k])) ++k;
    std::string out(verb);
    if (k > 0) out.append(" ").append(rest.substr(0, k));
    if (k < rest.size()) out.append(" ").append(hidden_);
    return out;
  }
  if (iequals(verb, "PASS") && !rest.empty()) {
    sasl_lines_ = 0;
    return std::string(verb) + " " + hidden_;
  }
  if (iequals(verb, "APOP") && !rest.empty()) {
    sasl_lines_ = 0;
    std::size_t k = 0;
    while (k < rest.size() && !is_blank(rest[k])) ++k;
    return std::string(verb) + " " + std::string(rest.substr(0, k)) + " " + hidden_;
  }
  if (sasl_lines_ > 0) {
    // A word alone could be a base64 SASL response; a command with
    // arguments cannot, and ends the window.
    if (i == line.size() && !is_bare_command(line)) {
      --sasl_lines_;
      return hidden_;
    }
    sasl_lines_ = 0;
  }
  return std::string(line);
}

}  // namespace mailroom
