#pragma once

// The revoked tokens a gateway process knows of, as immutable snapshots.
//
// One writer (the etcd watcher's thread) builds a new RevokedSet for every
// change and publishes it; any number of worker threads ask isRevoked() on
// the request path without taking a lock (a SnapshotStore).
//
// Example:
//   RevocationStore store;
//   store.publish(std::make_shared<const RevokedSet>(RevokedSet({"jti-1"})));
//   if (store.isRevoked(jwt.jti, jwt.signature_segment)) reject();
//
// Thread-safety: publish() from one thread at a time; isRevoked()/snapshot()
// from any thread.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "gateway/common/snapshot_store.h"

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
  // True when `jti` or `signature_segment` is revoked (empty values never are).
  bool isRevoked(std::string_view jti, std::string_view signature_segment) const {
    const RevokedSet& set = sets_.current();
    if (set.size() == 0) return false;
    return set.contains(jti) || set.contains(signature_segment);
  }

  // Replaces the snapshot (null: none revoked); readers see it on their next call.
  void publish(RevokedSetConstPtr set) { sets_.publish(std::move(set)); }

  // The current snapshot (never null).
  RevokedSetConstPtr snapshot() const { return sets_.snapshot(); }

  // Number of publish() calls so far.
  uint64_t version() const { return sets_.version(); }

 private:
  SnapshotStore<RevokedSet> sets_;
};

}  // namespace gw::filters::token_revocation
