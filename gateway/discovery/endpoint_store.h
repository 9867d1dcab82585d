#pragma once

// The backend URLs service discovery found in etcd, as immutable snapshots:
// etcd key -> the EndpointUrl its value names. The router asks lookup() for an
// endpoint written etcd(<key>, <defaultUrl>) on every request; no answer means
// the default URL (etcd never answered, the key is absent, or discovery is off).
//
// One writer (the discovery thread) publishes a whole new snapshot for every
// change; any number of worker threads read without a lock: each thread keeps
// its own reference to the snapshot it read last and refreshes it only when
// the store's version counter (one atomic load) moved.
//
// Example:
//   EndpointStore& store = processEndpointStore();
//   std::shared_ptr<const conf::EndpointUrl> url = store.lookup("petstore");
//   const conf::EndpointUrl& target = url ? *url : configured_default;
//
// Thread-safety: publish() from one thread at a time; lookup() and
// snapshot() from any thread. A returned EndpointUrl stays valid as long as
// the caller holds it, whatever is published meanwhile.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "conf/config.h"

namespace gw::discovery {

using EndpointUrlConstPtr = std::shared_ptr<const conf::EndpointUrl>;
// etcd key -> the URL its value names. Immutable once published.
using DiscoveredUrls = absl::flat_hash_map<std::string, EndpointUrlConstPtr>;
using DiscoveredUrlsConstPtr = std::shared_ptr<const DiscoveredUrls>;

class EndpointStore {
 public:
  EndpointStore();

  // The URL etcd gave for `key`, or null (use the default URL).
  EndpointUrlConstPtr lookup(std::string_view key) const;

  // Replaces the snapshot; readers see it on their next lookup().
  void publish(DiscoveredUrlsConstPtr urls);

  // The current snapshot (never null).
  DiscoveredUrlsConstPtr snapshot() const;

  // Number of publish() calls so far.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  const uint64_t id_;  // tells this store's per-thread cache from another's
  std::atomic<uint64_t> version_{0};
  mutable std::mutex mu_;  // guards urls_; taken by readers only when version_ moved
  DiscoveredUrlsConstPtr urls_;
};

// The store the router of this process reads. Never destroyed.
EndpointStore& processEndpointStore();

}  // namespace gw::discovery
