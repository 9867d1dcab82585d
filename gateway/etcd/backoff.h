#pragma once

// Exponential back-off between reconnects to an internal service: `initial`,
// doubling, capped at `max`; reset() after a success. Not thread-safe.
//
// Example:
//   Backoff backoff(std::chrono::milliseconds(100), std::chrono::seconds(5));
//   retry_timer->enable(backoff.next());  // 100, 200, 400, ... 5000, 5000

#include <algorithm>
#include <chrono>

namespace gw::etcd {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_(initial), max_(max), next_(initial) {}
  std::chrono::milliseconds next() {
    const std::chrono::milliseconds now = next_;
    next_ = std::min(max_, next_ * 2);
    return now;
  }
  void reset() { next_ = initial_; }

 private:
  std::chrono::milliseconds initial_, max_, next_;
};

}  // namespace gw::etcd
