#pragma once

// oauth2_introspection's configuration: built once per Runtime from
// micro-gw.conf ([keyManager] serverUrl/tokenContext/introspectionURL,
// [keymanager.security.basic], [authConfig], [caching]) and shared read-only
// by every worker. The filter's own `config:` in the chain file takes no keys.
//
// The introspection response (RFC 7662 2.2) is read by parseIntrospection():
// a 200 with a JSON object holding a boolean `active`; `exp` (seconds),
// `scope` (space-separated) and `jti`/`client_id` are used when present.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "conf/config.h"
#include "filters/jwt_authn/token_cache.h"
#include "gateway/stats/stats.h"
#include "proxy_connector/http_client.h"

namespace gw::filters::oauth2_introspection {

// How long one introspection call may take, connect included; past it the
// request is answered 503 naming the URL.
inline constexpr std::chrono::milliseconds kIntrospectionTimeout{5000};

// Request outcomes, the `outcome` label of microgw_authn_results_total.
enum class Outcome { Success, CacheHit, Missing, Invalid, Expired, Forbidden, Unavailable };
inline constexpr int kOutcomeCount = 7;

// Sends one introspection request; the callback runs later on the caller's
// thread. The default (null) sends through the internal HttpClient of the
// request's worker; tests substitute a fake.
using Sender = std::function<void(proxy::HttpRequest, proxy::HttpCallback)>;

struct IntrospectionConfig {
  conf::SecurityConfig security;
  conf::HttpClientsConfig http_clients;  // [httpClients.proxy] enableInternalServices applies
  std::string url;                       // the introspection endpoint
  std::string authorization;             // "Basic ..." from [keymanager.security.basic], or ""
  std::chrono::milliseconds timeout = kIntrospectionTimeout;
  std::shared_ptr<jwt_authn::TokenCache> cache;  // null when [caching] enabled = false
  std::function<int64_t()> now_seconds;          // wall clock; a seam for tests
  std::vector<stats::Counter*> outcomes;         // indexed by Outcome
  stats::Counter* calls = nullptr;               // introspection requests sent
  bool defer_missing_to_api_key = false;         // api_key later in the chain
  Sender sender;                                 // null = the worker's internal HttpClient
};

// What an introspection answer says.
struct Introspection {
  bool active = false;
  std::optional<int64_t> expires_at;  // `exp`
  std::vector<std::string> scopes;    // `scope`, split on spaces
  std::string jti;                    // `jti`, for logs when short and printable
  http::AuthIdentity identity;        // `username`/`sub`, `client_id`, WSO2 claims
};

// "Basic base64(user:password)" (RFC 7617).
std::string basicAuthorization(const std::string& user, const std::string& password);

absl::StatusOr<std::shared_ptr<const IntrospectionConfig>> buildConfig(
    const conf::Config& config, stats::Store& stats, std::function<int64_t()> now_seconds = nullptr,
    const std::vector<std::string>& chain_names = {});

}  // namespace gw::filters::oauth2_introspection
