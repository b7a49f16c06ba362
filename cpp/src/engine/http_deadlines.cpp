#include "http_deadlines.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace mailroom::engine {

namespace {

class Deadlines {
 public:
  ~Deadlines() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void add(std::chrono::milliseconds delay, std::function<void()> fn) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      due_.emplace(std::chrono::steady_clock::now() + delay, std::move(fn));
      if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    }
    wake_.notify_all();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (due_.empty()) {
        wake_.wait(lock);
        continue;
      }
      auto first = due_.begin();
      if (first->first > std::chrono::steady_clock::now()) {
        wake_.wait_until(lock, first->first);
        continue;
      }
      auto fn = std::move(first->second);
      due_.erase(first);
      lock.unlock();
      try {
        fn();
      } catch (...) {
      }
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> due_;
  std::thread thread_;
  bool stopping_ = false;
};

}  // namespace

void run_after(std::chrono::milliseconds delay, std::function<void()> callback) {
  static Deadlines deadlines;
  deadlines.add(delay, std::move(callback));
}

}  // namespace mailroom::engine
