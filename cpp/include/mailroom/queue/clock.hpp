// The queue's clock: real time, or a manual clock that only moves when told
// to, so a five-day retry schedule runs in milliseconds in tests and notebooks.
#pragma once

#include <atomic>

namespace mailroom::queue {

// Seconds since the epoch, as a double.
double real_time();

class Clock {
 public:
  // A manual clock starts at the real time of its creation.
  explicit Clock(bool manual = false);

  double now() const;
  bool manual() const { return manual_; }
  // Manual clocks only: moves to `t` (never backwards). Throws
  // std::logic_error on a real clock.
  void set(double t);

 private:
  bool manual_;
  std::atomic<double> manual_now_;
};

}  // namespace mailroom::queue
