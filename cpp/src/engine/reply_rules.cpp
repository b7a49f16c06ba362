#include "mailroom/text.hpp"
#include "mailroom/engine/reply_rules.hpp"

#include <algorithm>

namespace mailroom::engine {

namespace {


std::string default_enhanced(int code) {
  if (code < 200 || code >= 600) return "";
  return std::to_string(code / 100) + ".0.0";
}

}  // namespace

bool address_matches(std::string_view pattern, std::string_view address) {
  if (pattern.empty() || pattern == "*") return true;
  if (pattern.size() >= 2 && pattern[0] == '*' && pattern[1] == '@') {
    auto at = address.rfind('@');
    return at != std::string_view::npos && iequals(pattern.substr(2), address.substr(at + 1));
  }
  return iequals(pattern, address);
}

std::uint64_t ReplyRules::add(ReplyRule rule) {
  std::lock_guard lock(mutex_);
  rule.id = next_id_++;
  if (rule.code != 0 && rule.enhanced.empty()) rule.enhanced = default_enhanced(rule.code);
  rules_.push_back(std::move(rule));
  return rules_.back().id;
}

bool ReplyRules::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = std::remove_if(rules_.begin(), rules_.end(), [&](const ReplyRule& r) { return r.id == id; });
  bool found = it != rules_.end();
  rules_.erase(it, rules_.end());
  return found;
}

void ReplyRules::clear() {
  std::lock_guard lock(mutex_);
  rules_.clear();
}

std::vector<ReplyRule> ReplyRules::list() const {
  std::lock_guard lock(mutex_);
  return rules_;
}

bool ReplyRules::empty() const {
  std::lock_guard lock(mutex_);
  return rules_.empty();
}

std::optional<smtp::Decision> ReplyRules::match(ReplyRule::Stage stage, std::string_view sender,
                                                const std::vector<std::string>& recipients) {
  std::lock_guard lock(mutex_);
  for (auto& r : rules_) {
    if (r.stage != stage || r.times == 0) continue;
    if (!address_matches(r.sender, sender)) continue;
    bool rcpt_ok = r.recipient.empty() || r.recipient == "*";
    for (const auto& rc : recipients)
      if (!rcpt_ok && address_matches(r.recipient, rc)) rcpt_ok = true;
    if (!rcpt_ok) continue;
    if (r.times > 0) --r.times;
    smtp::Decision d;
    d.delay_ms = r.delay_ms;
    if (r.disconnect) {
      d.kind = smtp::Decision::Drop;
    } else if (r.close) {
      d.kind = smtp::Decision::Disconnect;
      if (r.code >= 400) d.reply = smtp::Reply(r.code, r.enhanced, r.text.empty() ? "Closing connection" : r.text);
    } else if (r.code >= 400) {
      d.kind = smtp::Decision::Reject;
      d.reply = smtp::Reply(r.code, r.enhanced, r.text.empty() ? "Refused by reply rule" : r.text);
    } else if (r.code >= 200) {
      d.reply = smtp::Reply(r.code, r.enhanced, r.text.empty() ? "OK" : r.text);
    }
    return d;
  }
  return std::nullopt;
}

}  // namespace mailroom::engine
