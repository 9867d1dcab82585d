#pragma once

// Service discovery for the gateway process: one background thread with its
// own dispatcher, connector and streaming HttpClient (so etcd traffic goes
// through [httpClients.proxy] exactly when enableInternalServices = true)
// runs an EtcdUrlWatcher that publishes to processEndpointStore(), which the
// router reads per request.
//
// Example (main thread):
//   auto service = DiscoveryService::start(config.etcd, etcdKeys(*routes),
//                                          config.http_clients, stats);
//   ...
//   service.reset();  // stops and joins the thread; the store keeps its URLs
//
// Thread-safety: start() and the destructor on one thread (the main thread).

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "conf/config.h"
#include "gateway/discovery/endpoint_store.h"
#include "gateway/discovery/etcd_url_watcher.h"
#include "gateway/event/dispatcher.h"
#include "gateway/router/route_table.h"
#include "gateway/stats/stats.h"

namespace gw::discovery {

// The distinct etcd keys the served APIs' endpoints name, sorted.
std::vector<std::string> etcdKeys(const router::RouteTable& routes);

// Logs, once per key, etcd(...) endpoints that cannot be followed because
// etcdurl is not set (they use their default URL).
void warnIfDiscoveryOff(const conf::EtcdConfig& etcd, const router::RouteTable& routes);

class DiscoveryService {
 public:
  // Starts the thread when etcdurl is set and `keys` is not empty (else
  // returns null). `store` defaults to processEndpointStore(); `stats` must
  // outlive the service. etcd need not be reachable: the watcher retries.
  static std::unique_ptr<DiscoveryService> start(const conf::EtcdConfig& etcd,
                                                 std::vector<std::string> keys,
                                                 const conf::HttpClientsConfig& http_clients,
                                                 stats::Store& stats,
                                                 EndpointStore* store = nullptr,
                                                 EtcdUrlWatcher::Options options = {});
  ~DiscoveryService();  // stops and joins the thread

  // What it follows, to tell whether a reload needs a new service.
  const conf::EtcdConfig& etcd() const { return etcd_; }
  const std::vector<std::string>& keys() const { return keys_; }

 private:
  DiscoveryService(conf::EtcdConfig etcd, std::vector<std::string> keys)
      : etcd_(std::move(etcd)), keys_(std::move(keys)) {}
  const conf::EtcdConfig etcd_;
  const std::vector<std::string> keys_;
  event::DispatcherPtr dispatcher_;
  std::thread thread_;
};

// True when the two configs follow etcd the same way (credentials included).
bool sameEtcd(const conf::EtcdConfig& a, const conf::EtcdConfig& b);

}  // namespace gw::discovery
