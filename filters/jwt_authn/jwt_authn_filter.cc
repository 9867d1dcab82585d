#include "filters/jwt_authn/jwt_authn_filter.h"

#include <algorithm>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "filters/jwt_authn/bearer_reply.h"
#include "filters/jwt_authn/jwt.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/router/route_table.h"

namespace gw::filters::jwt_authn {
namespace {

std::vector<std::string> scopesOf(const nlohmann::json& claims) {
  std::vector<std::string> out;
  auto it = claims.find("scope");
  if (it == claims.end()) return out;
  if (it->is_string()) {
    for (absl::string_view s : absl::StrSplit(it->get<std::string>(), ' ', absl::SkipEmpty())) {
      out.emplace_back(s);
    }
  } else if (it->is_array()) {
    for (const auto& s : *it) {
      if (s.is_string()) out.push_back(s.get<std::string>());
    }
  }
  return out;
}

// [jwtConfig] header value: the validated claims as an unsecured JWT
// (RFC 7519 6), so that any JWT library can read them.
std::string claimsHeader(const nlohmann::json& claims) {
  return gw::cat(base64UrlEncode(R"({"alg":"none","typ":"JWT"})"), ".",
                 base64UrlEncode(claims.dump()), ".");
}

}  // namespace

http::FilterStatus JwtAuthnFilter::decodeHeaders(http::RequestHeaders& headers, bool end_stream) {
  headers_ = &headers;
  end_stream_ = end_stream;
  const router::RouteMatch* route = decoder_callbacks_->route();
  if (route == nullptr || !route->secured() || !route->operation->security.oauth2) {
    return http::FilterStatus::Continue;
  }
  const conf::SecurityConfig& sec = config_->security;
  const std::string& api_header = route->api->api().auth_header;
  const std::string& header = api_header.empty() ? sec.authorization_header : api_header;
  // Only the gateway writes the claims header: a client's copy never passes.
  if (sec.jwt_header_enabled) headers.headers.remove(sec.jwt_header);
  const std::string* value = headers.headers.get(header);
  if (value == nullptr) {
    if (config_->defer_missing_to_api_key && route->operation->security.api_key) {
      return http::FilterStatus::Continue;  // the api_key filter decides
    }
    return refuse(Outcome::Missing, 401, "900902", "Missing Credentials",
                  gw::cat("the resource is secured: send an access token in the ", header,
                          " header as 'Bearer <token>'"),
                  "");
  }
  std::optional<std::string_view> token = bearerToken(*value);
  if (!token) {
    return refuse(Outcome::Invalid, 401, "900901", "Invalid Credentials",
                  gw::cat("the ", header, " header must be 'Bearer <token>'"),
                  "error=\"invalid_request\"");
  }
  const std::string digest = tokenDigest(*token);
  Outcome outcome = Outcome::CacheHit;
  std::optional<ValidatedToken> valid;
  if (config_->cache) valid = config_->cache->find(digest, config_->now_seconds());
  if (!valid) {
    outcome = Outcome::Success;
    valid = validate(*token, digest);
    if (!valid) return deferred_ ? http::FilterStatus::Continue : http::FilterStatus::StopIteration;
    if (config_->cache) config_->cache->insert(digest, *valid, config_->now_seconds());
  }
  if (config_->revoked != nullptr &&
      config_->revoked->isRevoked(valid->jti, valid->signature_segment)) {
    GW_LOG_INFO("jwt_authn: token ", valid->log_id, " refused: revoked");
    return refuse(Outcome::Revoked, 401, "900901", "Invalid Credentials",
                  "the access token has been revoked", kInvalidToken);
  }
  const std::vector<std::string>& required = route->operation->security.scopes;
  if (!hasAnyScope(valid->scopes, required)) {
    GW_LOG_INFO("jwt_authn: token ", valid->log_id, " lacks the scope of ",
                route->operation->method, " ", route->operation->path_template);
    return refuse(Outcome::Forbidden, 403, "900908", "Resource forbidden",
                  gw::cat("the access token lacks the scope this resource requires (one of: ",
                          absl::StrJoin(required, ", "), ")"),
                  insufficientScope(required));
  }
  decoder_callbacks_->setAuthenticated("jwt_authn");
  decoder_callbacks_->setIdentity(valid->identity);
  if (sec.remove_auth_header) headers.headers.remove(header);
  if (sec.jwt_header_enabled) headers.headers.set(sec.jwt_header, valid->claims_header);
  config_->outcomes[static_cast<int>(outcome)]->inc();
  return http::FilterStatus::Continue;
}

bool JwtAuthnFilter::waitForKeys(const std::string& url) {
  std::weak_ptr<bool> alive = alive_;
  wait_id_ = config_->jwks->waitForFirstFetch(url, decoder_callbacks_->dispatcher(), [this, alive] {
    if (alive.expired()) return;
    wait_id_.reset();
    if (decodeHeaders(*headers_, end_stream_) == http::FilterStatus::Continue) {
      decoder_callbacks_->continueDecoding();
    }
  });
  return wait_id_.has_value();
}

void JwtAuthnFilter::onDestroy() {
  alive_.reset();
  if (wait_id_) config_->jwks->cancelWait(*wait_id_);
  wait_id_.reset();
}

http::FilterStatus JwtAuthnFilter::refuse(Outcome outcome, int status, std::string code,
                                          std::string message, std::string description,
                                          std::string bearer_params) {
  config_->outcomes[static_cast<int>(outcome)]->inc();
  decoder_callbacks_->sendLocalReply(bearerRefusal(status, std::move(code), std::move(message),
                                                   std::move(description), bearer_params));
  return http::FilterStatus::StopIteration;
}

std::optional<ValidatedToken> JwtAuthnFilter::validate(std::string_view token,
                                                       const std::string& digest) {
  auto invalid = [&](Outcome outcome, const std::string& id, std::string description) {
    GW_LOG_INFO("jwt_authn: token ", id, " refused: ", description);
    refuse(outcome, 401, "900901", "Invalid Credentials", std::move(description), kInvalidToken);
    return std::nullopt;
  };
  absl::StatusOr<Jwt> jwt = parseJwt(token);
  if (!jwt.ok() && config_->defer_non_jwt) {
    deferred_ = true;  // an opaque token: oauth2_introspection decides
    return std::nullopt;
  }
  if (!jwt.ok()) {
    return invalid(Outcome::Invalid, gw::cat("sha256 ", shortHash(digest)),
                   gw::cat("the access token is not a usable JWT: ", jwt.status().message()));
  }
  const std::string id = tokenLogId(jwt->jti, digest);
  const IssuerEntry* issuer = config_->findIssuer(jwt->issuer);
  if (issuer == nullptr && config_->defer_unknown_issuer) {
    deferred_ = true;  // enableIntrospectForFailedJWT: oauth2_introspection decides
    return std::nullopt;
  }
  if (issuer == nullptr) {
    return invalid(Outcome::Invalid, id,
                   "the token's issuer (iss) is not trusted: no [[jwtTokenConfig]] names it");
  }
  std::shared_ptr<const JwkSet> keys = issuer->pem_keys;
  if (keys == nullptr && config_->jwks) {
    keys = config_->jwks->keys(issuer->config.jwks_url);
    if (keys == nullptr && waitForKeys(issuer->config.jwks_url)) return std::nullopt;
  }
  if (keys == nullptr) {
    GW_LOG_WARN("jwt_authn: token ", id, ": no keys yet for issuer ", issuer->config.issuer);
    refuse(Outcome::Unavailable, 503, "", "Key set unavailable",
           gw::cat("the signing keys of issuer ", issuer->config.issuer,
                   " could not be fetched from ", issuer->config.jwks_url, " yet; retry later"),
           "");
    return std::nullopt;
  }
  const Jwk* key = keys->find(jwt->kid);
  if (key == nullptr) {
    if (config_->jwks && issuer->pem_keys == nullptr) {
      config_->jwks->refetchUnknownKid(issuer->config.jwks_url);
    }
    return invalid(Outcome::Invalid, id,
                   "the token is signed by a key the issuer's key set does not hold (unknown "
                   "kid); the key set is refetched at most once per 30 s");
  }
  if (absl::Status s = verifySignature(*jwt, *key); !s.ok()) {
    return invalid(Outcome::Invalid, id, gw::cat("signature check failed: ", s.message()));
  }
  return checkClaims(*jwt, *issuer, id);
}

std::optional<ValidatedToken> JwtAuthnFilter::checkClaims(const Jwt& jwt, const IssuerEntry& issuer,
                                                          const std::string& id) {
  auto invalid = [&](Outcome outcome, std::string description) {
    GW_LOG_INFO("jwt_authn: token ", id, " refused: ", description);
    refuse(outcome, 401, "900901", "Invalid Credentials", std::move(description), kInvalidToken);
    return std::nullopt;
  };
  const std::string& audience = issuer.config.audience;
  if (!audience.empty() &&
      std::find(jwt.audiences.begin(), jwt.audiences.end(), audience) == jwt.audiences.end()) {
    return invalid(Outcome::Invalid, "the token is not meant for this gateway (aud mismatch)");
  }
  if (!jwt.expires_at) return invalid(Outcome::Invalid, "the token has no expiry (exp)");
  const int64_t now = config_->now_seconds();
  const auto skew = std::chrono::milliseconds(config_->security.timestamp_skew_ms);
  if (absl::Status s = checkTimes(jwt, now, skew); !s.ok()) {
    return invalid(Outcome::Expired, std::string(s.message()));
  }
  nlohmann::json claims = jwt.claims;
  for (const conf::ClaimMapping& m : issuer.config.claims) {
    auto it = claims.find(m.remote_claim);
    if (it == claims.end()) continue;
    nlohmann::json value = *it;
    claims.erase(it);
    claims[m.local_claim] = std::move(value);
  }
  ValidatedToken valid;
  valid.expires_at =
      std::min<int64_t>(*jwt.expires_at, now + config_->security.token_cache_expiry_s);
  valid.scopes = scopesOf(claims);
  if (config_->security.jwt_header_enabled) valid.claims_header = claimsHeader(claims);
  valid.log_id = id;
  valid.jti = jwt.jti;
  valid.signature_segment = jwt.signature_segment;
  valid.identity = identityFromClaims(claims);
  return valid;
}

}  // namespace gw::filters::jwt_authn
