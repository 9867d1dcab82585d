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
//
// A key is hashed once per consume(), for its shard and its map slot alike; a
// key known at start-up (an operation's API or resource key) can carry its
// hash (HashedKey) and is not hashed per request.

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace gw::filters::throttle {

// A key with its hash (WindowCounters::hashOf); views `key`, which must
// outlive it.
struct HashedKey {
  std::string_view key;
  size_t hash = 0;
};

class WindowCounters {
 public:
  struct Result {
    bool allowed = true;
    int64_t window_end_ms = 0;  // when the key's current window ends
  };

  // The hash consume() uses (absl::Hash: seeded per process, so it is only
  // kept for the process's lifetime).
  static size_t hashOf(std::string_view key);
  static HashedKey hashed(std::string_view key) { return {key, hashOf(key)}; }

  // Counts one request for `key` at `now_ms` against `limit` per `window_ms`.
  // A refused request is not counted.
  Result consume(std::string_view key, int64_t limit, int64_t window_ms, int64_t now_ms) {
    return consume(hashed(key), limit, window_ms, now_ms);
  }
  // The same for a key hashed already (`key.hash` must be hashOf(key.key)).
  Result consume(HashedKey key, int64_t limit, int64_t window_ms, int64_t now_ms);

  // Keys held (tests).
  size_t size() const;

 private:
  static constexpr size_t kShards = 64;
  struct Slot {
    int64_t window_start_ms = 0;
    int64_t window_ms = 0;
    int64_t count = 0;
  };
  // Hashing and equality that take a HashedKey as it is (no second hash).
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return hashOf(key); }
    size_t operator()(const HashedKey& key) const { return key.hash; }
  };
  struct KeyEq {
    using is_transparent = void;
    static std::string_view view(std::string_view key) { return key; }
    static std::string_view view(const HashedKey& key) { return key.key; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return view(a) == view(b);
    }
  };
  struct Shard {
    mutable std::mutex mu;
    absl::flat_hash_map<std::string, Slot, KeyHash, KeyEq> slots;  // found by HashedKey: no copy
    size_t sweep_at = 1024;
  };
  static void sweep(Shard& shard, int64_t now_ms);

  Shard shards_[kShards];
};

}  // namespace gw::filters::throttle
