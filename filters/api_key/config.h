#pragma once

// api_key's configuration: built once per Runtime from micro-gw.conf
// ([apikey.tokenConfigs] issuer, certificateAlias, validateAllowedAPIs;
// [keyManager] timestampSkew; [authConfig] removeAuthHeaderFromOutMessage)
// and shared read-only by every worker. The filter's own `config:` in the
// chain file takes no keys.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "conf/config.h"
#include "filters/jwt_authn/jwk.h"
#include "gateway/stats/stats.h"

namespace gw::filters::api_key {

// Request outcomes, the `outcome` label of microgw_authn_results_total.
enum class Outcome { Success, Missing, Invalid, Expired, Forbidden };
inline constexpr int kOutcomeCount = 5;

struct ApiKeyConfig {
  conf::SecurityConfig security;
  std::optional<jwt_authn::Jwk> key;      // certificateAlias; empty: every key is refused
  std::function<int64_t()> now_seconds;   // wall clock; a seam for tests
  std::vector<stats::Counter*> outcomes;  // indexed by Outcome
};

// Reads the certificateAlias PEM file (when set). Errors name the key and file.
absl::StatusOr<std::shared_ptr<const ApiKeyConfig>> buildConfig(
    const conf::Config& config, stats::Store& stats,
    std::function<int64_t()> now_seconds = nullptr);

}  // namespace gw::filters::api_key
