#include "filters/api_key/config.h"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "filters/api_key/api_key_filter.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/http/filter_registry.h"

namespace gw::filters::api_key {
namespace {

constexpr const char* kOutcomeLabels[kOutcomeCount] = {"success", "missing", "invalid", "expired",
                                                       "forbidden"};

int64_t wallClockSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::StatusOr<jwt_authn::Jwk> loadPem(const std::string& path, const std::string& pem) {
  std::ifstream in;
  std::ostringstream text;
  if (!pem.empty()) {
    text << pem;  // an alias in listenerConfig's trust store
  } else {
    in.open(path, std::ios::binary);
    if (in) text << in.rdbuf();
  }
  if (text.str().empty()) {
    return absl::InvalidArgumentError(
        gw::cat("apikey.tokenConfigs.certificateAlias: cannot read ", path,
                " (microgw reads certificateAlias as the path of a PEM public key or "
                "certificate, relative to micro-gw.conf)"));
  }
  absl::StatusOr<jwt_authn::Jwk> key = jwt_authn::Jwk::fromPem(text.str(), "");
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        gw::cat("apikey.tokenConfigs.certificateAlias ", path, ": ", key.status().message()));
  }
  return key;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const ApiKeyConfig>> buildConfig(
    const conf::Config& config, stats::Store& stats, std::function<int64_t()> now_seconds) {
  auto out = std::make_shared<ApiKeyConfig>();
  out->security = config.security;
  out->now_seconds = now_seconds ? std::move(now_seconds) : wallClockSeconds;
  for (int i = 0; i < kOutcomeCount; ++i) {
    out->outcomes.push_back(&stats.counter(
        "microgw_authn_results_total", "Authentication results by filter and outcome.",
        {{"filter", "api_key"}, {"outcome", kOutcomeLabels[i]}}));
  }
  if (!config.security.apikey_certificate_alias.empty()) {
    absl::StatusOr<jwt_authn::Jwk> key =
        loadPem(config.security.apikey_certificate_alias, config.security.apikey_certificate_pem);
    if (!key.ok()) return key.status();
    out->key = *std::move(key);
  }
  return std::shared_ptr<const ApiKeyConfig>(std::move(out));
}

namespace {

absl::StatusOr<http::FilterFactoryCb> create(const YAML::Node& node,
                                             const http::FactoryContext& ctx) {
  if (node.IsDefined() && !node.IsNull() && (!node.IsMap() || node.size() > 0)) {
    return absl::InvalidArgumentError(
        "api_key takes no config here: it reads [apikey.tokenConfigs] from micro-gw.conf");
  }
  absl::StatusOr<std::shared_ptr<const ApiKeyConfig>> config = buildConfig(ctx.config, ctx.stats);
  if (!config.ok()) return config.status();
  const conf::SecurityConfig& sec = ctx.config.security;
  if ((*config)->key) {
    GW_LOG_INFO("api_key: trusting API keys of issuer ", sec.apikey_issuer,
                sec.apikey_certificate_pem.empty() ? " (PEM file " : " (trust store alias ",
                sec.apikey_certificate_alias,
                sec.apikey_validate_allowed_apis ? "; the key must list the API" : "", ")");
  }
  std::shared_ptr<const ApiKeyConfig> shared = *std::move(config);
  return http::FilterFactoryCb([shared] { return std::make_unique<ApiKeyFilter>(shared); });
}

const http::RegisterFilter kRegister("api_key", create);

}  // namespace
}  // namespace gw::filters::api_key
