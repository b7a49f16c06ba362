#include "mailroom/engine/imap_reply_rules.hpp"

#include <algorithm>
#include <stdexcept>

#include "mailroom/text.hpp"

namespace mailroom::engine {

void check_imap_reply_rule(const ImapReplyRule& r) {
  using std::invalid_argument;
  const auto& s = r.reply.status;
  if (s != "" && s != "NO" && s != "BAD" && s != "BYE")
    throw invalid_argument("status must be \"NO\", \"BAD\", \"BYE\" or \"\" (a delay), not '" + s + "'");
  if (r.reply.disconnect && (!s.empty() || !r.reply.text.empty()))
    throw invalid_argument("disconnect=True drops the connection with no reply");
  if (s.empty() && !r.reply.delay_ms && !r.reply.disconnect)
    throw invalid_argument("an IMAP reply rule needs a status, a delay or disconnect=True");
  if ((r.reply.text + r.command).find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
    throw invalid_argument("CR, LF or NUL in the reply rule");
  if (r.command.empty()) throw invalid_argument("command is empty (\"*\" is any command)");
  if (r.times == 0 || r.times < -1)
    throw invalid_argument("times must be at least 1 (or None: always)");
}

std::uint64_t ImapReplyRules::add(ImapReplyRule rule) {
  check_imap_reply_rule(rule);
  std::lock_guard lock(mutex_);
  rule.id = next_id_++;
  rules_.push_back(std::move(rule));
  return rules_.back().id;
}

std::vector<ImapReplyRule> ImapReplyRules::list() const {
  std::lock_guard lock(mutex_);
  return rules_;
}

bool ImapReplyRules::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  return std::erase_if(rules_, [id](const ImapReplyRule& r) { return r.id == id; }) > 0;
}

void ImapReplyRules::clear() {
  std::lock_guard lock(mutex_);
  rules_.clear();
}

std::optional<imap::CommandReply> ImapReplyRules::match(std::string_view command) {
  std::lock_guard lock(mutex_);
  const std::string_view sub = istarts_with(command, "UID ") ? command.substr(4) : command;
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (it->command != "*" && !iequals(it->command, command) && !iequals(it->command, sub))
      continue;
    imap::CommandReply r = it->reply;
    if (it->times > 0 && --it->times == 0) rules_.erase(it);
    return r;
  }
  return std::nullopt;
}

}  // namespace mailroom::engine
