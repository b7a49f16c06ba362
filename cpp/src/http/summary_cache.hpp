// The message list's summaries (Mailpit's MessageSummary), made once per
// message from its parsed form and kept in a bounded cache, so a page of the
// list or a live `new` event reads and parses no message that was shown
// before. What changes with the message's flags (Read, and the keywords in
// Tags) is not cached: it is added from the store's record at each use.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "message_view.hpp"

namespace mailroom::http {

struct CachedSummary {
  // JSON members without braces, in Mailpit's order around Read and Tags:
  // head (ID, MessageID), middle (From ... Created), tail (Size, Attachments, Snippet).
  std::string head, middle, tail;
  std::vector<std::string> header_tags;  // arrival_tags(): X-Tags, plus addresses
  std::size_t bytes() const;
};

CachedSummary make_cached_summary(const MessageView& v);
// The summary as JSON text, as json::serialize(message_summary(v)) writes
// it; `extra` (JSON members, or "") goes before the closing brace.
std::string summary_json(const CachedSummary& s, const store::Message& now,
                         std::string_view extra = {});
void append_summary_json(std::string& out, const CachedSummary& s, const store::Message& now,
                         std::string_view extra = {});

// Least recently used summaries, at most `max_bytes` of them in all.
class SummaryCache {
 public:
  explicit SummaryCache(std::size_t max_bytes = std::size_t{16} << 20) : max_bytes_(max_bytes) {}

  // The summary of `m` in `folder` (its JSON text): from the cache, else
  // read, parsed and kept; "" when the message is gone.
  std::string summary(const store::MailStore& store, const store::MessagePtr& m,
                      const std::string& folder, std::uint32_t uidvalidity,
                      std::string_view extra = {});
  // The same for a view already made (a search read it anyway).
  std::string summary(const MessageView& v, const std::string& folder, std::uint32_t uidvalidity,
                      std::string_view extra = {});

  // A page: the summaries of `messages` (INBOX or one folder, UIDVALIDITY
  // from `validity_of(account)`) appended to `out`, comma-separated, with
  // one turn of the cache's lock for the hits; returns how many (a message
  // gone is left out).
  template <class ValidityOf>
  std::size_t append_page(const store::MailStore& store, const std::vector<store::MessagePtr>& messages,
                          const std::string& folder, ValidityOf&& validity_of, std::string& out) {
    std::vector<std::string> keys;
    keys.reserve(messages.size());
    for (const auto& m : messages) keys.push_back(key_of(*m, folder, validity_of(m->account())));
    std::vector<std::shared_ptr<const CachedSummary>> found(messages.size());
    {
      std::lock_guard lock(mutex_);
      for (std::size_t i = 0; i < keys.size(); ++i) found[i] = hit(keys[i]);
    }
    std::size_t count = 0;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (!found[i]) {
        auto v = view_message(store, messages[i], folder, validity_of(messages[i]->account()));
        if (!v) continue;
        found[i] = std::make_shared<const CachedSummary>(make_cached_summary(*v));
        put(std::move(keys[i]), found[i]);
      }
      if (count++) out.push_back(',');
      append_summary_json(out, *found[i], *messages[i]);
    }
    return count;
  }

  std::size_t size() const;
  std::size_t bytes() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const CachedSummary> summary;
    std::size_t cost = 0;  // bytes counted for it
  };
  static std::string key_of(const store::Message& m, const std::string& folder,
                            std::uint32_t uidvalidity);
  std::shared_ptr<const CachedSummary> get(const std::string& key);
  std::shared_ptr<const CachedSummary> hit(const std::string& key);  // mutex_ held
  void put(std::string key, std::shared_ptr<const CachedSummary> s);

  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::size_t bytes_ = 0;
};

}  // namespace mailroom::http
