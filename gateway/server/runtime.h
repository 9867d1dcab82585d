#pragma once

// Everything the workers share: built by loadRuntime() and immutable after
// that. A reload builds a new Runtime and swaps the shared_ptr; every stream
// holds the snapshot it started on (RuntimeConstSharedPtr), so what the route
// match, the filter configs and the router's per-URL connect requests
// (RouterConfig::connect_requests, keyed by EndpointUrl addresses inside
// `routes`) point at stays alive until the stream is gone.

#include <memory>
#include <string>
#include <vector>

#include "conf/config.h"
#include "gateway/http/filter.h"
#include "gateway/router/route_table.h"
#include "gateway/tls/server_context.h"

namespace gw::server {

struct Runtime {
  conf::ConfigConstSharedPtr config;
  std::shared_ptr<const router::RouteTable> routes;
  // The chain file as loaded, for telling what a reload changed.
  conf::FilterChainConfig chain;
  // The chain, in order; the last one creates the router.
  std::vector<http::FilterFactoryCb> filter_factories;
  // A digest of httpClients.trustStorePath's contents ("" when unset or
  // unreadable): a reload with new certificates under the same path is a change.
  std::string trust_store_digest;
  // The TLS listener's context (null when it is off), built from
  // config->listener.tls; a reload builds a new one for new handshakes.
  tls::ServerContextPtr tls_context;
};
using RuntimeConstSharedPtr = std::shared_ptr<const Runtime>;

}  // namespace gw::server
