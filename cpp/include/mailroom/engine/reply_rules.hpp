// Reply rules: answer chosen senders or recipients with a chosen reply (550,
// 451, a delay, a dropped connection) so an application's error handling can
// be tested against a server that misbehaves on purpose.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/smtp/handler.hpp"

namespace mailroom::engine {

struct ReplyRule {
  // Auth: the AUTH command (RFC 4954 §4), before the exchange starts.
  enum class Stage { Mail, Rcpt, Data, Auth };
  Stage stage = Stage::Rcpt;
  // Patterns, case-insensitive: "" or "*" any, "*@domain" a domain, else the
  // exact address. A rule applies when both match.
  std::string sender = "*";
  std::string recipient = "*";
  int code = 0;            // 0: no reply of its own (a pure delay)
  std::string enhanced;    // "" derives one from the code (x.0.0)
  std::string text;
  std::uint32_t delay_ms = 0;
  bool disconnect = false;  // drop the connection with no reply (a crashed server)
  bool close = false;       // write the reply (421 by default), then close
  int times = -1;           // how many times it fires; -1 = always
  // The chance, in percent, that a matching rule fires (Mailpit's chaos
  // triggers); one that does not fire leaves the command to the next rule.
  int probability = 100;
  bool chaos = false;       // one of the chaos triggers (HTTP's /api/v1/chaos)
  std::uint64_t id = 0;     // set by ReplyRules::add
};

// "mail", "rcpt", "data", "auth"; nullopt for another name.
std::optional<ReplyRule::Stage> stage_named(std::string_view name);
const char* stage_name(ReplyRule::Stage stage);

// Throws std::invalid_argument, saying what is wrong, for a rule that cannot
// be: a code outside 200..599, a recipient pattern at MAIL, a rule that does
// nothing, CR or LF in a text, ... ReplyRules::add checks it.
void check_reply_rule(const ReplyRule& rule);

bool address_matches(std::string_view pattern, std::string_view address);

class ReplyRules {
 public:
  std::uint64_t add(ReplyRule rule);
  bool remove(std::uint64_t id);
  void clear();
  std::vector<ReplyRule> list() const;
  bool empty() const;

  // The decision of the first rule that matches at this stage and still has
  // uses left (using one up); nullopt when none does. For Stage::Data the
  // recipient pattern matches when any recipient matches.
  std::optional<smtp::Decision> match(ReplyRule::Stage stage, std::string_view sender,
                                      const std::vector<std::string>& recipients);

 private:
  mutable std::mutex mutex_;
  std::vector<ReplyRule> rules_;
  std::uint64_t next_id_ = 1;
};

}  // namespace mailroom::engine
