#include "proxy_connector/connection_limit.h"

#include <cassert>
#include <utility>

namespace gw::proxy {

ConnectionLimit::~ConnectionLimit() = default;

ConnectionLimit::SlotPtr ConnectionLimit::tryAcquire(const std::string& key) {
  Entry& e = entries_[key];
  if (limited() && e.held >= max_) return nullptr;
  ++e.held;
  return std::make_unique<Slot>(*this, key);
}

void ConnectionLimit::wait(const std::string& key, Waiter& waiter) {
  entries_[key].waiters.push_back(&waiter);
}

void ConnectionLimit::cancel(const std::string& key, Waiter& waiter) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  it->second.waiters.remove(&waiter);
  if (it->second.held == 0 && it->second.waiters.empty()) entries_.erase(it);
}

int64_t ConnectionLimit::inUse(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? 0 : it->second.held;
}

void ConnectionLimit::release(const std::string& key) {
  auto it = entries_.find(key);
  assert(it != entries_.end() && it->second.held > 0);
  if (it == entries_.end()) return;
  --it->second.held;
  if (it->second.held == 0 && it->second.waiters.empty()) {
    entries_.erase(it);
    return;
  }
  wake(key);
}

void ConnectionLimit::wake(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.waiters.empty()) return;
  // All of them: each retries on its own timer, and whoever finds no room
  // queues again. Waking one could lose the wake-up if that one went away.
  std::list<Waiter*> woken;
  woken.swap(it->second.waiters);
  for (Waiter* w : woken) w->onMaybeFree();
}

}  // namespace gw::proxy
