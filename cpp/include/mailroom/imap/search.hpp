// SEARCH criteria (RFC 9051 §6.4.4): parsed once into a tree, then matched
// against each message. Header, BODY and TEXT keys match decoded text (RFC
// 2047 words, transfer encodings, charsets to UTF-8) case-insensitively.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mailroom/imap/arguments.hpp"
#include "mailroom/mime/message.hpp"
#include "mailroom/store/message.hpp"

namespace mailroom::imap {

// One message as the search sees it.
struct SearchSubject {
  std::uint32_t seq = 0;
  const store::Message* message = nullptr;
  bool recent = false;  // \Recent in the searching session
  // The parse of the message (only called for keys that need its content).
  std::function<std::shared_ptr<const mime::ParsedMessage>()> parsed;
};

class SearchKey;

class SearchProgram {
 public:
  // Reads "key *(SP key)" to the end of `a`. `largest_seq` and `largest_uid`
  // stand for '*'; `saved_uids` (ascending) for "$" (RFC 5182 SEARCHRES),
  // refused when null. `imap4rev2`: RFC 9051's grammar, which has no
  // RECENT, NEW or OLD key. Throws SyntaxError.
  static SearchProgram parse(Arguments& a, std::uint32_t largest_seq, std::uint32_t largest_uid,
                             const std::vector<std::uint32_t>* saved_uids = nullptr,
                             bool imap4rev2 = false);
  SearchProgram(SearchProgram&&) noexcept;
  SearchProgram& operator=(SearchProgram&&) noexcept;
  ~SearchProgram();

  bool matches(const SearchSubject& s) const;
  // Whether any key needs the message's content (headers, body).
  bool needs_content() const { return needs_content_; }
  // Whether a MODSEQ key (RFC 7162 §3.1.5) was used: the answer then tells
  // the highest MODSEQ of the messages found.
  bool uses_modseq() const { return uses_modseq_; }

 private:
  SearchProgram();
  std::unique_ptr<SearchKey> root_;
  bool needs_content_ = false;
  bool uses_modseq_ = false;
};

// "1-Feb-1994" (RFC 9051 date, quoted or not) as the day's start in seconds
// since the epoch, UTC; throws SyntaxError.
std::int64_t parse_search_date(std::string_view text);

}  // namespace mailroom::imap
