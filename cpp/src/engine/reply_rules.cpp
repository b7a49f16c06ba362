#include "mailroom/text.hpp"
#include "mailroom/engine/reply_rules.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>

namespace mailroom::engine {

namespace {


// 0..99, uniformly (chaos needs no cryptographic randomness).
int roll_percent() {
  thread_local std::mt19937 engine{std::random_device{}()};
  return std::uniform_int_distribution<int>(0, 99)(engine);
}

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

std::optional<ReplyRule::Stage> stage_named(std::string_view name) {
  if (name == "mail") return ReplyRule::Stage::Mail;
  if (name == "rcpt") return ReplyRule::Stage::Rcpt;
  if (name == "data") return ReplyRule::Stage::Data;
  if (name == "auth") return ReplyRule::Stage::Auth;
  return std::nullopt;
}

const char* stage_name(ReplyRule::Stage stage) {
  switch (stage) {
    case ReplyRule::Stage::Mail: return "mail";
    case ReplyRule::Stage::Rcpt: return "rcpt";
    case ReplyRule::Stage::Data: return "data";
    case ReplyRule::Stage::Auth: return "auth";
  }
  return "?";
}

void check_reply_rule(const ReplyRule& r) {
  using std::invalid_argument;
  if (r.code != 0 && (r.code < 200 || r.code > 599))
    throw invalid_argument("reply code must be in 200..599, got " + std::to_string(r.code));
  for (const auto* t : {&r.sender, &r.recipient, &r.enhanced, &r.text})
    if (t->find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      throw invalid_argument("CR, LF or NUL in a reply rule: " + *t);
  if (r.stage == ReplyRule::Stage::Mail && !r.recipient.empty() && r.recipient != "*")
    throw invalid_argument("a recipient pattern needs stage 'rcpt' or 'data'");
  // At AUTH there is no envelope yet: nothing for a pattern to match.
  if (r.stage == ReplyRule::Stage::Auth && ((!r.sender.empty() && r.sender != "*") ||
                                            (!r.recipient.empty() && r.recipient != "*")))
    throw invalid_argument("stage 'auth' comes before MAIL FROM: no sender or recipient pattern");
  if (r.stage == ReplyRule::Stage::Auth && r.code < 400 && !r.disconnect && !r.close)
    throw invalid_argument("stage 'auth' takes a 4yz or 5yz reply, disconnect=True or close=True");
  if (r.disconnect && (r.code || !r.text.empty() || r.close))
    throw invalid_argument(
        "disconnect=True drops the connection with no reply; to send a reply and then close, "
        "use reply(421, 'text', close=True)");
  if (r.close && r.code && r.code < 400)
    throw invalid_argument("close=True goes with a 4yz or 5yz reply, not " + std::to_string(r.code));
  if (!r.code && !r.delay_ms && !r.disconnect && !r.close)
    throw invalid_argument("a reply rule needs a code, a delay, disconnect=True or close=True");
  if (r.times == 0 || r.times < -1)
    throw invalid_argument("times must be at least 1 (or None: always)");
  if (r.probability < 0 || r.probability > 100)
    throw invalid_argument("probability must be a percentage, 0 to 100, not " +
                           std::to_string(r.probability));
}

std::uint64_t ReplyRules::add(ReplyRule rule) {
  check_reply_rule(rule);
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
    if (r.probability < 100 && roll_percent() >= r.probability) continue;
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
