// Registers the router, the terminal upstream filter, under the name "router".
// It takes no config of its own: endpoints come from the API definitions and
// the proxy from [httpClients.proxy].

#include <yaml-cpp/yaml.h>

#include "conf/config.h"
#include "gateway/http/filter_registry.h"
#include "gateway/router/router_filter.h"
#include "gateway/stats/stats.h"

namespace gw::router {
namespace {

absl::StatusOr<http::FilterFactoryCb> createRouter(const YAML::Node& config,
                                                   const http::FactoryContext& ctx) {
  if (config.IsDefined() && !config.IsNull() && config.size() > 0) {
    return absl::InvalidArgumentError("the router takes no config");
  }
  auto rc = std::make_shared<RouterConfig>();
  rc->proxy = ctx.config.http_clients.proxy;
  rc->upstream_latency = &ctx.stats.histogram(
      "microgw_upstream_response_seconds", "Time from request start to the backend's response headers.");
  rc->retries = &ctx.stats.counter("microgw_upstream_retries_total",
                                   "Requests retried once after a reused connection closed.");
  std::shared_ptr<const RouterConfig> shared = std::move(rc);
  return http::FilterFactoryCb([shared] { return std::make_unique<RouterFilter>(shared); });
}

const http::RegisterFilter kRegister("router", createRouter);

}  // namespace
}  // namespace gw::router
