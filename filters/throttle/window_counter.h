#pragma once

// Exact request counts per throttle key in fixed windows. A key's window
// starts at its first request and lasts `window_ms`; the next request after
// it starts a new one. Counts are exact: the N+1st request of a window is
// refused, whichever worker sees it.
//
// Thread-safety: shared by all workers. Keys hash to one of kShards shards,
// each with its own mutex held for one hash-map update, so there is no global
// lock on the request path. Windows that ended are swept from a shard when it
// has grown to twice its size after the last sweep.

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace gw::filters::throttle {

class WindowCounters {
 public:
  struct Result {
    bool allowed = true;
    int64_t window_end_ms = 0;  // when the key's current window ends
  };

  // Counts one request for `key` at `now_ms` against `limit` per `window_ms`.
  // A refused request is not counted.
  Result consume(std::string_view key, int64_t limit, int64_t window_ms, int64_t now_ms);

  // Keys held (tests).
  size_t size() const;

 private:
  static constexpr size_t kShards = 64;
  struct Slot {
    int64_t window_start_ms = 0;
    int64_t window_ms = 0;
    int64_t count = 0;
  };
  struct Shard {
    mutable std::mutex mu;
    absl::flat_hash_map<std::string, Slot> slots;  // looked up by string_view: no copy
    size_t sweep_at = 1024;
  };
  static void sweep(Shard& shard, int64_t now_ms);

  Shard shards_[kShards];
};

}  // namespace gw::filters::throttle
