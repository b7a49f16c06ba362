// Message flags and keywords (RFC 9051 §2.3.2) and their Maildir spelling
// (the "info" after ":2," in a file name, cr.yp.to/proto/maildir.html).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailroom::store {

// System flags as bits. \Recent is not stored: it is a property of an IMAP
// session (and gone from IMAP4rev2, RFC 9051 §2.3.2).
enum Flag : std::uint8_t {
  kSeen = 1,
  kAnswered = 2,
  kFlagged = 4,
  kDeleted = 8,
  kDraft = 16,
};
constexpr std::uint8_t kAllFlags = kSeen | kAnswered | kFlagged | kDeleted | kDraft;

// Flags and keywords as given by a caller: "\Seen", "\flagged" (system flags
// are case-insensitive), "$Forwarded", "Junk". Throws InvalidFlag for "\Recent",
// an unknown "\Name", or a keyword that is not an atom (RFC 9051 §9:
// flag-keyword = atom; no SP, CTL, "(){%*\"\\]", at most 255 octets).
struct FlagSet {
  std::uint8_t system = 0;
  std::vector<std::string> keywords;  // sorted, no duplicates (compared case-insensitively)
};
FlagSet parse_flags(const std::vector<std::string>& names);
// "\Seen", "\Answered", ... for the bits, in that order, then the keywords.
std::vector<std::string> flag_names(std::uint8_t system, const std::vector<std::string>& keywords);

// Maildir info letters for the system flags, in ASCII order as the spec asks:
// D (draft), F (flagged), R (replied = \Answered), S (seen), T (trashed = \Deleted).
std::string maildir_letters(std::uint8_t system);
// The system flags in an info string (lower-case letters, keywords, ignored).
std::uint8_t flags_from_letters(std::string_view info);

// Keyword lists as kept on messages: sorted, unique, case-insensitively.
void normalize_keywords(std::vector<std::string>& keywords);
bool has_keyword(const std::vector<std::string>& keywords, std::string_view k);

}  // namespace mailroom::store
