#include "mailroom/imap/message_cache.hpp"

namespace mailroom::imap {

std::shared_ptr<const mime::ParsedMessage> MessageCache::parsed(
    const std::string& key, const std::shared_ptr<const std::string>& data) {
  {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->parsed;
    }
  }
  // Parsed outside the lock: other sessions go on meanwhile.
  std::shared_ptr<const mime::ParsedMessage> p = mime::parse_message(*data);
  std::lock_guard lock(mutex_);
  ++parses_;
  if (index_.count(key) || p->raw.size() > max_bytes_) return p;
  lru_.push_front({key, p});
  index_[key] = lru_.begin();
  bytes_ += p->raw.size();
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    bytes_ -= lru_.back().parsed->raw.size();
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  return p;
}

std::size_t MessageCache::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

std::size_t MessageCache::parses() const {
  std::lock_guard lock(mutex_);
  return parses_;
}

}  // namespace mailroom::imap
