// Mailpit's search syntax (mailpit.axllent.org/docs/usage/search-filters):
// words and "quoted phrases" match anywhere (subject, addresses, text);
// from:, to:, cc:, bcc:, reply-to:, subject:, message-id:, tag: match one
// field, addressed: any of From, To, Cc, Bcc and Reply-To; is:read,
// is:unread, is:tagged, has:attachment, has:inline; after: and before: a
// date ("2024/04/01", "2024-04-01T10:30:00", UTC) against the arrival
// time; larger: and smaller: a size ("500", "2k", "1.5MB", powers of 1024);
// a leading '-' or '!' negates a term; every term must hold. Matching is
// case-insensitive. Where Mailpit ignores a value it cannot read (a bad
// date, is:bogus), this names it in an error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "message_view.hpp"

namespace mailroom::http {

struct SearchTerm {
  std::string field;  // "" for anywhere, else "from", "to", "is", "has", ...
  std::string value;  // lower-cased
  double number = 0;  // after:/before: seconds since the epoch; larger:/smaller: bytes
  bool negated = false;
};

// Throws std::invalid_argument naming an unknown field or value.
std::vector<SearchTerm> parse_search(std::string_view query);
bool search_matches(const std::vector<SearchTerm>& terms, const MessageView& v);

}  // namespace mailroom::http
