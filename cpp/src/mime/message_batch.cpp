#include "mailroom/mime/message_batch.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

namespace mailroom::mime {

std::vector<std::shared_ptr<ParsedMessage>> parse_messages(std::vector<std::string> raws,
                                                           const Limits& limits,
                                                           unsigned threads) {
  std::vector<std::shared_ptr<ParsedMessage>> out(raws.size());
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t useful = raws.size() / 16 + 1;
  const unsigned n = static_cast<unsigned>(std::min<std::size_t>(threads, useful));
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < raws.size();) {
      out[i] = parse_message(std::move(raws[i]), limits);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(n > 0 ? n - 1 : 0);
  for (unsigned t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return out;
}

}  // namespace mailroom::mime
