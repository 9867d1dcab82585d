#include "conf/security_loader.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "conf/loader.h"
#include "conf/secret.h"
#include "conf/status_macros.h"
#include "conf/url.h"

namespace gw::conf {
namespace {

constexpr int64_t kMaxU32 = std::numeric_limits<uint32_t>::max();

absl::Status readHttpUrl(const TomlSection& s, const std::string& key, std::string& out) {
  GW_CONF_RETURN_IF_ERROR(s.readString(key, out));
  if (out.empty()) return absl::OkStatus();
  absl::StatusOr<ParsedUrl> url = parseUrl(out);
  if (!url.ok() || (url->scheme != "http" && url->scheme != "https") || url->has_userinfo) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.keyName(key), " must be an http:// or https:// URL without credentials"));
  }
  return absl::OkStatus();
}

// [keymanager.security.basic] (WSO2's lower-case spelling; [keyManager.security.basic]
// is read too): the client credentials of the introspection call.
absl::Status readKeyManagerBasic(const TomlSection& km, SecurityConfig& out,
                                 std::vector<std::string>& warnings) {
  if (!km.present()) return absl::OkStatus();
  absl::StatusOr<TomlSection> sec = km.section("security");
  if (!sec.ok()) return sec.status();
  // oauth2 is a WSO2 section checked (and warned about) by the WSO2 table.
  GW_CONF_RETURN_IF_ERROR(sec->checkKeys({}, {"basic"}));
  absl::StatusOr<TomlSection> basic = sec->section("basic");
  if (!basic.ok()) return basic.status();
  GW_CONF_RETURN_IF_ERROR(basic->checkKeys({"enabled", "username", "password"}, {}));
  GW_CONF_RETURN_IF_ERROR(basic->readBool("enabled", out.km_basic_enabled));
  GW_CONF_RETURN_IF_ERROR(basic->readString("username", out.km_username));
  return basic->readString("password", out.km_password);
}

absl::Status readKeyManager(const TomlSection& root, SecurityConfig& out,
                            std::vector<std::string>& warnings) {
  absl::StatusOr<TomlSection> s = root.section("keyManager");
  if (!s.ok()) return s.status();
  // enableLegacyMode, remoteUserClaimRetrievalEnabled and issuer are WSO2 keys
  // the WSO2 table accepts with a warning.
  GW_CONF_RETURN_IF_ERROR(
      s->checkKeys({"timestampSkew", "serverUrl", "tokenContext", "introspectionURL",
                    "enableIntrospectForFailedJWT", "username", "password"},
                   {"security"}));
  GW_CONF_RETURN_IF_ERROR(s->readInt("timestampSkew", 0, kMaxU32, out.timestamp_skew_ms));
  GW_CONF_RETURN_IF_ERROR(readHttpUrl(*s, "serverUrl", out.km_server_url));
  GW_CONF_RETURN_IF_ERROR(s->readString("tokenContext", out.km_token_context));
  GW_CONF_RETURN_IF_ERROR(readHttpUrl(*s, "introspectionURL", out.introspection_url_override));
  GW_CONF_RETURN_IF_ERROR(s->readBool("enableIntrospectForFailedJWT", out.introspect_failed_jwt));
  if (out.km_server_url.empty() && out.introspection_url_override.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(s->keyName("serverUrl"), " must not be empty (or set introspectionURL)"));
  }
  absl::StatusOr<TomlSection> lower = root.section("keymanager");
  if (!lower.ok()) return lower.status();
  GW_CONF_RETURN_IF_ERROR(readKeyManagerBasic(*s, out, warnings));
  GW_CONF_RETURN_IF_ERROR(lower->checkKeys({}, {"security"}));
  GW_CONF_RETURN_IF_ERROR(readKeyManagerBasic(*lower, out, warnings));
  // The older spelling [keyManager] username/password wins over the basic section.
  GW_CONF_RETURN_IF_ERROR(s->readString("username", out.km_username));
  return s->readString("password", out.km_password);
}

// [apikey.tokenConfigs] (a single table): the issuer of WSO2 API keys.
absl::Status readApiKey(const TomlSection& root, const std::string& file, SecurityConfig& out,
                        std::vector<std::string>& warnings) {
  absl::StatusOr<TomlSection> s = root.section("apikey");
  if (!s.ok()) return s.status();
  // [apikey.issuer] is a WSO2 section the WSO2 table accepts with a warning.
  GW_CONF_RETURN_IF_ERROR(s->checkKeys({}, {"tokenConfigs"}));
  absl::StatusOr<TomlSection> t = s->section("tokenConfigs");
  if (!t.ok()) return t.status();
  GW_CONF_RETURN_IF_ERROR(t->checkKeys({"issuer", "certificateAlias", "validateAllowedAPIs"}, {}));
  GW_CONF_RETURN_IF_ERROR(t->readString("issuer", out.apikey_issuer));
  GW_CONF_RETURN_IF_ERROR(t->readPath("certificateAlias", out.apikey_certificate_alias));
  if (!out.apikey_certificate_alias.empty()) {
    out.apikey_certificate_alias = resolvePath(directoryOf(file), out.apikey_certificate_alias);
  }
  return t->readBool("validateAllowedAPIs", out.apikey_validate_allowed_apis);
}

absl::Status readClaims(const TomlSection& s, JwtTokenConfig& out) {
  absl::StatusOr<std::vector<TomlSection>> claims = s.sectionArray("claims");
  if (!claims.ok()) return claims.status();
  for (const TomlSection& c : *claims) {
    GW_CONF_RETURN_IF_ERROR(c.checkKeys({"remoteClaim", "localClaim"}, {}));
    ClaimMapping m;
    GW_CONF_RETURN_IF_ERROR(c.readString("remoteClaim", m.remote_claim));
    GW_CONF_RETURN_IF_ERROR(c.readString("localClaim", m.local_claim));
    if (m.remote_claim.empty() || m.local_claim.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(c.keyName(""), " needs both remoteClaim and localClaim"));
    }
    out.claims.push_back(std::move(m));
  }
  return absl::OkStatus();
}

absl::Status readJwksUrl(const TomlSection& s, std::string& out) {
  GW_CONF_RETURN_IF_ERROR(s.readString("jwksURL", out));
  if (out.empty()) return absl::OkStatus();
  absl::StatusOr<ParsedUrl> url = parseUrl(out);
  if (!url.ok() || (url->scheme != "http" && url->scheme != "https") || url->has_userinfo) {
    return absl::InvalidArgumentError(absl::StrCat(
        s.keyName("jwksURL"), " must be an http:// or https:// URL without credentials"));
  }
  return absl::OkStatus();
}

absl::Status readIssuer(const TomlSection& s, const std::string& file, JwtTokenConfig& out,
                        std::vector<std::string>& warnings) {
  GW_CONF_RETURN_IF_ERROR(s.checkKeys(
      {"issuer", "audience", "jwksURL", "certificateAlias", "consumerKeyClaim",
       "validateSubscription", "claimMapperClassName", "remoteUserClaimRetrievalEnabled"},
      {"claims"}));
  GW_CONF_RETURN_IF_ERROR(s.readString("issuer", out.issuer));
  if (out.issuer.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.keyName("issuer"), " is required (the token's exact `iss`)"));
  }
  GW_CONF_RETURN_IF_ERROR(s.readString("audience", out.audience));
  GW_CONF_RETURN_IF_ERROR(readJwksUrl(s, out.jwks_url));
  GW_CONF_RETURN_IF_ERROR(s.readPath("certificateAlias", out.certificate_alias));
  if (out.jwks_url.empty() == out.certificate_alias.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        s.keyName(""), " (issuer ", out.issuer,
        ") needs exactly one of jwksURL (the key manager's JWKS endpoint) and certificateAlias "
        "(a PEM file with the issuer's public key or certificate)"));
  }
  if (!out.certificate_alias.empty()) {
    out.certificate_alias = resolvePath(directoryOf(file), out.certificate_alias);
  }
  GW_CONF_RETURN_IF_ERROR(s.readString("consumerKeyClaim", out.consumer_key_claim));
  GW_CONF_RETURN_IF_ERROR(s.readBool("validateSubscription", out.validate_subscription));
  return readClaims(s, out);
}

absl::Status readIssuers(const TomlSection& root, const std::string& file, SecurityConfig& out,
                         std::vector<std::string>& warnings) {
  absl::StatusOr<std::vector<TomlSection>> issuers = root.sectionArray("jwtTokenConfig");
  if (!issuers.ok()) return issuers.status();
  for (const TomlSection& s : *issuers) {
    JwtTokenConfig issuer;
    GW_CONF_RETURN_IF_ERROR(readIssuer(s, file, issuer, warnings));
    for (const JwtTokenConfig& other : out.jwt_issuers) {
      if (other.issuer == issuer.issuer) {
        return absl::InvalidArgumentError(
            absl::StrCat(s.keyName("issuer"), ": issuer ", issuer.issuer,
                         " is configured twice; tokens are matched to one entry by `iss`"));
      }
    }
    out.jwt_issuers.push_back(std::move(issuer));
  }
  return absl::OkStatus();
}

absl::Status readAuthAndJwtConfig(const TomlSection& root, SecurityConfig& out) {
  absl::StatusOr<TomlSection> auth = root.section("authConfig");
  if (!auth.ok()) return auth.status();
  GW_CONF_RETURN_IF_ERROR(
      auth->checkKeys({"authorizationHeader", "removeAuthHeaderFromOutMessage"}, {}));
  GW_CONF_RETURN_IF_ERROR(auth->readString("authorizationHeader", out.authorization_header));
  if (out.authorization_header.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(auth->keyName("authorizationHeader"), " must not be empty"));
  }
  GW_CONF_RETURN_IF_ERROR(auth->readBool("removeAuthHeaderFromOutMessage", out.remove_auth_header));
  absl::StatusOr<TomlSection> jwt = root.section("jwtConfig");
  if (!jwt.ok()) return jwt.status();
  GW_CONF_RETURN_IF_ERROR(jwt->checkKeys({"enable", "enabled", "header"}, {}));
  GW_CONF_RETURN_IF_ERROR(jwt->readBool("enable", out.jwt_header_enabled));
  GW_CONF_RETURN_IF_ERROR(jwt->readBool("enabled", out.jwt_header_enabled));
  GW_CONF_RETURN_IF_ERROR(jwt->readString("header", out.jwt_header));
  if (out.jwt_header.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(jwt->keyName("header"), " must not be empty"));
  }
  return absl::OkStatus();
}

absl::Status readCaching(const TomlSection& root, SecurityConfig& out) {
  absl::StatusOr<TomlSection> s = root.section("caching");
  if (!s.ok()) return s.status();
  GW_CONF_RETURN_IF_ERROR(s->checkKeys(
      {"enabled", "tokenCacheExpiryTime", "tokenCacheCapacity", "tokenCacheEvictionFactor"}, {}));
  GW_CONF_RETURN_IF_ERROR(s->readBool("enabled", out.cache_enabled));
  GW_CONF_RETURN_IF_ERROR(s->readInt("tokenCacheExpiryTime", 1, kMaxU32, out.token_cache_expiry_s));
  GW_CONF_RETURN_IF_ERROR(s->readInt("tokenCacheCapacity", 1, 10000000, out.token_cache_capacity));
  GW_CONF_RETURN_IF_ERROR(
      s->readDouble("tokenCacheEvictionFactor", 0.0, 1.0, out.token_cache_eviction_factor));
  return absl::OkStatus();
}

}  // namespace

absl::Status readSecurity(const TomlSection& root, const std::string& file, SecurityConfig& out,
                          std::vector<std::string>& warnings) {
  GW_CONF_RETURN_IF_ERROR(readKeyManager(root, out, warnings));
  GW_CONF_RETURN_IF_ERROR(readIssuers(root, file, out, warnings));
  GW_CONF_RETURN_IF_ERROR(readAuthAndJwtConfig(root, out));
  GW_CONF_RETURN_IF_ERROR(readApiKey(root, file, out, warnings));
  return readCaching(root, out);
}

}  // namespace gw::conf
