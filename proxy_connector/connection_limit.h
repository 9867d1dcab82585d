#pragma once

// httpClients.poolConfig.maxActiveConnections: at most N connections per pool
// key (backend and route), counting those being set up, in use and idle.
// A connect over the cap waits; every time a slot frees or a connection goes
// idle, the waiters for that key are woken and try again.
// Internal to //proxy_connector:connector_impl. Thread-safety: none; one per
// connector, on its dispatcher's thread.

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>

namespace gw::proxy {

class ConnectionLimit {
 public:
  // A held place under the cap; gives it back when destroyed. Must not outlive
  // the ConnectionLimit.
  class Slot {
   public:
    Slot(ConnectionLimit& limit, std::string key) : limit_(limit), key_(std::move(key)) {}
    ~Slot() { limit_.release(key_); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    ConnectionLimit& limit_;
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
  ~ConnectionLimit();

  bool limited() const { return max_ > 0; }
  int64_t max() const { return max_; }

  // A slot for `key`, or null when `key` already has max() of them.
  SlotPtr tryAcquire(const std::string& key);
  // Queues `waiter` until the next wake-up for `key`; it must call cancel()
  // before it goes away if it is still queued.
  void wait(const std::string& key, Waiter& waiter);
  void cancel(const std::string& key, Waiter& waiter);
  // A connection for `key` went idle in the pool: waiters may take it.
  void notifyIdle(const std::string& key) { wake(key); }
  int64_t inUse(const std::string& key) const;

 private:
  struct Entry {
    int64_t held = 0;
    std::list<Waiter*> waiters;
  };
  void release(const std::string& key);
  void wake(const std::string& key);

  const int64_t max_;
  std::map<std::string, Entry> entries_;
};

}  // namespace gw::proxy
