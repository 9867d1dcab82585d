#include "gateway/discovery/endpoint_store.h"

namespace gw::discovery {
namespace {

std::atomic<uint64_t> next_store_id{1};

// One thread's reference to the snapshot of the store it read last.
struct ThreadCache {
  uint64_t store = 0;
  uint64_t version = 0;
  DiscoveredUrlsConstPtr urls;
};
thread_local ThreadCache cache;

}  // namespace

EndpointStore::EndpointStore()
    : id_(next_store_id.fetch_add(1)), urls_(std::make_shared<const DiscoveredUrls>()) {}

EndpointUrlConstPtr EndpointStore::lookup(std::string_view key) const {
  const uint64_t v = version_.load(std::memory_order_acquire);
  if (cache.store != id_ || cache.version != v || !cache.urls) {
    std::lock_guard<std::mutex> lock(mu_);
    cache.store = id_;
    cache.version = version_.load(std::memory_order_relaxed);
    cache.urls = urls_;
  }
  auto it = cache.urls->find(absl::string_view(key.data(), key.size()));
  return it == cache.urls->end() ? nullptr : it->second;
}

void EndpointStore::publish(DiscoveredUrlsConstPtr urls) {
  if (!urls) urls = std::make_shared<const DiscoveredUrls>();
  std::lock_guard<std::mutex> lock(mu_);
  urls_ = std::move(urls);
  version_.fetch_add(1, std::memory_order_release);
}

DiscoveredUrlsConstPtr EndpointStore::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return urls_;
}

EndpointStore& processEndpointStore() {
  static EndpointStore* store = new EndpointStore();  // never destroyed: read at exit
  return *store;
}

}  // namespace gw::discovery
