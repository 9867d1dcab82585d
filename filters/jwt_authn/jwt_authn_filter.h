#pragma once

// The jwt_authn filter: validates a bearer JWT on secured routes.
//
// For a route the router would serve as secured (RouteMatch::secured()) whose
// security types include oauth2, the filter reads "Bearer <token>" from the
// API's x-wso2-auth-header, else [authConfig] authorizationHeader; matches the
// token to a [[jwtTokenConfig]] entry by `iss`; checks the signature (keys
// from the entry's JWKS or PEM file), `aud`, exp/nbf/iat with [keyManager]
// timestampSkew, and the resource's scopes. On success it marks the stream
// authenticated (the router refuses secured routes nobody marked), removes
// the credential ([authConfig] removeAuthHeaderFromOutMessage) and, with
// [jwtConfig] enable, sends the claims to the backend in [jwtConfig] header.
// Open routes, unmatched requests and api_key-only routes pass through
// untouched (the router answers those). With oauth2_introspection / api_key
// later in the chain, opaque tokens (and, with enableIntrospectForFailedJWT,
// JWTs of an unknown issuer) / requests without a bearer token are left to
// them (JwtAuthnConfig::defer_*).
//
// Failures: 401 + WWW-Authenticate: Bearer (900902 no credentials, 900901
// invalid token with error="invalid_token"), 403 900908 for a missing scope
// (error="insufficient_scope"), 503 when the issuer's keys could not be
// fetched yet (a request that arrives while the first fetch is in flight
// waits for it), 401 900901 for a token whose jti or signature is revoked
// ([tokenRevocationConfig.persistent], checked on cache hits too). The token
// never appears in a log line, metric or body.
//
// Lifetime: one filter per request; `config` is shared and immutable.

#include <memory>
#include <optional>
#include <string>

#include "filters/jwt_authn/config.h"
#include "filters/jwt_authn/jwt.h"
#include "gateway/http/filter.h"

namespace gw::filters::jwt_authn {

class JwtAuthnFilter : public http::PassThroughFilter {
 public:
  explicit JwtAuthnFilter(std::shared_ptr<const JwtAuthnConfig> config)
      : config_(std::move(config)) {}

  http::FilterStatus decodeHeaders(http::RequestHeaders& headers, bool end_stream) override;
  void onDestroy() override;

 private:
  // Before the first JWKS fetch of `url` has finished: parks the request until
  // it has (true), then runs decodeHeaders again. False: no fetch to wait for.
  bool waitForKeys(const std::string& url);

  http::FilterStatus refuse(Outcome outcome, int status, std::string code, std::string message,
                            std::string description, std::string bearer_params);
  // Validates `token` fully; on failure sends the reply and returns nullopt.
  std::optional<ValidatedToken> validate(std::string_view token, const std::string& digest);
  // Audience, times, claim mapping; builds what the cache keeps.
  std::optional<ValidatedToken> checkClaims(const Jwt& jwt, const IssuerEntry& issuer,
                                            const std::string& id);

  std::shared_ptr<const JwtAuthnConfig> config_;
  bool replied_ = false;
  bool deferred_ = false;  // the credential is left to a later filter (see JwtAuthnConfig)
  http::RequestHeaders* headers_ = nullptr;  // while waiting for keys
  bool end_stream_ = false;
  std::optional<uint64_t> wait_id_;  // a JwksProvider::waitForFirstFetch registration
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gw::filters::jwt_authn
