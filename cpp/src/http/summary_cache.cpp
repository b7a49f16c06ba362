#include "summary_cache.hpp"

#include <boost/json.hpp>

#include "mailroom/store/flags.hpp"

namespace mailroom::http {

namespace json = boost::json;

std::size_t CachedSummary::bytes() const {
  std::size_t n = sizeof(CachedSummary) + head.capacity() + middle.capacity() + tail.capacity();
  for (const auto& t : header_tags) n += sizeof(std::string) + t.capacity();
  return n;
}

CachedSummary make_cached_summary(const MessageView& v) {
  CachedSummary s;
  // Split what message_summary() makes, so the two never differ.
  std::string* into = &s.head;
  for (const auto& member : message_summary(v)) {
    const std::string_view key = member.key();
    if (key == "Read") {
      into = &s.middle;
      continue;
    }
    if (key == "Tags") {
      into = &s.tail;
      continue;
    }
    if (!into->empty()) into->push_back(',');
    into->append(json::serialize(json::string(key))).push_back(':');
    into->append(json::serialize(member.value()));
  }
  s.header_tags = arrival_tags(v);
  s.head.shrink_to_fit();
  s.middle.shrink_to_fit();
  s.tail.shrink_to_fit();
  return s;
}

std::string summary_json(const CachedSummary& s, const store::Message& now, std::string_view extra) {
  std::string out;
  append_summary_json(out, s, now, extra);
  return out;
}

void append_summary_json(std::string& out, const CachedSummary& s, const store::Message& now,
                         std::string_view extra) {
  std::string tags_text = "[]";
  if (!s.header_tags.empty() || now.has_keywords()) {
    json::array tags;
    for (auto& t : with_keywords(s.header_tags, now.keywords())) tags.emplace_back(t);
    tags_text = json::serialize(tags);
  }
  if (out.empty())
    out.reserve(s.head.size() + s.middle.size() + s.tail.size() + tags_text.size() + extra.size() + 32);
  out.push_back('{');
  out.append(s.head);
  out.append((now.flags & store::kSeen) ? ",\"Read\":true," : ",\"Read\":false,");
  out.append(s.middle).append(",\"Tags\":").append(tags_text).push_back(',');
  out.append(s.tail);
  if (!extra.empty()) out.append(",").append(extra);
  out.push_back('}');
}

std::string SummaryCache::key_of(const store::Message& m, const std::string& folder,
                                 std::uint32_t uidvalidity) {
  std::string key;
  key.reserve(m.account().size() + folder.size() + 10);
  key.append(m.account()).append(1, '\n').append(folder).append(1, '\n');
  for (std::uint32_t n : {uidvalidity, m.uid})
    for (int shift = 0; shift < 32; shift += 8) key.push_back(static_cast<char>((n >> shift) & 0xff));
  return key;
}

std::string SummaryCache::summary(const store::MailStore& store, const store::MessagePtr& m,
                                  const std::string& folder, std::uint32_t uidvalidity,
                                  std::string_view extra) {
  std::string key = key_of(*m, folder, uidvalidity);
  auto s = get(key);
  if (!s) {  // read and parse outside the lock
    auto v = view_message(store, m, folder, uidvalidity);
    if (!v) return {};
    s = std::make_shared<const CachedSummary>(make_cached_summary(*v));
    put(std::move(key), s);
  }
  return summary_json(*s, *m, extra);
}

std::string SummaryCache::summary(const MessageView& v, const std::string& folder,
                                  std::uint32_t uidvalidity, std::string_view extra) {
  std::string key = key_of(*v.message, folder, uidvalidity);
  auto s = get(key);
  if (!s) {
    s = std::make_shared<const CachedSummary>(make_cached_summary(v));
    put(std::move(key), s);
  }
  return summary_json(*s, *v.message, extra);
}

std::shared_ptr<const CachedSummary> SummaryCache::get(const std::string& key) {
  std::lock_guard lock(mutex_);
  return hit(key);
}

std::shared_ptr<const CachedSummary> SummaryCache::hit(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->summary;
}

void SummaryCache::put(std::string key, std::shared_ptr<const CachedSummary> s) {
  const std::size_t cost = s->bytes() + 2 * (sizeof(std::string) + key.size()) + 96;  // nodes
  if (cost > max_bytes_) return;
  std::lock_guard lock(mutex_);
  if (index_.count(key)) return;  // another request made it meanwhile
  order_.push_front({key, std::move(s), cost});
  index_.emplace(std::move(key), order_.begin());
  bytes_ += cost;
  while (bytes_ > max_bytes_) {
    const Entry& last = order_.back();
    bytes_ -= last.cost;
    index_.erase(last.key);
    order_.pop_back();
  }
}

std::size_t SummaryCache::size() const {
  std::lock_guard lock(mutex_);
  return order_.size();
}

std::size_t SummaryCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace mailroom::http
