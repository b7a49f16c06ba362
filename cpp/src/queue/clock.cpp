#include "mailroom/queue/clock.hpp"

#include <chrono>
#include <stdexcept>

namespace mailroom::queue {

double real_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Clock::Clock(bool manual) : manual_(manual), manual_now_(real_time()) {}

double Clock::now() const { return manual_ ? manual_now_.load() : real_time(); }

void Clock::set(double t) {
  if (!manual_) throw std::logic_error("only a manual clock can be moved");
  double cur = manual_now_.load();
  while (t > cur && !manual_now_.compare_exchange_weak(cur, t)) {
  }
}

}  // namespace mailroom::queue
