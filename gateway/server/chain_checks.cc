#include "gateway/server/chain_checks.h"

#include <algorithm>
#include <string>

#include "conf/loader.h"
#include "gateway/common/log.h"

namespace gw::server {
namespace {

bool hasFilter(const conf::FilterChainConfig& chain, const std::string& name) {
  return std::any_of(chain.filters.begin(), chain.filters.end(),
                     [&](const conf::FilterEntry& e) { return e.name == name; });
}

bool isAuthFilter(const std::string& name) {
  return name == "jwt_authn" || name == "oauth2_introspection" || name == "api_key";
}

// The first API that satisfies `pred`, or null.
template <typename Pred>
const conf::ApiDefinition* findApi(const router::RouteTable& routes, Pred pred) {
  for (const auto& api : routes.apis()) {
    if (pred(api->api())) return &api->api();
  }
  return nullptr;
}

bool namesThrottlingTier(const conf::ApiDefinition& api) {
  if (!api.throttling_tier.empty()) return true;
  return std::any_of(api.operations.begin(), api.operations.end(),
                     [](const conf::Operation& op) { return !op.throttling_tier.empty(); });
}

bool hasSecuredResource(const conf::ApiDefinition& api) {
  return std::any_of(api.operations.begin(), api.operations.end(),
                     [](const conf::Operation& op) { return !op.disable_security; });
}

bool wantsThrottle(const conf::Config& config, const router::RouteTable& routes) {
  return config.throttling.global_publishing || findApi(routes, namesThrottlingTier) != nullptr;
}

void reindex(conf::FilterChainConfig& chain) {
  for (size_t i = 0; i < chain.filters.size(); ++i) chain.filters[i].index = static_cast<int>(i);
}

}  // namespace

void completeBuiltinChain(const conf::Config& config, const router::RouteTable& routes,
                          conf::FilterChainConfig& chain) {
  if (chain.file != conf::kBuiltinChainName) return;
  auto& filters = chain.filters;
  if (config.analytics.enabled && !hasFilter(chain, "analytics")) {
    // First, so that it sees every response, the other filters' refusals too.
    filters.insert(filters.begin(), conf::FilterEntry{"analytics", "", 0});
  }
  if (wantsThrottle(config, routes) && !hasFilter(chain, "throttle")) {
    // After authentication (it counts per application and subscription), before router.
    auto after_auth = std::find_if(filters.rbegin(), filters.rend(),
                                   [](const conf::FilterEntry& e) { return isAuthFilter(e.name); });
    auto at = after_auth == filters.rend() ? filters.end() - 1 : after_auth.base();
    filters.insert(at, conf::FilterEntry{"throttle", "", 0});
  }
  reindex(chain);
}

void warnAboutMissingFilters(const conf::Config& config, const router::RouteTable& routes,
                             const conf::FilterChainConfig& chain) {
  const bool has_auth =
      std::any_of(chain.filters.begin(), chain.filters.end(),
                  [](const conf::FilterEntry& e) { return isAuthFilter(e.name); });
  if (!has_auth) {
    if (const conf::ApiDefinition* api = findApi(routes, hasSecuredResource)) {
      GW_LOG_WARN(chain.file,
                  ": no authentication filter (jwt_authn) in the chain, so the secured resources "
                  "of API '",
                  api->title,
                  "' and others answer 401; add jwt_authn before router, or set "
                  "x-wso2-disable-security: true on APIs meant to be open");
    }
  }
  if (!hasFilter(chain, "cors")) {
    auto with_cors = [](const conf::ApiDefinition& a) { return a.cors.enabled; };
    if (const conf::ApiDefinition* api = findApi(routes, with_cors)) {
      GW_LOG_WARN(chain.file, ": API '", api->title,
                  "' has x-wso2-cors, but the chain has no cors filter, so browsers' CORS "
                  "requests fail; add `- name: cors` before the authentication filters");
    }
  }
  if (config.analytics.enabled && !hasFilter(chain, "analytics")) {
    GW_LOG_WARN(chain.file, ": [analytics] is enabled in ", config.file,
                ", but the chain has no analytics filter, so no usage events are written; add "
                "`- name: analytics` as the first filter");
  }
  if (!hasFilter(chain, "throttle")) {
    if (const conf::ApiDefinition* api = findApi(routes, namesThrottlingTier)) {
      GW_LOG_WARN(chain.file, ": API '", api->title,
                  "' names a throttling tier, but the chain has no throttle filter, so no limit "
                  "applies; add `- name: throttle` after the authentication filters");
    } else if (config.throttling.global_publishing) {
      GW_LOG_WARN(chain.file,
                  ": [throttlingConfig] enabledGlobalTMEventPublishing is true, but the chain has "
                  "no throttle filter, so no events are sent; add `- name: throttle` after the "
                  "authentication filters");
    }
  }
}

}  // namespace gw::server
