// ServerSession: SEARCH's answers. ESEARCH (RFC 4731: RETURN (MIN MAX ALL
// COUNT)), SEARCHRES (RFC 5182: RETURN (SAVE) and "$"), the MODSEQ of
// RFC 7162 §3.1.5, and IMAP4rev2's rule that SEARCH answers with ESEARCH
// (RFC 9051 §7.3.4).
#include <algorithm>

#include "mailroom/imap/arguments.hpp"
#include "mailroom/imap/fetch_items.hpp"
#include "mailroom/imap/sequence_set.hpp"
#include "mailroom/imap/server_session.hpp"

namespace mailroom::imap {

ServerSession::SearchReturn ServerSession::read_search_return(Arguments& a) {
  SearchReturn r;
  if (!a.take_word("RETURN")) return r;
  r.given = true;
  a.sp();
  read_option_list(a, [&](const std::string& word) {
    if (word == "MIN") r.min = true;
    else if (word == "MAX") r.max = true;
    else if (word == "ALL") r.all = true;
    else if (word == "COUNT") r.count = true;
    else if (word == "SAVE") r.save = true;
    else a.fail("Unknown SEARCH return option " + word);
  });
  // RFC 4731 §3.1: RETURN () is RETURN (ALL).
  if (!r.min && !r.max && !r.all && !r.count && !r.save) r.all = true;
  a.sp();
  return r;
}

void ServerSession::search_results(const std::string& tag, bool uid, const SearchReturn& r,
                                   const std::vector<std::size_t>& positions,
                                   std::optional<std::uint64_t> modseq) {
  std::vector<std::uint32_t> numbers;
  numbers.reserve(positions.size());
  for (std::size_t p : positions)
    numbers.push_back(uid ? view_[p]->uid : static_cast<std::uint32_t>(p + 1));
  if (r.save) {
    // RFC 5182 §2.4: SAVE with MIN and/or MAX but neither ALL nor COUNT
    // saves just those.
    saved_uids_.clear();
    if ((r.min || r.max) && !r.all && !r.count) {
      if (!positions.empty()) {
        if (r.min) saved_uids_.push_back(view_[positions.front()]->uid);
        if (r.max) saved_uids_.push_back(view_[positions.back()]->uid);
      }
    } else {
      for (std::size_t p : positions) saved_uids_.push_back(view_[p]->uid);
    }
    saved_uids_.erase(std::unique(saved_uids_.begin(), saved_uids_.end()), saved_uids_.end());
  }
  if (!r.given && !rev2_) {
    std::string line = "SEARCH";
    for (std::uint32_t n : numbers) {
      line.push_back(' ');
      line += std::to_string(n);
    }
    // RFC 7162 §3.1.5: the highest MODSEQ of the messages found.
    if (modseq && !numbers.empty()) line.append(" (MODSEQ ").append(std::to_string(*modseq)).append(")");
    return untagged(line);
  }
  // RFC 5182 §2.1: SAVE alone gives no ESEARCH response.
  if (r.given && r.save && !r.min && !r.max && !r.all && !r.count) return;
  std::string line = "ESEARCH (TAG ";
  append_string(line, tag);
  line += ")";
  if (uid) line += " UID";
  const bool all = r.all || !r.given;
  if (!numbers.empty()) {
    if (r.min) line.append(" MIN ").append(std::to_string(numbers.front()));
    if (r.max) line.append(" MAX ").append(std::to_string(numbers.back()));
    if (all) line.append(" ALL ").append(compact_set(numbers));
  }
  if (r.count) line.append(" COUNT ").append(std::to_string(numbers.size()));
  if (modseq && !numbers.empty()) line.append(" MODSEQ ").append(std::to_string(*modseq));
  untagged(line);
}

}  // namespace mailroom::imap
