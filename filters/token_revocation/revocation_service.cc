#include "filters/token_revocation/revocation_service.h"

#include <event2/event.h>

#include "proxy_connector/connector_impl.h"
#include "proxy_connector/http_client.h"

namespace gw::filters::token_revocation {
RevocationStore& processRevocationStore() {
  static RevocationStore* store = new RevocationStore();  // never destroyed: read at exit
  return *store;
}

std::unique_ptr<RevocationService> RevocationService::start(
    const RevocationConfig& config, const conf::HttpClientsConfig& http_clients,
    stats::Store& stats, RevocationStore* store, EtcdWatcher::Options options) {
  if (!config.enabled) return nullptr;
  std::unique_ptr<RevocationService> service(
      new RevocationService(store != nullptr ? *store : processRevocationStore()));
  service->dispatcher_ = event::createDispatcher("revocation");
  event::Dispatcher& d = *service->dispatcher_;
  RevocationStore& target = service->store_;
  const proxy::ConnectorOptions copts = proxy::connectorOptionsFor(http_clients);
  service->thread_ = std::thread(
      [&d, &target, &stats, config, http_clients, copts, options = std::move(options)]() mutable {
        {
          proxy::ConnectorPtr connector = proxy::createConnector(d, copts, stats);
          proxy::HttpClient client(d, *connector, http_clients);
          EtcdWatcher watcher(d, client, config, target, std::move(options));
          watcher.start();
          d.run();
        }
        // Deferred deletions the objects above queued.
        event_base_loop(d.base(), EVLOOP_NONBLOCK);
      });
  return service;
}

RevocationService::~RevocationService() {
  if (dispatcher_) {
    event::Dispatcher* d = dispatcher_.get();
    d->post([d] { d->exit(); });
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace gw::filters::token_revocation
