#pragma once

// What a connection attempt shares with its connector: dispatcher, options,
// SSL_CTX, DNS base, pool and metrics. Internal to //proxy_connector:connector_impl.
// Thread-safety: the connector's dispatcher thread only.

#include <string>

#include "gateway/event/dispatcher.h"
#include "gateway/stats/stats.h"
#include "proxy_connector/connection_limit.h"
#include "proxy_connector/connection_pool.h"
#include "proxy_connector/connector_impl.h"
#include "proxy_connector/tls_context.h"

namespace gw::proxy {

// References into the Store, looked up once (lookups lock; updates do not).
struct ConnectorMetrics {
  explicit ConnectorMetrics(stats::Store& store);
  stats::Counter& connection(bool via_proxy, bool reused);
  stats::Counter& failure(FailureReason reason);                         // CONNECT tunnels only
  stats::Counter& connectFailure(bool via_proxy, FailureReason reason);  // every set-up

  stats::Store& store;
  stats::Counter& direct_opened;
  stats::Counter& direct_reused;
  stats::Counter& proxy_opened;
  stats::Counter& proxy_reused;
  stats::Counter& tunnels_opened;
  stats::Counter& tunnels_reused;
  stats::Counter& tunnels_failed;
  stats::Histogram& connect_seconds;
  stats::Gauge& active;
};

struct ConnectorContext {
  ConnectorContext(event::Dispatcher& d, const ConnectorOptions& o, stats::Store& s);

  event::Dispatcher& dispatcher;
  const ConnectorOptions options;
  std::string ssl_ctx_error;  // declared before ssl_ctx, which fills it
  SslCtxPtr ssl_ctx;          // null when ssl_ctx_error is set
  EvdnsBasePtr dns;           // null: blocking getaddrinfo fallback
  ConnectorMetrics metrics;
  ConnectionLimit limit;  // before pool: connections handed out hold its slots
  ConnectionPool pool;
};

}  // namespace gw::proxy
