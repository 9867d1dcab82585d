#include "filters/cors/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "absl/strings/str_join.h"
#include "filters/cors/cors_filter.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/http/filter_registry.h"
#include "gateway/router/route_table.h"
#include "gateway/stats/stats.h"

namespace gw::filters::cors {

std::vector<std::string> policyWarnings(const conf::ApiDefinition& api,
                                        const std::vector<std::string>& chain_names) {
  std::vector<std::string> out;
  const conf::CorsConfig& cors = api.cors;
  if (!cors.enabled) return out;
  const auto& origins = cors.allow_origins;
  if (cors.allow_credentials && std::find(origins.begin(), origins.end(), "*") != origins.end()) {
    out.push_back(gw::cat(
        api.file, ": API '", api.title,
        "': x-wso2-cors allows any origin ('*') with accessControlAllowCredentials: true; "
        "credentials are not allowed for '*' (browsers refuse it), so origins matched only by '*' "
        "get no Access-Control-Allow-Credentials: list the origins that need credentials"));
  }
  const auto cors_at = std::find(chain_names.begin(), chain_names.end(), "cors");
  for (const char* auth : {"jwt_authn", "oauth2_introspection", "api_key"}) {
    const auto auth_at = std::find(chain_names.begin(), cors_at, auth);
    if (cors_at != chain_names.end() && auth_at != cors_at) {
      out.push_back(gw::cat("API '", api.title, "' uses x-wso2-cors, and the filter chain runs ",
                            auth,
                            " before cors: a preflight to a secured OPTIONS resource gets 401; "
                            "put cors before the authentication filters"));
      break;
    }
  }
  return out;
}

namespace {

absl::StatusOr<http::FilterFactoryCb> create(const YAML::Node& node,
                                             const http::FactoryContext& ctx) {
  if (node.IsDefined() && !node.IsNull() && (!node.IsMap() || node.size() > 0)) {
    return absl::InvalidArgumentError(
        "cors takes no config here: each API's x-wso2-cors in its definition is its CORS policy");
  }
  auto config = std::make_shared<CorsFilterConfig>();
  const std::string help = "CORS preflight requests answered by the gateway, by result.";
  config->preflights_allowed =
      &ctx.stats.counter("microgw_cors_preflights_total", help, {{"result", "allowed"}});
  config->preflights_refused =
      &ctx.stats.counter("microgw_cors_preflights_total", help, {{"result", "refused"}});
  if (ctx.routes != nullptr) {
    for (const auto& route : ctx.routes->apis()) {
      const conf::ApiDefinition& api = route->api();
      if (!api.cors.enabled) continue;
      GW_LOG_INFO("cors: API '", api.title, "' allows origins ",
                  absl::StrJoin(api.cors.allow_origins, ", "),
                  api.cors.allow_credentials ? " with credentials" : "");
      for (const std::string& w : policyWarnings(api, ctx.chain_names)) GW_LOG_WARN(w);
    }
  }
  std::shared_ptr<const CorsFilterConfig> shared = std::move(config);
  return http::FilterFactoryCb([shared] { return std::make_unique<CorsFilter>(shared); });
}

const http::RegisterFilter kRegister("cors", create);

}  // namespace
}  // namespace gw::filters::cors
