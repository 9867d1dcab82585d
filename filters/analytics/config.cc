// Registers the "analytics" filter: it reads [analytics] from micro-gw.conf
// and shares the process's AnalyticsService (one writer, one uploader).

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "filters/analytics/analytics_filter.h"
#include "filters/analytics/analytics_service.h"
#include "gateway/common/log.h"
#include "gateway/http/filter_registry.h"
#include "gateway/router/route_table.h"

namespace gw::filters::analytics {
namespace {

std::string hostName() {
  char name[256] = {0};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "localhost";
  return name;
}

absl::StatusOr<http::FilterFactoryCb> create(const YAML::Node& node,
                                             const http::FactoryContext& ctx) {
  if (node.IsDefined() && !node.IsNull() && (!node.IsMap() || node.size() > 0)) {
    return absl::InvalidArgumentError(
        "analytics takes no config here: it reads [analytics] and [analytics.fileUpload] "
        "from micro-gw.conf");
  }
  auto config = std::make_shared<AnalyticsFilterConfig>();
  const conf::AnalyticsConfig& analytics = ctx.config.analytics;
  config->enabled = analytics.enabled;
  config->stream_version = analytics.stream_version;
  config->hostname = sanitizeField(hostName());
  if (ctx.routes != nullptr) {
    for (const auto& route : ctx.routes->apis()) {
      const conf::ApiDefinition& api = route->api();
      config->apis.emplace(&api, routeFieldsOf(api, nullptr));
      for (const conf::Operation& op : api.operations) {
        config->operations.emplace(&op, routeFieldsOf(api, &op));
      }
    }
  }
  config->wall_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  config->steady_now = [] { return std::chrono::steady_clock::now(); };
  if (!analytics.enabled) {
    GW_LOG_INFO(
        "analytics: in the filter chain, but [analytics.fileUpload] enable = false: no "
        "usage events are written");
  } else {
    absl::StatusOr<std::shared_ptr<AnalyticsService>> service =
        AnalyticsService::acquire(analytics, ctx.config.http_clients, ctx.stats);
    if (!service.ok()) return service.status();
    AnalyticsService* raw = service->get();
    config->sink = [raw](std::string_view line) { raw->publish(line); };
    config->keep_alive = *std::move(service);
  }
  std::shared_ptr<const AnalyticsFilterConfig> shared = std::move(config);
  return http::FilterFactoryCb([shared] { return std::make_unique<AnalyticsFilter>(shared); });
}

const http::RegisterFilter kRegister("analytics", create);

}  // namespace
}  // namespace gw::filters::analytics
