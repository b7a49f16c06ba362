// Parsed messages for FETCH (ENVELOPE, BODYSTRUCTURE, BODY[section]) and
// SEARCH, parsed once by the native MIME parser and kept while they fit in
// the cache's byte budget (least recently used ones go first). Shared by every
// session of a server; thread-safe.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "mailroom/mime/message.hpp"

namespace mailroom::imap {

class MessageCache {
 public:
  explicit MessageCache(std::size_t max_bytes = std::size_t{64} << 20) : max_bytes_(max_bytes) {}

  // The parse of `data`, cached under `key` (account, folder, UIDVALIDITY and
  // UID name one message for good: RFC 9051 §2.3.1.1).
  std::shared_ptr<const mime::ParsedMessage> parsed(const std::string& key,
                                                    const std::shared_ptr<const std::string>& data);
  std::size_t size() const;
  std::size_t parses() const;  // how many parses were done (a miss each)

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const mime::ParsedMessage> parsed;
  };
  mutable std::mutex mutex_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::size_t parses_ = 0;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace mailroom::imap
