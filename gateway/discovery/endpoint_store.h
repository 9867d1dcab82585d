#pragma once

// The backend URLs service discovery found in etcd, as immutable snapshots:
// etcd key -> the EndpointUrl its value names. The router asks lookup() for an
// endpoint written etcd(<key>, <defaultUrl>) on every request; no answer means
// the default URL (etcd never answered, the key is absent, or discovery is off).
//
// One writer (the discovery thread) publishes a whole new snapshot for every
// change; any number of worker threads read without a lock (a SnapshotStore).
//
// Example:
//   EndpointStore& store = processEndpointStore();
//   std::shared_ptr<const conf::EndpointUrl> url = store.lookup("petstore");
//   const conf::EndpointUrl& target = url ? *url : configured_default;
//
// Thread-safety: publish() from one thread at a time; lookup() and
// snapshot() from any thread. A returned EndpointUrl stays valid as long as
// the caller holds it, whatever is published meanwhile.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "conf/config.h"
#include "gateway/common/snapshot_store.h"

namespace gw::discovery {

using EndpointUrlConstPtr = std::shared_ptr<const conf::EndpointUrl>;
// etcd key -> the URL its value names. Immutable once published.
using DiscoveredUrls = absl::flat_hash_map<std::string, EndpointUrlConstPtr>;
using DiscoveredUrlsConstPtr = std::shared_ptr<const DiscoveredUrls>;

class EndpointStore {
 public:
  // The URL etcd gave for `key`, or null (use the default URL).
  EndpointUrlConstPtr lookup(std::string_view key) const;

  // Replaces the snapshot (null: none); readers see it on their next lookup().
  void publish(DiscoveredUrlsConstPtr urls) { urls_.publish(std::move(urls)); }

  // The current snapshot (never null).
  DiscoveredUrlsConstPtr snapshot() const { return urls_.snapshot(); }

  // Number of publish() calls so far.
  uint64_t version() const { return urls_.version(); }

 private:
  SnapshotStore<DiscoveredUrls> urls_;
};

// The store the router of this process reads. Never destroyed.
EndpointStore& processEndpointStore();

}  // namespace gw::discovery
