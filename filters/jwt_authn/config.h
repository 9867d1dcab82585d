#pragma once

// jwt_authn's configuration: built once per Runtime from micro-gw.conf's
// security sections (conf::SecurityConfig) and shared read-only by every
// worker. It owns the JWKS provider (one background thread) and the token
// cache, so a reload builds fresh ones and the old go with the old Runtime.
// The filter's own `config:` in the chain file takes no keys.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "conf/config.h"
#include "filters/jwt_authn/jwk.h"
#include "filters/jwt_authn/jwks_provider.h"
#include "filters/jwt_authn/token_cache.h"
#include "filters/token_revocation/revocation_store.h"
#include "gateway/stats/stats.h"

namespace gw::filters::jwt_authn {

// Request outcomes, the `outcome` label of microgw_authn_results_total.
enum class Outcome {
  Success,      // validated now
  CacheHit,     // validated earlier, from the token cache
  Missing,      // no credential
  Invalid,      // malformed, bad signature, wrong issuer/audience, unknown kid
  Expired,      // exp / nbf / iat outside the skew
  Forbidden,    // valid token without the resource's scope
  Unavailable,  // the issuer's keys are not fetched yet
  Revoked,      // valid, but its jti or signature is in the revoked-token store
};
inline constexpr int kOutcomeCount = 8;

struct IssuerEntry {
  conf::JwtTokenConfig config;
  std::shared_ptr<const JwkSet> pem_keys;  // certificateAlias; null for jwksURL issuers
};

struct JwtAuthnConfig {
  conf::SecurityConfig security;
  std::vector<IssuerEntry> issuers;
  std::shared_ptr<JwksProvider> jwks;     // null when no issuer has a jwksURL
  std::shared_ptr<TokenCache> cache;      // null when [caching] enabled = false
  std::function<int64_t()> now_seconds;   // wall clock; a seam for tests
  std::vector<stats::Counter*> outcomes;  // indexed by Outcome
  // [tokenRevocationConfig.persistent] (etcd); null when it is off. Process-wide.
  const token_revocation::RevocationStore* revoked = nullptr;
  // Credentials left to later filters of the chain (not refused here):
  // oauth2_introspection after us takes tokens that are not JWTs, and, with
  // [keyManager] enableIntrospectForFailedJWT, JWTs of an unknown issuer;
  // api_key after us takes requests without a bearer token on routes that
  // also accept API keys.
  bool defer_non_jwt = false;
  bool defer_unknown_issuer = false;
  bool defer_missing_to_api_key = false;

  const IssuerEntry* findIssuer(const std::string& iss) const;
};

// Builds the config (reads certificateAlias PEM files, starts the JWKS
// provider). Errors name the key and the file.
absl::StatusOr<std::shared_ptr<const JwtAuthnConfig>> buildConfig(
    const conf::Config& config, stats::Store& stats, std::function<int64_t()> now_seconds = nullptr,
    const std::vector<std::string>& chain_names = {});

}  // namespace gw::filters::jwt_authn
