#pragma once

// The oauth2_introspection filter: validates opaque bearer tokens with the key
// manager's RFC 7662 introspection endpoint.
//
// Runs on secured routes whose security types include oauth2, when no filter
// before it (jwt_authn) has authenticated the stream. It reads "Bearer
// <token>" like jwt_authn, and looks the token up in its cache (keyed by the
// SHA-256 of the token; an entry lives until the earlier of the token's `exp`
// and [caching] tokenCacheExpiryTime). On a miss it POSTs the token to the
// introspection URL through the worker's internal HttpClient (so the forward
// proxy is used exactly when [httpClients.proxy] enableInternalServices is
// true), returns StopIteration, and later either continues the chain or sends
// a local reply. The worker never blocks.
//
// Answers: `active: true` -> authenticated, the credential removed
// ([authConfig] removeAuthHeaderFromOutMessage); missing scope -> 403 900908;
// `active: false` or expired -> 401 900901 invalid_token; no token -> 401
// 900902 (unless api_key is later in the chain and the route accepts keys);
// key manager unreachable, slower than kIntrospectionTimeout, or answering
// anything but an RFC 7662 JSON object -> 503 naming the URL. Never 200 on a
// failed check. The token never appears in a log line or body.
//
// Lifetime: one filter per request; `config` is shared and immutable. The
// HttpClient (and its pending callback) dies with the filter in onDestroy().

#include <memory>
#include <optional>
#include <string>

#include "filters/jwt_authn/token_cache.h"
#include "filters/oauth2_introspection/config.h"
#include "gateway/http/filter.h"

namespace gw::filters::oauth2_introspection {

// Reads an introspection response; errors say what was wrong (status, not
// JSON, no boolean `active`), never quoting the body.
absl::StatusOr<Introspection> parseIntrospection(const proxy::HttpResponse& response);

// The application/x-www-form-urlencoded body of the request for `token`.
std::string introspectionBody(std::string_view token);

class OAuth2IntrospectionFilter : public http::PassThroughFilter {
 public:
  explicit OAuth2IntrospectionFilter(std::shared_ptr<const IntrospectionConfig> config)
      : config_(std::move(config)) {}

  http::FilterStatus decodeHeaders(http::RequestHeaders& headers, bool end_stream) override;
  void onDestroy() override;

 private:
  void introspect(std::string_view token);
  void onAnswer(absl::StatusOr<proxy::HttpResponse> answer);
  // Scope check, then authenticated + credential removal; false when refused.
  bool admit(const jwt_authn::ValidatedToken& token);
  void refuse(Outcome outcome, int status, std::string code, std::string message,
              std::string description, std::string bearer_params);

  std::shared_ptr<const IntrospectionConfig> config_;
  http::RequestHeaders* headers_ = nullptr;  // the chain's; valid until onDestroy
  std::string header_;                       // the credential's header name
  std::string digest_;                       // SHA-256 of the token
  std::unique_ptr<proxy::HttpClient> client_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gw::filters::oauth2_introspection
