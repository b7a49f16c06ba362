// Reply rules for IMAP (Server.imap_reply): a command answered NO, BAD or
// BYE, delayed, or the connection dropped, so an IMAP client's error paths
// can be tested against a server that misbehaves on purpose.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/imap/handler.hpp"

namespace mailroom::engine {

// `command` ("FETCH", "UID FETCH", "*" for any; "FETCH" also matches UID
// FETCH) answered with `reply` instead of its own.
struct ImapReplyRule {
  std::string command = "*";
  imap::CommandReply reply;
  int times = -1;  // how many times it fires; -1 = always
  std::uint64_t id = 0;  // set by ImapReplyRules::add
};

// Throws std::invalid_argument, saying what is wrong, for a rule that cannot
// be: a status other than NO, BAD, BYE or "" (a delay), a rule that does
// nothing, CR, LF or NUL in a text.
void check_imap_reply_rule(const ImapReplyRule& rule);

class ImapReplyRules {
 public:
  std::uint64_t add(ImapReplyRule rule);  // check_imap_reply_rule() first
  std::vector<ImapReplyRule> list() const;
  bool remove(std::uint64_t id);
  void clear();
  // The first rule for `command` with uses left (using one up).
  std::optional<imap::CommandReply> match(std::string_view command);

 private:
  mutable std::mutex mutex_;
  std::vector<ImapReplyRule> rules_;
  std::uint64_t next_id_ = 1;
};

}  // namespace mailroom::engine
