// Folder names: '/' separates levels ("Work/2024"); INBOX is any case of
// "INBOX" (RFC 9051 §5.1). On disk a folder is a Maildir++ directory
// ".Work.2024" below the account's Maildir (the INBOX).
#pragma once

#include <string>
#include <string_view>

namespace mailroom::store {

inline constexpr char kFolderSeparator = '/';
inline constexpr std::size_t kMaxFolderName = 255;

// The name as the store keeps it ("inbox" -> "INBOX"), or InvalidFolderName:
// empty, longer than kMaxFolderName, an empty level ("a//b", "/a", "a/"), a
// '.' (the Maildir++ separator), a control byte, a non-ASCII byte (modified
// UTF-7 is not spoken yet), '%', '*' (LIST wildcards), '\\', '"', '&' (the
// modified UTF-7 shift, RFC 9051 §5.1.3), or a level named "INBOX" below the top.
std::string checked_folder_name(std::string_view name);
bool is_inbox(std::string_view name);

// RFC 6154 special-use attribute of the folders made for a new account
// ("\Sent" for "Sent", ...), "" for others.
std::string special_use_of(std::string_view name);

}  // namespace mailroom::store
