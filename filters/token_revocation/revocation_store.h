#pragma once

// The revoked tokens a gateway process knows of, as immutable snapshots.
//
// One writer (the etcd watcher's thread) builds a new RevokedSet for every
// change and publishes it; any number of worker threads ask isRevoked() on
// the request path without taking a lock: each thread keeps its own
// reference to the current snapshot and refreshes it only when the store's
// version counter (one atomic load) says a newer one was published.
//
// Example:
//   RevocationStore store;
//   store.publish(std::make_shared<const RevokedSet>(RevokedSet({"jti-1"})));
//   if (store.isRevoked(jwt.jti, jwt.signature_segment)) reject();
//
// Thread-safety: publish() from one thread at a time; isRevoked()/snapshot()
// from any thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace gw::filters::token_revocation {

// An immutable set of revoked ids: a token's `jti` or its signature segment
// (WSO2 revokes by either).
class RevokedSet {
 public:
  RevokedSet() = default;
  explicit RevokedSet(absl::flat_hash_set<std::string> ids) : ids_(std::move(ids)) {}
  bool contains(std::string_view id) const {
    return !id.empty() && ids_.contains(absl::string_view(id.data(), id.size()));
  }
  size_t size() const { return ids_.size(); }
  const absl::flat_hash_set<std::string>& ids() const { return ids_; }

 private:
  absl::flat_hash_set<std::string> ids_;
};
using RevokedSetConstPtr = std::shared_ptr<const RevokedSet>;

class RevocationStore {
 public:
  RevocationStore();

  // True when `jti` or `signature_segment` is revoked (empty values never are).
  bool isRevoked(std::string_view jti, std::string_view signature_segment) const;

  // Replaces the snapshot; readers see it on their next call.
  void publish(RevokedSetConstPtr set);

  // The current snapshot (never null).
  RevokedSetConstPtr snapshot() const;

  // Number of publish() calls so far.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  const RevokedSet& current() const;

  const uint64_t id_;  // tells this store's per-thread cache from another's
  std::atomic<uint64_t> version_{0};
  mutable std::mutex mu_;  // guards set_; taken by readers only when version_ moved
  RevokedSetConstPtr set_;
};

}  // namespace gw::filters::token_revocation
