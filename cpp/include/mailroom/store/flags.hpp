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

// Maildir keywords: the info letters 'a'..'z' name the keywords listed in
// the folder's dovecot-keywords file, one "<index> <keyword>" a line (index
// 0 is 'a'), as Dovecot and the store write it. parse_keyword_file gives the
// keyword of each index ("" where none); a torn last line (no LF) and lines
// that are not "<0..25> <name>" are ignored.
std::vector<std::string> parse_keyword_file(std::string_view text);
// The keywords an info string's lower-case letters name in `table`
// (normalized); letters the table does not name are ignored.
std::vector<std::string> keywords_from_letters(std::string_view info,
                                               const std::vector<std::string>& table);

// The Maildir info of a message with `system` flags and `keywords` in a
// folder whose keyword letters are `table` (parse_keyword_file's form): the
// system letters and a letter per keyword, in ASCII order. A keyword the
// table lacks (compared case-insensitively) takes the first free letter and
// is added to `table`; `added` says so (write keyword_file_text(table) before
// a file name uses the letter). Throws std::runtime_error past 26 keywords.
std::string maildir_info(std::uint8_t system, const std::vector<std::string>& keywords,
                         std::vector<std::string>& table, bool& added);
// A dovecot-keywords file naming the letters of `table`.
std::string keyword_file_text(const std::vector<std::string>& table);

// Keyword lists as kept on messages: sorted, unique, case-insensitively.
void normalize_keywords(std::vector<std::string>& keywords);
bool has_keyword(const std::vector<std::string>& keywords, std::string_view k);

}  // namespace mailroom::store
