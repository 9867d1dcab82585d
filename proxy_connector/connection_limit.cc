#include "proxy_connector/connection_limit.h"

#include <mutex>
#include <unordered_map>
#include <utility>

namespace gw::proxy {
namespace {

// Process-wide counts of held slots per key: state, not configuration.
struct SharedCounts {
  std::mutex mu;
  std::unordered_map<std::string, int64_t> held;
};

SharedCounts& counts() {
  static auto* shared = new SharedCounts();
  return *shared;
}

}  // namespace

ConnectionLimit::SlotPtr ConnectionLimit::tryAcquire(const std::string& key) {
  if (!limited()) return std::make_unique<Slot>(nullptr, std::string());  // nothing to give back
  SharedCounts& c = counts();
  std::lock_guard<std::mutex> lock(c.mu);
  int64_t& held = c.held[key];
  if (held >= max_) return nullptr;
  ++held;
  return std::make_unique<Slot>(this, key);
}

void ConnectionLimit::wait(const std::string& key, Waiter& waiter) {
  waiters_[key].push_back(&waiter);
}

void ConnectionLimit::cancel(const std::string& key, Waiter& waiter) {
  auto it = waiters_.find(key);
  if (it == waiters_.end()) return;
  it->second.remove(&waiter);
  if (it->second.empty()) waiters_.erase(it);
}

int64_t ConnectionLimit::inUse(const std::string& key) {
  SharedCounts& c = counts();
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.held.find(key);
  return it == c.held.end() ? 0 : it->second;
}

void ConnectionLimit::release(const std::string& key) {
  {
    SharedCounts& c = counts();
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.held.find(key);
    if (it != c.held.end() && --it->second <= 0) c.held.erase(it);
  }
  auto it = waiters_.find(key);
  if (it == waiters_.end()) return;
  // All of them: each retries on its own timer, and whoever finds no room
  // queues again. Waking one could lose the wake-up if that one went away.
  std::list<Waiter*> woken;
  woken.swap(it->second);
  waiters_.erase(it);
  for (Waiter* w : woken) w->onMaybeFree();
}

}  // namespace gw::proxy
