// libFuzzer target for the queue's spool files: any octets as a queue file
// and as its state file load or are refused, never crash, and what loads
// writes back to the same entry (DSN parameters included).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "mailroom/queue/spool.hpp"

using namespace mailroom::queue;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // The queue file, then "\n--state--\n" and the state file.
  static constexpr std::string_view kSplit = "\n--state--\n";
  const auto cut = in.find(kSplit);
  const std::string_view entry_bytes = in.substr(0, cut);
  const std::string_view state_bytes =
      cut == std::string_view::npos ? std::string_view() : in.substr(cut + kSplit.size());
  QueueEntry e;
  if (!Spool::decode_entry(entry_bytes, e)) {
    // Still a valid entry to apply state to.
    e = QueueEntry{};
    e.id = "X";
    e.rcpts.resize(2);
  } else {
    REQUIRE(!e.id.empty() && !e.rcpts.empty() && e.data);
    QueueEntry again;
    REQUIRE(Spool::decode_entry(Spool::encode_entry(e), again));
    REQUIRE(again.id == e.id && again.rcpts.size() == e.rcpts.size() && *again.data == *e.data);
    // The DSN parameters (RFC 3461) come back as they were.
    REQUIRE(again.dsn.ret == e.dsn.ret && again.dsn.has_envid == e.dsn.has_envid &&
            again.dsn.envid == e.dsn.envid);
    for (std::size_t i = 0; i < e.rcpts.size(); ++i)
      REQUIRE(again.rcpts[i].dsn.notify == e.rcpts[i].dsn.notify &&
              again.rcpts[i].dsn.orcpt_type == e.rcpts[i].dsn.orcpt_type &&
              again.rcpts[i].dsn.orcpt == e.rcpts[i].dsn.orcpt);
  }
  const std::size_t n = e.rcpts.size();
  Spool::apply_state(state_bytes, e);
  REQUIRE(e.rcpts.size() == n);
  QueueEntry copy = e;
  Spool::apply_state(Spool::encode_state(e), copy);
  for (std::size_t i = 0; i < n; ++i) REQUIRE(copy.rcpts[i].status == e.rcpts[i].status);
  return 0;
}
