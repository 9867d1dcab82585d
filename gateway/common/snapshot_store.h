#pragma once

// An immutable value published by one writer thread and read by many worker
// threads without a lock on the request path.
//
// The writer builds a whole new T for every change and publish()es it. A
// reader's current() returns the snapshot this thread read last, refreshed
// (under a short mutex) only when the store's version counter says a newer
// one was published: one atomic load per read in the steady state.
//
// Example:
//   SnapshotStore<absl::flat_hash_set<std::string>> revoked;
//   revoked.publish(std::make_shared<const absl::flat_hash_set<std::string>>(ids));
//   bool hit = revoked.current().contains(jti);   // any thread
//
// Thread-safety: publish() from one thread at a time; current(), snapshot()
// and version() from any thread. The reference current() returns stays valid
// until the same thread calls current() on a store of the same T again; hold
// snapshot() (a shared_ptr) to keep a value longer.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace gw {

template <typename T>
class SnapshotStore {
 public:
  using ConstPtr = std::shared_ptr<const T>;

  SnapshotStore() : id_(nextId()), value_(std::make_shared<const T>()) {}

  const T& current() const {
    ThreadCache& cache = threadCache();
    const uint64_t v = version_.load(std::memory_order_acquire);
    if (cache.store != id_ || cache.version != v || !cache.value) {
      std::lock_guard<std::mutex> lock(mu_);
      cache.store = id_;
      cache.version = version_.load(std::memory_order_relaxed);
      cache.value = value_;
    }
    return *cache.value;
  }

  // Replaces the snapshot (null: an empty T); readers see it on their next current().
  void publish(ConstPtr value) {
    if (!value) value = std::make_shared<const T>();
    std::lock_guard<std::mutex> lock(mu_);
    value_ = std::move(value);
    version_.fetch_add(1, std::memory_order_release);
  }

  // The current snapshot (never null).
  ConstPtr snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    return value_;
  }

  // Number of publish() calls so far.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  // One thread's reference to the snapshot of the store (of this T) it read last.
  struct ThreadCache {
    uint64_t store = 0;
    uint64_t version = 0;
    ConstPtr value;
  };
  static ThreadCache& threadCache() {
    thread_local ThreadCache cache;
    return cache;
  }
  static uint64_t nextId() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1);
  }

  const uint64_t id_;  // tells this store's per-thread cache entry from another's
  std::atomic<uint64_t> version_{0};
  mutable std::mutex mu_;  // guards value_; taken by readers only when version_ moved
  ConstPtr value_;
};

}  // namespace gw
