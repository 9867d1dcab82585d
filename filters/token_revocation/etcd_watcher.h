#pragma once

// Follows the revoked tokens kept in etcd and publishes them to a
// RevocationStore: lists the directory (v2) or prefix (v3), then watches it
// (v2 long-poll `?wait=true&recursive=true&waitIndex=`, v3 `/v3/watch`
// stream) and publishes a new snapshot after every change. Any failure
// (etcd down, restarted, a cleared index, compaction) starts over with a full
// listing after a back-off; until then the last snapshot keeps serving.
// TTLs: etcd's expire (v2) and lease delete (v3) events remove ids; v2 ids
// also expire locally when their TTL runs out while etcd cannot be reached.
//
// Example (on the service thread):
//   EtcdWatcher watcher(*dispatcher, client, config, store, {});
//   watcher.start();
//
// Thread: everything runs on `dispatcher`'s thread. The password and the v3
// token are sent to etcd only, never logged.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "filters/token_revocation/config.h"
#include "filters/token_revocation/etcd_protocol.h"
#include "filters/token_revocation/revocation_store.h"
#include "gateway/etcd/backoff.h"
#include "gateway/event/dispatcher.h"
#include "proxy_connector/http_client.h"

namespace gw::filters::token_revocation {

using SteadyTime = std::chrono::steady_clock::time_point;
using Clock = std::function<SteadyTime()>;

// The watcher's working copy: revoked id -> when its TTL runs out. Not thread-safe.
class RevocationTable {
 public:
  // Kept this long past the TTL etcd reported, so an id never expires here first.
  static constexpr std::chrono::seconds kTtlGrace{1};

  void replace(const std::vector<RevokedEntry>& entries, SteadyTime now);
  void put(const RevokedEntry& entry, SteadyTime now);
  void remove(const std::string& id) { ids_.erase(id); }
  // Drops the entries whose TTL ran out by `now`; true when any was dropped.
  bool prune(SteadyTime now);
  // The earliest expiry, if any entry has one.
  std::optional<SteadyTime> nextExpiry() const;
  RevokedSetConstPtr build() const;
  size_t size() const { return ids_.size(); }

 private:
  absl::flat_hash_map<std::string, std::optional<SteadyTime>> ids_;
};

// Exponential back-off between reconnects (shared with the other etcd clients).
using Backoff = etcd::Backoff;

class EtcdWatcher {
 public:
  struct Options {
    std::chrono::milliseconds request_timeout{5000};  // list and authenticate
    // A watch that stays silent this long is re-issued (a dead peer is noticed).
    std::chrono::milliseconds watch_idle{300000};
    // v2: how often etcd's index is checked for events the watch was not
    // told of (keys whose name starts with '_', see watchV2()).
    std::chrono::milliseconds v2_hidden_probe{500};
    std::chrono::milliseconds backoff_initial{100};
    std::chrono::milliseconds backoff_max{5000};
    Clock clock = [] { return std::chrono::steady_clock::now(); };
  };

  // All references must outlive the watcher.
  EtcdWatcher(event::Dispatcher& dispatcher, proxy::HttpClient& client, RevocationConfig config,
              RevocationStore& store, Options options);
  ~EtcdWatcher();

  void start();

  // For tests and the admin side: listings done so far, and whether the
  // watch is established since the last one.
  uint64_t listings() const { return listings_; }
  bool watching() const { return watching_; }

 private:
  void begin();
  void authenticate();
  void list();
  void onV2Listing(absl::StatusOr<proxy::HttpResponse> r);
  void onV3Listing(absl::StatusOr<proxy::HttpResponse> r);
  void watchV2();
  void onV2WatchEnd(absl::Status status);
  void onV2Watch(absl::StatusOr<proxy::HttpResponse> r);
  void probeV2();
  void onV2Probe(absl::StatusOr<proxy::HttpResponse> r);
  void watchV3();
  void onV3Data(std::string_view piece);
  void onV3End(absl::Status status);
  void listed(size_t count);
  void fail(std::string_view step, const absl::Status& status);
  void publish();
  void armExpiry();
  proxy::HttpRequest newRequest(std::string method, std::string url) const;
  // Runs `fn(result)` unless the watcher was destroyed first.
  proxy::HttpCallback guarded(void (EtcdWatcher::*fn)(absl::StatusOr<proxy::HttpResponse>));

  event::Dispatcher& dispatcher_;
  proxy::HttpClient& client_;
  const RevocationConfig config_;
  RevocationStore& store_;
  const Options options_;
  RevocationTable table_;
  Backoff backoff_;
  event::TimerPtr retry_timer_;
  event::TimerPtr expiry_timer_;
  event::TimerPtr v2_probe_timer_;
  proxy::HttpStreamPtr v2_watch_;
  int v2_watch_status_ = 0;
  std::string v2_watch_body_;
  proxy::HttpStreamPtr v3_watch_;
  std::string v3_token_;
  std::string v3_line_;  // a watch message not yet complete
  uint64_t v2_index_ = 0;
  // etcd's index when the current v2 watch was issued or last reported:
  // everything up to it is in the watch's view (its history scan).
  uint64_t v2_covered_ = 0;
  bool v2_probing_ = false;
  int64_t v3_revision_ = 0;
  uint64_t listings_ = 0;
  bool watching_ = false;
  bool failing_ = false;  // since the last successful listing
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gw::filters::token_revocation
