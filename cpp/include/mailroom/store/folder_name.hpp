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
// '.' (the Maildir++ separator), a control character (C0, DEL, C1), bytes
// that are not UTF-8, '%', '*' (LIST wildcards), '\\', '"', or a level named
// "INBOX" below the top. Names are UTF-8 ("Entwürfe"); IMAP and the Maildir
// directory names spell them in modified UTF-7 (mutf7.hpp).
std::string checked_folder_name(std::string_view name);
bool is_inbox(std::string_view name);

// RFC 6154 special-use attribute of the folders made for a new account
// ("\Sent" for "Sent", ...), "" for others.
std::string special_use_of(std::string_view name);

}  // namespace mailroom::store
