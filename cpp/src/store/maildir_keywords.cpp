// A Maildir folder's keyword letters: dovecot-keywords ("<index> <keyword>",
// index 0 is the info letter 'a'), read at open and extended before any file
// name uses a new letter.
#include <algorithm>
#include <stdexcept>

#include "mailroom/store/flags.hpp"
#include "mailroom/store/maildir_backend.hpp"
#include "mailroom/text.hpp"
#include "maildir_parts.hpp"

namespace mailroom::store {

using namespace maildir;

std::string MaildirBackend::info_for(const fs::path& dir, std::uint8_t flags,
                                     const std::vector<std::string>& keywords) {
  std::string info = maildir_letters(flags);
  if (keywords.empty()) return info;
  std::lock_guard lock(keywords_mutex_);
  auto& known = keywords_[dir.string()];
  bool added = false;
  for (const auto& k : keywords) {
    auto it = std::find_if(known.begin(), known.end(),
                           [&](const std::string& x) { return iequals(x, k); });
    std::size_t i;
    if (it != known.end()) {
      i = static_cast<std::size_t>(it - known.begin());
    } else {
      auto hole = std::find(known.begin(), known.end(), std::string());
      i = static_cast<std::size_t>(hole - known.begin());
      if (i >= 26) throw std::runtime_error("a Maildir folder has at most 26 keywords");
      if (hole == known.end())
        known.push_back(k);
      else
        *hole = k;
      added = true;
    }
    info.push_back(static_cast<char>('a' + i));
  }
  if (added) {  // the names before any file uses their letters
    std::string text;
    for (std::size_t i = 0; i < known.size(); ++i)
      if (!known[i].empty()) text += std::to_string(i) + " " + known[i] + "\n";
    replace_file(dir / kKeywords, text);
  }
  std::sort(info.begin(), info.end());  // the spec: info letters in ASCII order
  return info;
}

}  // namespace mailroom::store
