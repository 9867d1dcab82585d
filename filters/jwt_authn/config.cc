#include "filters/jwt_authn/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "filters/jwt_authn/jwt_authn_filter.h"
#include "filters/token_revocation/revocation_service.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/http/filter_registry.h"

namespace gw::filters::jwt_authn {
namespace {

constexpr const char* kOutcomeLabels[kOutcomeCount] = {
    "success", "cache_hit", "missing", "invalid", "expired", "forbidden", "unavailable", "revoked"};

absl::StatusOr<std::shared_ptr<const JwkSet>> loadPem(const conf::JwtTokenConfig& issuer) {
  std::ifstream in;
  std::ostringstream text;
  if (!issuer.certificate_pem.empty()) {
    text << issuer.certificate_pem;  // an alias in listenerConfig's trust store
  } else {
    in.open(issuer.certificate_alias, std::ios::binary);
    if (in) text << in.rdbuf();
  }
  if (text.str().empty()) {
    return absl::InvalidArgumentError(
        gw::cat("jwtTokenConfig (issuer ", issuer.issuer, "): certificateAlias: cannot read ",
                issuer.certificate_alias,
                " (microgw reads certificateAlias as the path of a PEM public key or "
                "certificate, relative to micro-gw.conf)"));
  }
  absl::StatusOr<Jwk> key = Jwk::fromPem(text.str(), "");
  if (!key.ok()) {
    return absl::InvalidArgumentError(gw::cat("jwtTokenConfig (issuer ", issuer.issuer,
                                              "): certificateAlias ", issuer.certificate_alias,
                                              ": ", key.status().message()));
  }
  std::vector<Jwk> keys;
  keys.push_back(*std::move(key));
  return std::shared_ptr<const JwkSet>(std::make_shared<const JwkSet>(std::move(keys)));
}

int64_t wallClockSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const IssuerEntry* JwtAuthnConfig::findIssuer(const std::string& iss) const {
  for (const IssuerEntry& e : issuers) {
    if (e.config.issuer == iss) return &e;
  }
  return nullptr;
}

absl::StatusOr<std::shared_ptr<const JwtAuthnConfig>> buildConfig(
    const conf::Config& config, stats::Store& stats, std::function<int64_t()> now_seconds,
    const std::vector<std::string>& chain_names) {
  auto out = std::make_shared<JwtAuthnConfig>();
  auto after = [&](const char* name) {
    auto self = std::find(chain_names.begin(), chain_names.end(), "jwt_authn");
    return std::find(self, chain_names.end(), name) != chain_names.end();
  };
  out->defer_non_jwt = after("oauth2_introspection");
  out->defer_unknown_issuer = out->defer_non_jwt && config.security.introspect_failed_jwt;
  out->defer_missing_to_api_key = after("api_key");
  out->security = config.security;
  out->now_seconds = now_seconds ? std::move(now_seconds) : wallClockSeconds;
  if (config.token_revocation.enabled) out->revoked = &token_revocation::processRevocationStore();
  for (int i = 0; i < kOutcomeCount; ++i) {
    out->outcomes.push_back(&stats.counter(
        "microgw_authn_results_total", "Authentication results by filter and outcome.",
        {{"filter", "jwt_authn"}, {"outcome", kOutcomeLabels[i]}}));
  }
  JwksProvider::Options jwks;
  jwks.http_clients = config.http_clients;
  for (const conf::JwtTokenConfig& issuer : config.security.jwt_issuers) {
    IssuerEntry entry{issuer, nullptr};
    if (!issuer.certificate_alias.empty()) {
      absl::StatusOr<std::shared_ptr<const JwkSet>> pem = loadPem(issuer);
      if (!pem.ok()) return pem.status();
      entry.pem_keys = *std::move(pem);
    } else {
      jwks.urls.push_back(issuer.jwks_url);
    }
    out->issuers.push_back(std::move(entry));
  }
  if (config.security.cache_enabled) {
    out->cache = std::make_shared<TokenCache>(config.security.token_cache_capacity,
                                              config.security.token_cache_eviction_factor);
  }
  if (!jwks.urls.empty()) out->jwks = JwksProvider::start(std::move(jwks), stats);
  return std::shared_ptr<const JwtAuthnConfig>(std::move(out));
}

namespace {

void logIssuers(const JwtAuthnConfig& config) {
  if (config.issuers.empty()) {
    GW_LOG_WARN(
        "jwt_authn: no [[jwtTokenConfig]] issuer is configured: every token is refused, "
        "so secured APIs answer 401 until one is added");
  }
  for (const IssuerEntry& e : config.issuers) {
    GW_LOG_INFO("jwt_authn: trusting issuer ", e.config.issuer, " (keys from ",
                e.pem_keys
                    ? gw::cat(e.config.certificate_pem.empty() ? "PEM file " : "trust store alias ",
                              e.config.certificate_alias)
                    : gw::cat("JWKS ", e.config.jwks_url),
                e.config.audience.empty() ? std::string(", any audience")
                                          : gw::cat(", audience ", e.config.audience),
                ")");
  }
}

absl::StatusOr<http::FilterFactoryCb> create(const YAML::Node& node,
                                             const http::FactoryContext& ctx) {
  if (node.IsDefined() && !node.IsNull() && (!node.IsMap() || node.size() > 0)) {
    return absl::InvalidArgumentError(
        "jwt_authn takes no config here: it reads [[jwtTokenConfig]], [keyManager], "
        "[authConfig], [jwtConfig] and [caching] from micro-gw.conf");
  }
  absl::StatusOr<std::shared_ptr<const JwtAuthnConfig>> config =
      buildConfig(ctx.config, ctx.stats, nullptr, ctx.chain_names);
  if (!config.ok()) return config.status();
  logIssuers(**config);
  if (ctx.config.security.introspect_failed_jwt && !(*config)->defer_unknown_issuer) {
    GW_LOG_WARN(
        "jwt_authn: [keyManager] enableIntrospectForFailedJWT = true has no effect: "
        "oauth2_introspection is not after jwt_authn in the filter chain");
  }
  std::shared_ptr<const JwtAuthnConfig> shared = *std::move(config);
  return http::FilterFactoryCb([shared] { return std::make_unique<JwtAuthnFilter>(shared); });
}

const http::RegisterFilter kRegister("jwt_authn", create);

}  // namespace
}  // namespace gw::filters::jwt_authn
