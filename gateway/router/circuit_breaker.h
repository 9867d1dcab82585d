#pragma once

// A circuit breaker for one endpoint URL of an API's endpoint set
// (advanceEndpointConfig.circuitBreaker), shared by all workers.
//
// Closed: requests pass; each outcome goes into a rolling window of
// timeWindowInMillis cut into buckets of bucketSizeInMillis. When the window
// holds at least requestVolumeThreshold requests and the ratio of failures is
// above failureThreshold, the breaker opens. Open: requests are refused at once
// (the router answers 503) for resetTimeInMillis. Then the first request is let
// through as a probe (half-open) while the others are still refused; its
// success closes the breaker with an empty window, its failure opens it again.
// A probe that ends without an outcome (the client left) frees the slot; a
// probe that never reports frees it after resetTimeInMillis.
//
// Thread-safety: every method may be called from any worker at once. State
// and counters are atomics; nothing takes a lock. Counts are exact except at a
// bucket rollover raced by another worker, where an outcome may be dropped.
// Time is passed in (milliseconds of a monotonic clock), so tests drive it.
//
// Example:
//
//   CircuitBreaker cb(config);
//   CircuitBreaker::Admission a = cb.admit(now_ms);
//   if (a == CircuitBreaker::Admission::Rejected) { /* 503 */ }
//   ...
//   cb.onOutcome(now_ms, /*failed=*/true, a == CircuitBreaker::Admission::Probe);

#include <atomic>
#include <cstdint>
#include <memory>

#include "conf/config.h"

namespace gw::router {

class CircuitBreaker {
 public:
  enum class State : int { Closed = 0, Open = 1, HalfOpen = 2 };  // values are the metric's
  enum class Admission { Allowed, Probe, Rejected };
  // What an outcome changed, for the caller's log line and metrics.
  enum class Transition { None, Opened, Reopened, Closed };

  // `config` is copied.
  explicit CircuitBreaker(const conf::CircuitBreakerConfig& config);

  Admission admit(int64_t now_ms);
  // Records one request's outcome; `probe` when admit() returned Probe for it.
  Transition onOutcome(int64_t now_ms, bool failed, bool probe);
  // A request admitted as a probe ended without an outcome.
  void onProbeAbandoned();

  State state() const { return static_cast<State>(state_.load(std::memory_order_acquire)); }
  // Milliseconds until an open breaker lets a probe through (0 when it would now).
  int64_t msUntilProbe(int64_t now_ms) const;
  // Requests and failures in the rolling window at `now_ms`.
  struct Window {
    uint64_t total = 0;
    uint64_t failures = 0;
  };
  Window window(int64_t now_ms) const;
  bool countsAsFailure(int status) const;
  const conf::CircuitBreakerConfig& config() const { return config_; }

 private:
  struct Bucket {
    std::atomic<int64_t> index{-1};  // now_ms / bucket_size_ms of the counts held
    std::atomic<uint64_t> total{0};
    std::atomic<uint64_t> failures{0};
  };
  void record(int64_t now_ms, bool failed);
  void clearWindow();
  bool tripped(int64_t now_ms) const;

  const conf::CircuitBreakerConfig config_;
  const int64_t bucket_count_;
  std::unique_ptr<Bucket[]> buckets_;
  std::atomic<int> state_{static_cast<int>(State::Closed)};
  std::atomic<int64_t> opened_at_ms_{0};
  std::atomic<int64_t> probe_started_ms_{0};
};

}  // namespace gw::router
