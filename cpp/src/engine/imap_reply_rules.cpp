#include "mailroom/engine/imap_reply_rules.hpp"

#include <algorithm>

#include "mailroom/text.hpp"

namespace mailroom::engine {

std::uint64_t ImapReplyRules::add(ImapReplyRule rule) {
  std::lock_guard lock(mutex_);
  rule.id = next_id_++;
  rules_.push_back(std::move(rule));
  return rules_.back().id;
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
