#include "filters/oauth2_introspection/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>

#include "filters/jwt_authn/jwt.h"
#include "filters/oauth2_introspection/oauth2_introspection_filter.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/http/filter_registry.h"

namespace gw::filters::oauth2_introspection {
namespace {

constexpr const char* kOutcomeLabels[kOutcomeCount] = {
    "success", "cache_hit", "missing", "invalid", "expired", "forbidden", "unavailable"};

int64_t wallClockSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string basicAuthorization(const std::string& user, const std::string& password) {
  std::string b64 = jwt_authn::base64UrlEncode(gw::cat(user, ":", password));
  std::replace(b64.begin(), b64.end(), '-', '+');
  std::replace(b64.begin(), b64.end(), '_', '/');
  while (b64.size() % 4 != 0) b64.push_back('=');
  return gw::cat("Basic ", b64);
}

absl::StatusOr<std::shared_ptr<const IntrospectionConfig>> buildConfig(
    const conf::Config& config, stats::Store& stats, std::function<int64_t()> now_seconds,
    const std::vector<std::string>& chain_names) {
  auto out = std::make_shared<IntrospectionConfig>();
  out->security = config.security;
  out->http_clients = config.http_clients;
  out->url = config.security.introspectionUrl();
  if (config.security.km_basic_enabled) {
    out->authorization =
        basicAuthorization(config.security.km_username, config.security.km_password);
  }
  out->now_seconds = now_seconds ? std::move(now_seconds) : wallClockSeconds;
  for (int i = 0; i < kOutcomeCount; ++i) {
    out->outcomes.push_back(&stats.counter(
        "microgw_authn_results_total", "Authentication results by filter and outcome.",
        {{"filter", "oauth2_introspection"}, {"outcome", kOutcomeLabels[i]}}));
  }
  out->calls = &stats.counter("microgw_introspection_requests_total",
                              "OAuth2 introspection requests sent to the key manager.", {});
  if (config.security.cache_enabled) {
    out->cache = std::make_shared<jwt_authn::TokenCache>(
        config.security.token_cache_capacity, config.security.token_cache_eviction_factor);
  }
  auto self = std::find(chain_names.begin(), chain_names.end(), "oauth2_introspection");
  out->defer_missing_to_api_key =
      std::find(self, chain_names.end(), "api_key") != chain_names.end();
  return std::shared_ptr<const IntrospectionConfig>(std::move(out));
}

namespace {

absl::StatusOr<http::FilterFactoryCb> create(const YAML::Node& node,
                                             const http::FactoryContext& ctx) {
  if (node.IsDefined() && !node.IsNull() && (!node.IsMap() || node.size() > 0)) {
    return absl::InvalidArgumentError(
        "oauth2_introspection takes no config here: it reads [keyManager] serverUrl, "
        "tokenContext, introspectionURL, [keymanager.security.basic], [authConfig] and [caching] "
        "from micro-gw.conf");
  }
  absl::StatusOr<std::shared_ptr<const IntrospectionConfig>> config =
      buildConfig(ctx.config, ctx.stats, nullptr, ctx.chain_names);
  if (!config.ok()) return config.status();
  GW_LOG_INFO("oauth2_introspection: opaque tokens are introspected at ", (*config)->url,
              (*config)->authorization.empty()
                  ? " without client credentials"
                  : gw::cat(" as client ", ctx.config.security.km_username),
              ctx.config.security.introspect_failed_jwt
                  ? "; JWTs of an unknown issuer too (enableIntrospectForFailedJWT)"
                  : "");
  std::shared_ptr<const IntrospectionConfig> shared = *std::move(config);
  return http::FilterFactoryCb(
      [shared] { return std::make_unique<OAuth2IntrospectionFilter>(shared); });
}

const http::RegisterFilter kRegister("oauth2_introspection", create);

}  // namespace
}  // namespace gw::filters::oauth2_introspection
