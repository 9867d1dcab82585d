#pragma once

// The process-wide revoked-token service: one background thread with its own
// dispatcher, connector and streaming HttpClient (so etcd traffic goes through
// [httpClients.proxy] exactly when enableInternalServices = true) runs an
// EtcdWatcher that publishes to processRevocationStore().
//
// The seam for authentication filters:
//
//   #include "filters/token_revocation/revocation_service.h"
//   const RevocationStore& revoked = processRevocationStore();  // e.g. in the filter factory
//   ...
//   if (revoked.isRevoked(jwt.jti, jwt.signature_segment)) -> 401 invalid_token
//
// The store exists for the whole process (empty unless the service runs), so
// a filter may take the reference at any time, before or after start().
//
// Thread-safety: start() and the destructor on the main thread;
// processRevocationStore().isRevoked() from any thread, without a lock.

#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "conf/config.h"
#include "filters/token_revocation/config.h"
#include "filters/token_revocation/etcd_watcher.h"
#include "filters/token_revocation/revocation_store.h"
#include "gateway/event/dispatcher.h"
#include "gateway/stats/stats.h"

namespace gw::filters::token_revocation {

// The store every filter of the process reads. Never destroyed.
RevocationStore& processRevocationStore();

class RevocationService {
 public:
  // Starts the thread when `config.enabled` (else returns null). `store`
  // defaults to processRevocationStore(); `stats` must outlive the service.
  // etcd need not be reachable: the watcher retries in the background.
  static std::unique_ptr<RevocationService> start(const RevocationConfig& config,
                                                  const conf::HttpClientsConfig& http_clients,
                                                  stats::Store& stats,
                                                  RevocationStore* store = nullptr,
                                                  EtcdWatcher::Options options = {});
  ~RevocationService();  // stops and joins the thread

  RevocationStore& store() { return store_; }

 private:
  RevocationService(RevocationStore& store) : store_(store) {}
  RevocationStore& store_;
  event::DispatcherPtr dispatcher_;
  std::thread thread_;
};

}  // namespace gw::filters::token_revocation
