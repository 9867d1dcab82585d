#pragma once

// Throttle keys the traffic manager has blocked, with their expiry, polled
// from its decision endpoint (README "Throttling"). The endpoint answers
//
//   {"decisions": [{"throttleKey": "/pets/v1:1.0.0", "isThrottled": true,
//                   "expiryTimeStamp": 1767225600000}, ...]}
//
// (a bare array is accepted too): the full current list each time, so a key
// missing from an answer is no longer blocked. expiryTimeStamp is in epoch
// milliseconds; an entry with isThrottled false, or whose expiry has passed,
// blocks nothing.
//
// Thread-safety: replace() (the poller's thread) publishes an immutable
// snapshot; blockedUntil() (workers) reads it without a lock, and skips the
// lookup entirely while the list is empty.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

namespace gw::filters::throttle {

struct Decision {
  std::string throttle_key;
  bool is_throttled = false;
  int64_t expiry_ms = 0;
};

// Parses a decision endpoint answer; entries without a string throttleKey are
// an error (the whole answer is refused, the old list kept).
absl::StatusOr<std::vector<Decision>> parseDecisions(std::string_view body);

class BlockedKeys {
 public:
  void replace(const std::vector<Decision>& decisions);
  // The expiry (epoch ms) of `key`'s block when it is blocked at `now_ms`, else 0.
  int64_t blockedUntil(std::string_view key, int64_t now_ms) const;
  bool empty() const { return !any_.load(std::memory_order_acquire); }

 private:
  using Map = std::unordered_map<std::string, int64_t>;
  std::shared_ptr<const Map> map_ = std::make_shared<const Map>();  // atomic_load/store only
  std::atomic<bool> any_{false};
};

}  // namespace gw::filters::throttle
