#pragma once

// httpClients.poolConfig.maxActiveConnections: at most N connections per pool
// key (backend and route) being set up or in use, across all workers of the
// process (idle pooled connections do not count: a waiter may take one).
// A connect over the cap waits: it is woken when a slot of its own connector
// frees, and retries every kRetryInterval for slots freed on other workers.
//
// The per-key counts are process-wide (one table shared by every connector,
// so that the cap holds whatever worker a request lands on); the waiters are
// per connector. Internal to //proxy_connector:connector_impl.
// Thread-safety: a ConnectionLimit and its slots and waiters belong to their
// connector's thread; the shared table locks.

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>

namespace gw::proxy {

class ConnectionLimit {
 public:
  static constexpr std::chrono::milliseconds kRetryInterval{20};

  // A held place under the cap; gives it back when destroyed. Must not outlive
  // the ConnectionLimit.
  class Slot {
   public:
    Slot(ConnectionLimit* limit, std::string key) : limit_(limit), key_(std::move(key)) {}
    ~Slot() {
      if (limit_ != nullptr) limit_->release(key_);
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    ConnectionLimit* limit_;  // null: unlimited, nothing counted
    const std::string key_;
  };
  using SlotPtr = std::unique_ptr<Slot>;

  // Told that a place for its key may be free now. Called inline from whatever
  // freed it: an implementation only schedules its retry.
  class Waiter {
   public:
    virtual ~Waiter() = default;
    virtual void onMaybeFree() = 0;
  };

  explicit ConnectionLimit(int64_t max_per_key) : max_(max_per_key) {}

  bool limited() const { return max_ > 0; }
  int64_t max() const { return max_; }

  // A slot for `key`, or null when `key` already has max() of them (in this
  // process).
  SlotPtr tryAcquire(const std::string& key);
  // Queues `waiter` until the next wake-up for `key`; it must call cancel()
  // before it goes away if it is still queued.
  void wait(const std::string& key, Waiter& waiter);
  void cancel(const std::string& key, Waiter& waiter);
  // Slots held for `key` in this process (for tests).
  static int64_t inUse(const std::string& key);

 private:
  void release(const std::string& key);

  const int64_t max_;
  std::map<std::string, std::list<Waiter*>> waiters_;
};

}  // namespace gw::proxy
