// Threads for the work that may block and must not hold up the network
// threads: Python hooks (on_message, a users callable) and the fsync of the
// mailbox store and the spool. Jobs run in the order given, several at once;
// each posts its answer back onto its connection's strand.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mailroom::engine {

class BlockingWork {
 public:
  BlockingWork() = default;
  ~BlockingWork() { stop(); }
  BlockingWork(const BlockingWork&) = delete;
  BlockingWork& operator=(const BlockingWork&) = delete;

  void start(unsigned threads);
  // Runs `job` on one of the threads; inline when not started.
  void post(std::function<void()> job);
  // Runs what is queued, then joins the threads.
  void stop();

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  bool running_ = false;
};

}  // namespace mailroom::engine
