#pragma once

// Follows the etcd v3 keys that endpoint URLs name (etcd(<key>, <defaultUrl>))
// and publishes what they hold to an EndpointStore: authenticates when
// credentials are set, reads every key (/v3/kv/range), then watches them all
// on one /v3/watch stream from the revision it read, publishing a new snapshot
// after every change. A deleted key falls back to its default URL; a value
// that is not an http(s) URL is logged and ignored (the previous URL stays).
// Any failure (etcd down, restarted, a compaction, an expired token) starts
// over after a back-off; until then the last snapshot keeps serving, so
// requests go to the last known URL.
//
// Example (on the discovery thread):
//   EtcdUrlWatcher watcher(*dispatcher, client, config.etcd, {"petstore"}, store, {});
//   watcher.start();
//
// Thread: everything runs on `dispatcher`'s thread. The password and the
// token go to etcd only, never to a log.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "conf/config.h"
#include "gateway/discovery/endpoint_store.h"
#include "gateway/etcd/backoff.h"
#include "gateway/etcd/v3_protocol.h"
#include "gateway/event/dispatcher.h"
#include "proxy_connector/http_client.h"

namespace gw::discovery {

class EtcdUrlWatcher {
 public:
  struct Options {
    std::chrono::milliseconds request_timeout{5000};  // authenticate and range
    // A watch that stays silent this long is re-issued (a dead peer is noticed).
    std::chrono::milliseconds watch_idle{300000};
    std::chrono::milliseconds backoff_initial{100};
    std::chrono::milliseconds backoff_max{5000};
  };

  // All references must outlive the watcher. `keys` must not be empty.
  EtcdUrlWatcher(event::Dispatcher& dispatcher, proxy::HttpClient& client, conf::EtcdConfig config,
                 std::vector<std::string> keys, EndpointStore& store, Options options);

  void start();

  // For tests: full reads done so far, and whether the watch is established.
  uint64_t listings() const { return listings_; }
  bool watching() const { return watching_; }

 private:
  void begin();
  void authenticate();
  void readKey(size_t index);
  void onRange(size_t index, absl::StatusOr<proxy::HttpResponse> r);
  void watch();
  void onWatchData(std::string_view piece);
  void onWatchLine(std::string_view line);
  void onWatchEnd(absl::Status status);
  // Applies one key's value (or its absence); true when the table changed.
  bool apply(const std::string& key, const std::string* value);
  void fail(std::string_view step, const absl::Status& status);
  void publish();
  proxy::HttpRequest newRequest(std::string_view call) const;

  event::Dispatcher& dispatcher_;
  proxy::HttpClient& client_;
  const conf::EtcdConfig config_;
  const std::vector<std::string> keys_;
  EndpointStore& store_;
  const Options options_;
  DiscoveredUrls table_;  // the working copy; published as a snapshot
  etcd::Backoff backoff_;
  event::TimerPtr retry_timer_;
  proxy::HttpStreamPtr watch_;
  std::string token_;
  std::string line_;      // a watch message not yet complete
  int64_t revision_ = 0;  // the lowest revision of the last full read
  uint64_t listings_ = 0;
  bool watching_ = false;
  bool failing_ = false;  // since the last successful read
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gw::discovery
