#pragma once

// The libevent/OpenSSL Connector: direct TCP, or TCP to a forward proxy plus
// CONNECT (with Basic Proxy-Authorization), or absolute-form through the proxy
// for plain-http targets when ProxyServer::connect_for_http is false; then TLS
// (inside the tunnel when proxied) for https targets; idle pooling per key.
//
// Example (on the worker thread that owns `dispatcher`):
//
//   gw::proxy::ConnectorOptions options;
//   options.tls.trust_store_path = "/etc/microgw/ca.pem";
//   options.connect_timeout = std::chrono::milliseconds(5000);
//   gw::proxy::ConnectorPtr connector =
//       gw::proxy::createConnector(*dispatcher, options, stats_store);
//   auto handle = connector->connect(request, callbacks);
//
// Notes for callers beyond connector.h's contract:
//   - Bytes the peer sent right after set-up (e.g. right after the proxy's 200)
//     may already sit in the connection's input buffer; the connector then
//     schedules a read callback for the next loop iteration, so a caller that
//     sets its read callback inside onConnected() sees them.
//   - The Connector must outlive its ConnectHandles and connections; `dispatcher`
//     and `stats` must outlive the Connector.
//
// Thread-safety: a connector and everything it hands out belong to the
// dispatcher's thread (one connector per worker).

#include <chrono>
#include <cstdint>

#include "conf/config.h"
#include "gateway/event/dispatcher.h"
#include "gateway/stats/stats.h"
#include "proxy_connector/connector.h"

namespace gw::proxy {

struct ConnectorOptions {
  TlsOptions tls;
  // Bounds the whole set-up: TCP connect, CONNECT answer and TLS handshake.
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds pool_idle_timeout{30000};  // 0 disables pooling
  uint32_t max_idle_per_key = 64;
  // How long a connection released while its key already has max_idle_per_key
  // idle ones stays idle before it is closed (capped by pool_idle_timeout):
  // the next burst of requests reuses it instead of opening a new one.
  std::chrono::milliseconds surplus_idle_linger{1000};
  // httpClients.poolConfig.maxActiveConnections: connections per pool key
  // (backend and route) being set up or in use, counted across every connector
  // of the process; <= 0 = unlimited. A connect over it waits up to
  // pool_wait_timeout for one to come free (or go idle), then fails with
  // FailureReason::PoolExhausted (503).
  int64_t max_active_per_key = -1;
  std::chrono::milliseconds pool_wait_timeout{30000};  // poolConfig.waitTimeInMillis
};

// The options [httpClients] gives: TLS trust, timeouts and pool limits. The
// workers' connectors and the internal services' (JWKS, etcd) use the same.
ConnectorOptions connectorOptionsFor(const conf::HttpClientsConfig& http_clients);

// Never null. If the TLS trust store cannot be loaded, an error is logged and
// every https connect fails with FailureReason::TlsHandshake naming the cause.
ConnectorPtr createConnector(event::Dispatcher& dispatcher, const ConnectorOptions& options,
                             stats::Store& stats);

}  // namespace gw::proxy
