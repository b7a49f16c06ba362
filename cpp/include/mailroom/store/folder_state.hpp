// What a folder is: its counters and messages, sorted by UID. Shared by the
// store and its backends; callers see it through MailStore.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mailroom/store/message.hpp"

namespace mailroom::store {

// A message that was expunged, and the MODSEQ of the expunge (RFC 7162
// §3.2.5.1: what VANISHED (EARLIER) reports).
struct Expunged {
  std::uint32_t uid = 0;
  std::uint64_t modseq = 0;
};

struct FolderInfo {
  std::string name;
  std::string special_use;  // RFC 6154: "\Sent", ... or ""
};

struct FolderStatus {  // RFC 9051 §6.3.11 STATUS, RFC 7162 §3.1.2.1
  std::size_t messages = 0;
  std::uint32_t uidnext = 1;
  std::uint32_t uidvalidity = 0;
  std::size_t unseen = 0;
  std::size_t deleted = 0;
  std::uint64_t size = 0;
  std::uint64_t highestmodseq = 1;
};

// A folder as a backend loads or keeps it.
struct FolderData {
  FolderInfo info;
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 1;
  std::uint64_t highestmodseq = 1;
  std::vector<MessagePtr> messages;  // ascending UID
  std::vector<Expunged> expunged;    // ascending modseq
  std::vector<std::string> keywords; // every keyword the folder has known
  FolderHomePtr home;                // what its records share (keywords as above)
};

// A UIDVALIDITY for a new folder: the time, but always more than the last one
// given in this process (RFC 9051 §2.3.1.1: a new folder with an old name must
// not look like the old one).
std::uint32_t fresh_uidvalidity();

}  // namespace mailroom::store
