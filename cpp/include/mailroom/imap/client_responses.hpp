// The IMAP client's view of server responses (RFC 9051 §7, RFC 7162 for
// MODSEQ and VANISHED, RFC 4731 ESEARCH, RFC 6154 special-use): one
// response's text, as the client session framed it (its lines joined by CRLF,
// each literal "{n}" CRLF and its n octets inline, which is what Arguments
// reads), parsed into typed values. parse_untagged() throws SyntaxError for
// what the grammar does not allow.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailroom::imap {

enum class UntaggedKind {
  Ok, No, Bad, Bye, Preauth,  // status responses (a greeting, or news)
  Capability, Enabled, List, Status, Search, Esearch, Flags,
  Exists, Recent, Expunge, Fetch, Vanished, Other
};
const char* to_string(UntaggedKind k);

// "[UIDVALIDITY 3857529045]": the code's atom, upper-cased, and its text.
struct ResponseCode {
  std::string name;
  std::string argument;
};

// One message's FETCH data (RFC 9051 §7.5.2). Items not asked for are
// skipped; `has_*` tells which came.
struct FetchData {
  std::uint32_t seq = 0;
  std::uint32_t uid = 0;
  bool has_flags = false;
  std::vector<std::string> flags;
  bool has_internal_date = false;
  std::int64_t internal_date = 0;  // seconds since the epoch
  std::uint64_t size = 0;          // RFC822.SIZE
  std::uint64_t modseq = 0;        // RFC 7162 §3.1.4.1
  bool has_body = false;
  std::string body;                // BODY[] / BINARY[] (NIL: empty)
};

struct ListEntry {
  std::vector<std::string> attributes;  // "\HasNoChildren", "\Sent" (RFC 6154)
  std::string delimiter;                // "" when NIL
  std::string name;                     // as the server wrote it (modified UTF-7 undone)
};

struct Untagged {
  UntaggedKind kind = UntaggedKind::Other;
  std::uint64_t number = 0;  // EXISTS, RECENT, EXPUNGE, FETCH's sequence number
  ResponseCode code;         // status responses
  std::string text;          // status responses' human text; Other: the whole line
  std::vector<std::string> words;  // CAPABILITY, ENABLED, FLAGS
  std::vector<std::uint32_t> numbers;  // SEARCH / ESEARCH ALL, VANISHED (expanded)
  std::uint64_t modseq = 0;  // SEARCH's "(MODSEQ n)" (RFC 7162 §3.1.5)
  bool earlier = false;      // VANISHED (EARLIER)
  ListEntry list;
  std::string mailbox;       // STATUS
  std::vector<std::pair<std::string, std::uint64_t>> status;  // "MESSAGES" -> 3
  FetchData fetch;
};

// `text` is what follows "* ". `max_numbers` bounds what a SEARCH,
// ESEARCH or VANISHED expands to (a server's "1:4294967295").
Untagged parse_untagged(std::string_view text, std::size_t max_numbers = 10'000'000);

// The words of a CAPABILITY list ("IMAP4rev1 IDLE ..."), runs of non-spaces.
std::vector<std::string> split_words(std::string_view text);

// The response code at the start of `text` ("[ALERT] ..."), removed from it.
ResponseCode take_response_code(std::string_view& text);

// A sequence set ("1:4,7") expanded, in order; throws SyntaxError past `max`.
std::vector<std::uint32_t> expand_sequence_set(std::string_view set, std::size_t max);

// "1:4,7" from ascending numbers (runs joined).
std::string compress_uids(const std::vector<std::uint32_t>& uids);

}  // namespace mailroom::imap
