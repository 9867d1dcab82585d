#include "gateway/router/circuit_breaker.h"

#include <algorithm>

namespace gw::router {

CircuitBreaker::CircuitBreaker(const conf::CircuitBreakerConfig& config)
    : config_(config),
      bucket_count_(
          std::max<int64_t>(1, (int64_t{config.time_window_ms} + config.bucket_size_ms - 1) /
                                   std::max<int64_t>(1, config.bucket_size_ms))),
      buckets_(std::make_unique<Bucket[]>(bucket_count_)) {}

bool CircuitBreaker::countsAsFailure(int status) const {
  return std::find(config_.status_codes.begin(), config_.status_codes.end(), status) !=
         config_.status_codes.end();
}

CircuitBreaker::Admission CircuitBreaker::admit(int64_t now_ms) {
  int s = state_.load(std::memory_order_acquire);
  if (s == static_cast<int>(State::Closed)) return Admission::Allowed;
  const int64_t reset = config_.reset_time_ms;
  if (s == static_cast<int>(State::Open)) {
    if (now_ms - opened_at_ms_.load(std::memory_order_acquire) < reset) return Admission::Rejected;
    // The first caller past the reset time moves to half-open and is the probe.
    probe_started_ms_.store(now_ms, std::memory_order_release);
    if (state_.compare_exchange_strong(s, static_cast<int>(State::HalfOpen),
                                       std::memory_order_acq_rel)) {
      return Admission::Probe;
    }
    if (s != static_cast<int>(State::HalfOpen)) return admit(now_ms);
  }
  // Half-open: one probe at a time; a probe silent for resetTimeInMillis is replaced.
  int64_t started = probe_started_ms_.load(std::memory_order_acquire);
  if (now_ms - started >= reset &&
      probe_started_ms_.compare_exchange_strong(started, now_ms, std::memory_order_acq_rel)) {
    return Admission::Probe;
  }
  return Admission::Rejected;
}

CircuitBreaker::Transition CircuitBreaker::onOutcome(int64_t now_ms, bool failed, bool probe) {
  if (probe) {
    int expected = static_cast<int>(State::HalfOpen);
    if (failed) {
      opened_at_ms_.store(now_ms, std::memory_order_release);
      if (state_.compare_exchange_strong(expected, static_cast<int>(State::Open),
                                         std::memory_order_acq_rel)) {
        return Transition::Reopened;
      }
      return Transition::None;
    }
    clearWindow();
    if (state_.compare_exchange_strong(expected, static_cast<int>(State::Closed),
                                       std::memory_order_acq_rel)) {
      return Transition::Closed;
    }
    return Transition::None;
  }
  if (state() != State::Closed) return Transition::None;  // admitted before it opened
  record(now_ms, failed);
  if (!failed || !tripped(now_ms)) return Transition::None;
  int expected = static_cast<int>(State::Closed);
  opened_at_ms_.store(now_ms, std::memory_order_release);
  if (state_.compare_exchange_strong(expected, static_cast<int>(State::Open),
                                     std::memory_order_acq_rel)) {
    return Transition::Opened;
  }
  return Transition::None;
}

void CircuitBreaker::onProbeAbandoned() {
  // Let the next request probe at once.
  probe_started_ms_.fetch_sub(config_.reset_time_ms, std::memory_order_acq_rel);
}

int64_t CircuitBreaker::msUntilProbe(int64_t now_ms) const {
  if (state() != State::Open) return 0;
  const int64_t left =
      opened_at_ms_.load(std::memory_order_acquire) + config_.reset_time_ms - now_ms;
  return std::max<int64_t>(0, left);
}

void CircuitBreaker::record(int64_t now_ms, bool failed) {
  const int64_t index = now_ms / std::max<int64_t>(1, config_.bucket_size_ms);
  Bucket& b = buckets_[index % bucket_count_];
  int64_t held = b.index.load(std::memory_order_acquire);
  if (held != index && b.index.compare_exchange_strong(held, index, std::memory_order_acq_rel)) {
    b.total.store(0, std::memory_order_relaxed);
    b.failures.store(0, std::memory_order_relaxed);
  }
  b.total.fetch_add(1, std::memory_order_relaxed);
  if (failed) b.failures.fetch_add(1, std::memory_order_relaxed);
}

CircuitBreaker::Window CircuitBreaker::window(int64_t now_ms) const {
  const int64_t index = now_ms / std::max<int64_t>(1, config_.bucket_size_ms);
  Window w;
  for (int64_t i = 0; i < bucket_count_; ++i) {
    const Bucket& b = buckets_[i];
    const int64_t held = b.index.load(std::memory_order_acquire);
    if (held < 0 || held > index || held <= index - bucket_count_) continue;
    w.total += b.total.load(std::memory_order_relaxed);
    w.failures += b.failures.load(std::memory_order_relaxed);
  }
  return w;
}

void CircuitBreaker::clearWindow() {
  for (int64_t i = 0; i < bucket_count_; ++i)
    buckets_[i].index.store(-1, std::memory_order_release);
}

bool CircuitBreaker::tripped(int64_t now_ms) const {
  const Window w = window(now_ms);
  if (w.total == 0 || w.total < config_.request_volume_threshold) return false;
  return static_cast<double>(w.failures) / static_cast<double>(w.total) > config_.failure_threshold;
}

}  // namespace gw::router
