// A Maildir folder's UID list, in Dovecot's dovecot-uidlist format 3:
// "3 V<uidvalidity> N<uidnext> G<guid>", then "<uid> [fields] :<base name>"
// per message (and the older format 1 read). The N field is written with ten
// digits, so an append updates the header in place.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace mailroom::store::maildir {

struct Uidlist {
  bool present = false;
  bool fixed_width = false;  // the header as we write it
  std::uint32_t uidvalidity = 0;
  std::uint32_t next = 1;
  std::map<std::string, std::uint32_t> uid_of;  // base name -> UID
  std::uint32_t max_uid = 0;
};

Uidlist read_uidlist(const std::filesystem::path& path);
// The first line for a new or rewritten list (a fresh random GUID).
std::string uidlist_header(std::uint32_t uidvalidity, std::uint32_t uidnext);
// Puts uid + 1 as the new N into the header in place and appends the record
// "<uid> :<name>"; one fdatasync.
void add_uidlist_record(const std::filesystem::path& path, std::uint32_t uid,
                        const std::string& name);

}  // namespace mailroom::store::maildir
