#include "blocking_work.hpp"

namespace mailroom::engine {

void BlockingWork::start(unsigned threads) {
  std::lock_guard lock(mutex_);
  if (running_) return;
  running_ = true;
  for (unsigned i = 0; i < std::max(threads, 1u); ++i)
    threads_.emplace_back([this] {
      std::unique_lock l(mutex_);
      for (;;) {
        wake_.wait(l, [this] { return !jobs_.empty() || !running_; });
        if (jobs_.empty()) return;  // stopped and drained
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        l.unlock();
        job();
        l.lock();
      }
    });
}

void BlockingWork::post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (running_) {
      jobs_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  job();
}

void BlockingWork::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    running_ = false;
    threads.swap(threads_);
  }
  wake_.notify_all();
  for (auto& t : threads) t.join();
}

}  // namespace mailroom::engine
