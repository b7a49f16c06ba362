#include "mailroom/imap/sequence_set.hpp"

#include <algorithm>

#include "mailroom/imap/arguments.hpp"

namespace mailroom::imap {

std::string compact_set(const std::vector<std::uint32_t>& n) {
  std::string s;
  for (std::size_t i = 0; i < n.size();) {
    std::size_t j = i;
    while (j + 1 < n.size() && n[j + 1] == n[j] + 1) ++j;
    if (!s.empty()) s.push_back(',');
    s += std::to_string(n[i]);
    if (j > i) s.append(":").append(std::to_string(n[j]));
    i = j + 1;
  }
  return s;
}

std::vector<std::uint32_t> expand_sequence_set(std::string_view text, std::size_t max) {
  Arguments a(text);
  const SequenceSet set = a.sequence_set();
  a.end();
  if (set.saved) throw SyntaxError("Expected numbers, not '$'");
  std::vector<std::uint32_t> out;
  for (const SequenceRange& r : set.ranges) {
    if (r.first == 0 || r.last == 0) throw SyntaxError("Expected numbers, not '*'");
    const std::uint32_t lo = std::min(r.first, r.last), hi = std::max(r.first, r.last);
    if (hi - lo >= max || out.size() + (hi - lo) + 1 > max)
      throw SyntaxError("Sequence set larger than " + std::to_string(max) + " numbers");
    for (std::uint64_t v = lo; v <= hi; ++v) out.push_back(static_cast<std::uint32_t>(v));
  }
  return out;
}

}  // namespace mailroom::imap
