// A Maildir folder's keyword letters: dovecot-keywords ("<index> <keyword>",
// index 0 is the info letter 'a'), read at open and extended before any file
// name uses a new letter.
#include "mailroom/store/flags.hpp"
#include "mailroom/store/maildir_backend.hpp"
#include "mailroom/text.hpp"
#include "maildir_parts.hpp"

namespace mailroom::store {

using namespace maildir;

std::string MaildirBackend::info_for(const fs::path& dir, std::uint8_t flags,
                                     const std::vector<std::string>& keywords) {
  if (keywords.empty()) return maildir_letters(flags);
  std::lock_guard lock(keywords_mutex_);
  auto& known = keywords_[dir.string()];
  bool added = false;
  std::string info = maildir_info(flags, keywords, known, added);
  // the names before any file uses their letters
  if (added) replace_file(dir / kKeywords, keyword_file_text(known));
  return info;
}

}  // namespace mailroom::store
