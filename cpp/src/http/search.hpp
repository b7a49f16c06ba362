// Mailpit's search syntax (mailpit.axllent.org/docs/usage/search-filters):
// words and "quoted phrases" match anywhere (subject, addresses, text);
// from:, to:, cc:, bcc:, subject:, message-id:, tag: match one field;
// is:read, is:unread, is:tagged, has:attachment; a leading '-' or '!'
// negates a term; every term must hold. Matching is case-insensitive.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "message_view.hpp"

namespace mailroom::http {

struct SearchTerm {
  std::string field;  // "" for anywhere, else "from", "to", "is", "has", ...
  std::string value;  // lower-cased
  bool negated = false;
};

// Throws std::invalid_argument naming an unknown field or value.
std::vector<SearchTerm> parse_search(std::string_view query);
bool search_matches(const std::vector<SearchTerm>& terms, const MessageView& v);

}  // namespace mailroom::http
