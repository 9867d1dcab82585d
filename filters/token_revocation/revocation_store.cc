#include "filters/token_revocation/revocation_store.h"

namespace gw::filters::token_revocation {
namespace {

std::atomic<uint64_t> next_store_id{1};

// One thread's reference to the snapshot of the store it read last.
struct ThreadCache {
  uint64_t store = 0;
  uint64_t version = 0;
  RevokedSetConstPtr set;
};
thread_local ThreadCache cache;

}  // namespace

RevocationStore::RevocationStore()
    : id_(next_store_id.fetch_add(1)), set_(std::make_shared<const RevokedSet>()) {}

const RevokedSet& RevocationStore::current() const {
  const uint64_t v = version_.load(std::memory_order_acquire);
  if (cache.store != id_ || cache.version != v || !cache.set) {
    std::lock_guard<std::mutex> lock(mu_);
    cache.store = id_;
    cache.version = version_.load(std::memory_order_relaxed);
    cache.set = set_;
  }
  return *cache.set;
}

bool RevocationStore::isRevoked(std::string_view jti, std::string_view signature_segment) const {
  const RevokedSet& set = current();
  if (set.size() == 0) return false;
  return set.contains(jti) || set.contains(signature_segment);
}

void RevocationStore::publish(RevokedSetConstPtr set) {
  if (!set) set = std::make_shared<const RevokedSet>();
  std::lock_guard<std::mutex> lock(mu_);
  set_ = std::move(set);
  version_.fetch_add(1, std::memory_order_release);
}

RevokedSetConstPtr RevocationStore::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return set_;
}

}  // namespace gw::filters::token_revocation
