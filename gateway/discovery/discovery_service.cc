#include "gateway/discovery/discovery_service.h"

#include <event2/event.h>

#include <set>
#include <tuple>

#include "gateway/common/log.h"
#include "proxy_connector/connector_impl.h"
#include "proxy_connector/http_client.h"

namespace gw::discovery {
namespace {

template <typename Fn>
void forEachEtcdUrl(const router::RouteTable& routes, Fn fn) {
  for (const auto& api : routes.apis()) {
    const conf::ApiDefinition& def = api->api();
    auto each = [&def, &fn](const std::optional<conf::EndpointConfig>& ep) {
      if (!ep) return;
      for (const conf::EndpointUrl& url : ep->urls) {
        if (!url.etcd_key.empty()) fn(def, url);
      }
    };
    for (const conf::EndpointUrl& url : def.production.urls) {
      if (!url.etcd_key.empty()) fn(def, url);
    }
    each(def.sandbox);
    for (const conf::Operation& op : def.operations) {
      each(op.endpoint);
      each(op.sandbox);
    }
  }
}

}  // namespace

std::vector<std::string> etcdKeys(const router::RouteTable& routes) {
  std::set<std::string> keys;
  forEachEtcdUrl(routes, [&keys](const conf::ApiDefinition&, const conf::EndpointUrl& url) {
    keys.insert(url.etcd_key);
  });
  return {keys.begin(), keys.end()};
}

void warnIfDiscoveryOff(const conf::EtcdConfig& etcd, const router::RouteTable& routes) {
  if (etcd.enabled()) return;
  std::set<std::string> warned;
  forEachEtcdUrl(routes, [&warned](const conf::ApiDefinition& api, const conf::EndpointUrl& url) {
    if (!warned.insert(url.etcd_key).second) return;
    GW_LOG_WARN("API '", api.title, "': endpoint etcd(", url.etcd_key, ", ", url.url,
                ") uses its default URL: etcdurl is not set (set it at the root of "
                "micro-gw.conf or with --etcd etcdurl=http://host:2379)");
  });
}

bool sameEtcd(const conf::EtcdConfig& a, const conf::EtcdConfig& b) {
  return std::tie(a.url, a.username, a.password, a.base_path) ==
         std::tie(b.url, b.username, b.password, b.base_path);
}

std::unique_ptr<DiscoveryService> DiscoveryService::start(
    const conf::EtcdConfig& etcd, std::vector<std::string> keys,
    const conf::HttpClientsConfig& http_clients, stats::Store& stats, EndpointStore* store,
    EtcdUrlWatcher::Options options) {
  if (!etcd.enabled() || keys.empty()) return nullptr;
  std::unique_ptr<DiscoveryService> service(new DiscoveryService(etcd, keys));
  service->dispatcher_ = event::createDispatcher("discovery");
  event::Dispatcher& d = *service->dispatcher_;
  EndpointStore& target = store != nullptr ? *store : processEndpointStore();
  const proxy::ConnectorOptions copts = proxy::connectorOptionsFor(http_clients);
  service->thread_ = std::thread(
      [&d, &target, &stats, etcd, keys = std::move(keys), http_clients, copts, options]() mutable {
        {
          proxy::ConnectorPtr connector = proxy::createConnector(d, copts, stats);
          proxy::HttpClient client(d, *connector, http_clients);
          EtcdUrlWatcher watcher(d, client, etcd, std::move(keys), target, options);
          watcher.start();
          d.run();
        }
        // Deferred deletions the objects above queued.
        event_base_loop(d.base(), EVLOOP_NONBLOCK);
      });
  return service;
}

DiscoveryService::~DiscoveryService() {
  if (dispatcher_) {
    event::Dispatcher* d = dispatcher_.get();
    d->post([d] { d->exit(); });
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace gw::discovery
