#include "mailroom/store/folder_name.hpp"

#include "mailroom/store/errors.hpp"
#include "mailroom/smtp/path.hpp"
#include "mailroom/text.hpp"

namespace mailroom::store {

bool is_inbox(std::string_view name) { return iequals(name, "INBOX"); }

std::string checked_folder_name(std::string_view name) {
  auto bad = [&](const std::string& why) {
    return InvalidFolderName("bad folder name '" + std::string(name) + "': " + why);
  };
  if (name.empty()) throw bad("empty");
  if (name.size() > kMaxFolderName) throw bad("longer than 255 octets");
  if (is_inbox(name)) return "INBOX";
  std::size_t level = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c == kFolderSeparator) {
      if (i == level) throw bad("an empty level");
      if (level > 0 && is_inbox(name.substr(level, i - level))) throw bad("INBOX below the top");
      level = i + 1;
      continue;
    }
    if (c < 0x20 || c == 0x7f) throw bad("a control character");
    if (c == 0xC2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) < 0xA0)
      throw bad("a control character");  // U+0080..U+009F (C1)
    if (c == '.') throw bad("'.' (the Maildir++ separator)");
    if (c == '%' || c == '*') throw bad("a LIST wildcard");
    if (c == '\\' || c == '"') throw bad("'\\' or '\"'");
  }
  if (level == name.size()) throw bad("an empty level");
  if (!smtp::valid_utf8(name)) throw bad("not UTF-8");
  if (level > 0 && is_inbox(name.substr(level))) throw bad("INBOX below the top");
  return std::string(name);
}

std::string special_use_of(std::string_view name) {
  for (const char* n : {"Sent", "Drafts", "Trash", "Junk", "Archive"})
    if (name == n) return std::string("\\") + n;
  return {};
}

}  // namespace mailroom::store
