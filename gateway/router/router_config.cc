// Registers the router, the terminal upstream filter, under the name "router".
// It takes no config of its own: endpoints come from the API definitions and
// the proxy from [httpClients.proxy].

#include <yaml-cpp/yaml.h>

#include "conf/config.h"
#include "gateway/common/log.h"
#include "gateway/discovery/endpoint_store.h"
#include "gateway/http/filter_registry.h"
#include "gateway/router/route_table.h"
#include "gateway/router/router_filter.h"
#include "gateway/stats/stats.h"
#include "proxy_connector/proxy_resolver.h"

namespace gw::router {
namespace {

void resolveEndpoint(const conf::EndpointConfig& ep, RouterConfig& rc) {
  for (const conf::EndpointUrl& url : ep.urls) {
    rc.prepared[&url] = prepareEndpoint(rc.http_clients, ep, url);
  }
}

// The proxy choice and the pool key depend only on immutable config: made once per URL.
void precomputeProxies(const RouteTable& routes, RouterConfig& rc) {
  for (const auto& api : routes.apis()) {
    resolveEndpoint(api->api().production, rc);
    if (api->api().sandbox) resolveEndpoint(*api->api().sandbox, rc);
    for (const conf::Operation& op : api->api().operations) {
      if (op.endpoint) resolveEndpoint(*op.endpoint, rc);
      if (op.sandbox) resolveEndpoint(*op.sandbox, rc);
    }
  }
}

void logResilience(const conf::ApiDefinition& api) {
  if (std::string d = describeResilience(api.production); !d.empty()) {
    GW_LOG_INFO("API '", api.title, "' endpoints: ", d);
  }
  if (api.sandbox) {
    if (std::string d = describeResilience(*api.sandbox); !d.empty()) {
      GW_LOG_INFO("API '", api.title, "' sandbox endpoints: ", d);
    }
  }
  for (const conf::Operation& op : api.operations) {
    if (op.endpoint) {
      if (std::string d = describeResilience(*op.endpoint); !d.empty()) {
        GW_LOG_INFO("API '", api.title, "' ", op.method, " ", op.path_template, " endpoints: ", d);
      }
    }
    if (op.sandbox) {
      if (std::string d = describeResilience(*op.sandbox); !d.empty()) {
        GW_LOG_INFO("API '", api.title, "' ", op.method, " ", op.path_template,
                    " sandbox endpoints: ", d);
      }
    }
  }
}

absl::StatusOr<http::FilterFactoryCb> createRouter(const YAML::Node& config,
                                                   const http::FactoryContext& ctx) {
  if (config.IsDefined() && !config.IsNull() && config.size() > 0) {
    return absl::InvalidArgumentError("the router takes no config");
  }
  auto rc = std::make_shared<RouterConfig>();
  rc->http_clients = ctx.config.http_clients;
  rc->request_body_timeout_ms = ctx.config.listener.request_body_timeout_ms;
  rc->client_stall_timeout_ms = ctx.config.listener.idle_timeout_ms;
  rc->discovery = &discovery::processEndpointStore();
  if (ctx.routes != nullptr) {
    precomputeProxies(*ctx.routes, *rc);
    rc->guards = buildEndpointGuards(*ctx.routes, ctx.stats);
    for (const auto& api : ctx.routes->apis()) {
      GW_LOG_INFO("API '", api->api().title, "' (", api->api().base_path,
                  ") security: ", describeApiSecurity(api->api()));
      logResilience(api->api());
    }
  }
  rc->upstream_latency =
      &ctx.stats.histogram("microgw_upstream_response_seconds",
                           "Time from request start to the backend's response headers.");
  rc->retries = &ctx.stats.counter("microgw_upstream_retries_total",
                                   "Requests retried once after a reused connection closed.");
  rc->unauthenticated = &ctx.stats.counter("microgw_authn_results_total",
                                           "Authentication results by filter and outcome.",
                                           {{"filter", "router"}, {"outcome", "unauthenticated"}});
  std::shared_ptr<const RouterConfig> shared = std::move(rc);
  return http::FilterFactoryCb([shared] { return std::make_unique<RouterFilter>(shared); });
}

const http::RegisterFilter kRegister("router", createRouter);

}  // namespace
}  // namespace gw::router
