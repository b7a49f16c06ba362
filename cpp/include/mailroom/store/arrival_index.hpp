// The INBOX messages of every account in order of arrival (what
// Server.messages lists and the REST API pages newest first): appended at
// the end, replaced when flags change, removed when expunged. The k-th
// message from either end is found in O(log n) through a Fenwick tree of
// which slots are live; removed slots are dropped once they outnumber the
// live ones, so memory stays within twice the messages held.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "mailroom/store/message.hpp"

namespace mailroom::store {

class ArrivalIndex {
 public:
  // `arrival` is above every arrival pushed before.
  void push(std::uint64_t arrival, MessagePtr m) {
    arrivals_.push_back(arrival);
    slots_.push_back(std::move(m));
    const std::size_t i = slots_.size();  // 1-based
    // tree_[i] covers (i - lowbit(i), i]: the new slot and the ones before it.
    tree_.push_back(static_cast<std::uint32_t>(1 + prefix(i - 1) - prefix(i - lowbit(i))));
    ++live_;
  }

  // The record of an arrival now (flags changed); false when it is not held.
  bool replace(std::uint64_t arrival, MessagePtr m) {
    const std::size_t i = slot_of(arrival);
    if (i == kNone) return false;
    slots_[i] = std::move(m);
    return true;
  }

  bool erase(std::uint64_t arrival) {
    const std::size_t i = slot_of(arrival);
    if (i == kNone) return false;
    slots_[i].reset();
    for (std::size_t j = i + 1; j <= tree_.size(); j += lowbit(j)) --tree_[j - 1];
    --live_;
    if (slots_.size() - live_ > live_ + kSlack) compact();
    return true;
  }

  std::size_t size() const { return live_; }

  // `limit` messages from position `start`, 0 being the newest: O(limit log n).
  std::vector<MessagePtr> newest(std::size_t start, std::size_t limit) const {
    std::vector<MessagePtr> out;
    if (start >= live_) return out;
    const std::size_t n = std::min(limit, live_ - start);
    out.reserve(n);
    for (std::size_t k = 0; k < n; ++k) out.push_back(slots_[nth(live_ - start - k)]);
    return out;
  }

  // Every message that arrived after `arrival`, oldest first.
  std::vector<MessagePtr> since(std::uint64_t arrival) const {
    std::vector<MessagePtr> out;
    auto from = std::upper_bound(arrivals_.begin(), arrivals_.end(), arrival);
    for (auto i = static_cast<std::size_t>(from - arrivals_.begin()); i < slots_.size(); ++i)
      if (slots_[i]) out.push_back(slots_[i]);
    return out;
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  static constexpr std::size_t kSlack = 1024;

  static std::size_t lowbit(std::size_t i) { return i & (~i + 1); }

  // Live slots among the first `i`.
  std::size_t prefix(std::size_t i) const {
    std::size_t sum = 0;
    for (; i > 0; i -= lowbit(i)) sum += tree_[i - 1];
    return sum;
  }

  // The index of the k-th live slot (1-based k <= live_), by descending the tree.
  std::size_t nth(std::size_t k) const {
    std::size_t pos = 0, step = 1;
    while (step * 2 <= tree_.size()) step *= 2;
    for (; step > 0; step /= 2)
      if (pos + step <= tree_.size() && tree_[pos + step - 1] < k) {
        pos += step;
        k -= tree_[pos - 1];
      }
    return pos;  // slot pos + 1 in 1-based terms
  }

  std::size_t slot_of(std::uint64_t arrival) const {
    auto it = std::lower_bound(arrivals_.begin(), arrivals_.end(), arrival);
    if (it == arrivals_.end() || *it != arrival) return kNone;
    const auto i = static_cast<std::size_t>(it - arrivals_.begin());
    return slots_[i] ? i : kNone;
  }

  void compact() {
    std::size_t w = 0;
    for (std::size_t r = 0; r < slots_.size(); ++r)
      if (slots_[r]) {
        arrivals_[w] = arrivals_[r];
        slots_[w++] = std::move(slots_[r]);
      }
    arrivals_.resize(w);
    slots_.resize(w);
    arrivals_.shrink_to_fit();
    slots_.shrink_to_fit();
    tree_.assign(w, 1);
    for (std::size_t i = 1; i <= w; ++i)
      if (std::size_t j = i + lowbit(i); j <= w) tree_[j - 1] += tree_[i - 1];
    tree_.shrink_to_fit();
  }

  std::vector<std::uint64_t> arrivals_;  // ascending
  std::vector<MessagePtr> slots_;        // null: removed
  std::vector<std::uint32_t> tree_;      // Fenwick tree over live slots, 1-based
  std::size_t live_ = 0;
};

}  // namespace mailroom::store
