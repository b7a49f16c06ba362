// Parsing many messages at once on native threads: what the archive readers
// hand a batch of raw messages (framed mbox entries, Maildir or .eml files) to.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mailroom/mime/message.hpp"

namespace mailroom::mime {

// Parses each of `raws` (moved from) with `limits`, on up to `threads` threads
// (0: one per core; never more than one per 16 messages), and gives them back
// in order. Like parse_message, it never throws on malformed mail.
std::vector<std::shared_ptr<ParsedMessage>> parse_messages(std::vector<std::string> raws,
                                                           const Limits& limits,
                                                           unsigned threads = 0);

}  // namespace mailroom::mime
