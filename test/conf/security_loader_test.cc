// micro-gw.conf security sections: [keyManager], [[jwtTokenConfig]],
// [authConfig], [jwtConfig], [caching].

#include <gtest/gtest.h>

#include <string>

#include "conf/loader.h"

namespace gw::conf {
namespace {

absl::StatusOr<Config> load(const std::string& toml) {
  return loadConfigFromString(toml, "/etc/mgw/micro-gw.conf", Environment::fromMap({}));
}

TEST(SecurityConfig, Defaults) {
  absl::StatusOr<Config> config = load("");
  ASSERT_TRUE(config.ok()) << config.status();
  const SecurityConfig& s = config->security;
  EXPECT_EQ(s.timestamp_skew_ms, 5000u);
  EXPECT_TRUE(s.jwt_issuers.empty());
  EXPECT_EQ(s.authorization_header, "Authorization");
  EXPECT_TRUE(s.remove_auth_header);
  EXPECT_FALSE(s.jwt_header_enabled);
  EXPECT_EQ(s.jwt_header, "X-JWT-Assertion");
  EXPECT_TRUE(s.cache_enabled);
  EXPECT_EQ(s.token_cache_expiry_s, 900u);
  EXPECT_EQ(s.token_cache_capacity, 10000u);
  EXPECT_DOUBLE_EQ(s.token_cache_eviction_factor, 0.25);
}

TEST(SecurityConfig, AllKeys) {
  absl::StatusOr<Config> config = load(R"(
[keyManager]
timestampSkew = 1000
serverUrl = "https://km:9443"

[[jwtTokenConfig]]
issuer = "https://km/oauth2/token"
audience = "http://api"
jwksURL = "https://km/jwks"
consumerKeyClaim = "azp"
validateSubscription = false
  [[jwtTokenConfig.claims]]
  remoteClaim = "scp"
  localClaim = "scope"

[[jwtTokenConfig]]
issuer = "other"
certificateAlias = "certs/other.pem"

[authConfig]
authorizationHeader = "X-Token"
removeAuthHeaderFromOutMessage = false

[jwtConfig]
enable = true
header = "X-Claims"

[caching]
enabled = false
tokenCacheExpiryTime = 60
tokenCacheCapacity = 5
tokenCacheEvictionFactor = 0.5
)");
  ASSERT_TRUE(config.ok()) << config.status();
  const SecurityConfig& s = config->security;
  EXPECT_EQ(s.timestamp_skew_ms, 1000u);
  ASSERT_EQ(s.jwt_issuers.size(), 2u);
  EXPECT_EQ(s.jwt_issuers[0].issuer, "https://km/oauth2/token");
  EXPECT_EQ(s.jwt_issuers[0].audience, "http://api");
  EXPECT_EQ(s.jwt_issuers[0].jwks_url, "https://km/jwks");
  EXPECT_EQ(s.jwt_issuers[0].consumer_key_claim, "azp");
  ASSERT_EQ(s.jwt_issuers[0].claims.size(), 1u);
  EXPECT_EQ(s.jwt_issuers[0].claims[0].remote_claim, "scp");
  EXPECT_EQ(s.jwt_issuers[0].claims[0].local_claim, "scope");
  EXPECT_EQ(s.jwt_issuers[1].certificate_alias, "/etc/mgw/certs/other.pem");
  EXPECT_EQ(s.authorization_header, "X-Token");
  EXPECT_FALSE(s.remove_auth_header);
  EXPECT_TRUE(s.jwt_header_enabled);
  EXPECT_EQ(s.jwt_header, "X-Claims");
  EXPECT_FALSE(s.cache_enabled);
  EXPECT_EQ(s.token_cache_expiry_s, 60u);
  EXPECT_EQ(s.token_cache_capacity, 5u);
  EXPECT_DOUBLE_EQ(s.token_cache_eviction_factor, 0.5);
  // serverUrl is implemented (introspection): no notice for it, nor for anything else.
  EXPECT_TRUE(config->warnings.empty()) << config->warnings[0];
  EXPECT_EQ(s.introspectionUrl(), "https://km:9443/oauth2/introspect");
}

TEST(SecurityConfig, IntrospectionAndApiKeyDefaults) {
  absl::StatusOr<Config> config = load("");
  ASSERT_TRUE(config.ok()) << config.status();
  const SecurityConfig& s = config->security;
  EXPECT_EQ(s.introspectionUrl(), "https://localhost:9443/oauth2/introspect");
  EXPECT_FALSE(s.introspect_failed_jwt);
  EXPECT_TRUE(s.km_basic_enabled);
  EXPECT_EQ(s.km_username, "admin");
  EXPECT_EQ(s.apikey_issuer, "https://localhost:9095/apikey");
  EXPECT_TRUE(s.apikey_certificate_alias.empty());
  EXPECT_FALSE(s.apikey_validate_allowed_apis);
}

TEST(SecurityConfig, IntrospectionAndApiKeyKeys) {
  absl::StatusOr<Config> config = load(R"(
[keyManager]
serverUrl = "https://km:9443/"
tokenContext = "oauth2/token"
enableIntrospectForFailedJWT = true

[keymanager.security.basic]
enabled = true
username = "gw"
password = "s3cret"

[apikey.tokenConfigs]
issuer = "https://keys"
certificateAlias = "keys.pem"
validateAllowedAPIs = true
)");
  ASSERT_TRUE(config.ok()) << config.status();
  const SecurityConfig& s = config->security;
  EXPECT_EQ(s.introspectionUrl(), "https://km:9443/oauth2/token/introspect");
  EXPECT_TRUE(s.introspect_failed_jwt);
  EXPECT_EQ(s.km_username, "gw");
  EXPECT_EQ(s.km_password, "s3cret");
  EXPECT_EQ(s.apikey_issuer, "https://keys");
  EXPECT_EQ(s.apikey_certificate_alias, "/etc/mgw/keys.pem");
  EXPECT_TRUE(s.apikey_validate_allowed_apis);
  for (const std::string& w : config->warnings) EXPECT_EQ(w.find("s3cret"), std::string::npos);

  config = load("[keyManager]\nintrospectionURL = \"http://km/introspect\"\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->security.introspectionUrl(), "http://km/introspect");
  config = load("[keymanager.security.basic]\nusername = \"u\"\npasword = \"p\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(std::string(config.status().message()).find("did you mean 'password'"),
            std::string::npos)
      << config.status();
  config = load("[apikey.tokenConfigs]\nvalidateAllowedAPI = true\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(std::string(config.status().message()).find("validateAllowedAPIs"), std::string::npos);
}

TEST(SecurityConfig, Errors) {
  const std::pair<std::string, std::string> cases[] = {
      {"[[jwtTokenConfig]]\njwksURL = \"http://km/jwks\"\n",
       "/etc/mgw/micro-gw.conf: 'jwtTokenConfig[0].issuer' is required (the token's exact `iss`)"},
      {"[[jwtTokenConfig]]\nissuer = \"i\"\n",
       "/etc/mgw/micro-gw.conf: 'jwtTokenConfig[0]' (issuer i) needs exactly one of jwksURL (the "
       "key manager's JWKS endpoint) and certificateAlias (a PEM file with the issuer's public "
       "key or certificate)"},
      {"[[jwtTokenConfig]]\nissuer = \"i\"\njwksURL = \"ftp://km/jwks\"\n",
       "/etc/mgw/micro-gw.conf: 'jwtTokenConfig[0].jwksURL' must be an http:// or https:// URL "
       "without credentials"},
      {"[[jwtTokenConfig]]\nissuer = \"i\"\njwksUrl = \"http://km/jwks\"\n",
       "/etc/mgw/micro-gw.conf: unknown key 'jwtTokenConfig[0].jwksUrl' (did you mean "
       "'jwksURL'?)"},
      {"[[jwtTokenConfig]]\nissuer = \"i\"\njwksURL = \"http://a\"\n"
       "[[jwtTokenConfig]]\nissuer = \"i\"\njwksURL = \"http://b\"\n",
       "/etc/mgw/micro-gw.conf: 'jwtTokenConfig[1].issuer': issuer i is configured twice; "
       "tokens are matched to one entry by `iss`"},
      {"[keyManager]\ntimestampSkew = -1\n",
       "/etc/mgw/micro-gw.conf: 'keyManager.timestampSkew' must be between 0 and 4294967295, "
       "got -1"},
      {"[caching]\ntokenCacheEvictionFactor = 2.0\n",
       "/etc/mgw/micro-gw.conf: 'caching.tokenCacheEvictionFactor' must be between 0 and 1, "
       "got 2"},
      {"[authConfig]\nremoveAuthHeaderFromOutMesage = true\n",
       "/etc/mgw/micro-gw.conf: unknown key 'authConfig.removeAuthHeaderFromOutMesage' (did you "
       "mean 'removeAuthHeaderFromOutMessage'?)"},
      // Subscription validation is not implemented: ignoring it would open every API.
      {"[[jwtTokenConfig]]\nissuer = \"i\"\njwksURL = \"http://km/jwks\"\n"
       "validateSubscription = true\n",
       "/etc/mgw/micro-gw.conf: 'jwtTokenConfig[0].validateSubscription' = true is refused, "
       "because ignoring it would weaken security: subscription validation is not implemented, "
       "so any valid token of this issuer would reach every API; set validateSubscription = "
       "false and restrict access with scopes"},
      {"[cachng]\nenabled = true\n",
       "/etc/mgw/micro-gw.conf: unknown section 'cachng' (did you mean 'caching'?)"},
  };
  for (const auto& [toml, error] : cases) {
    absl::StatusOr<Config> config = load(toml);
    ASSERT_FALSE(config.ok()) << toml;
    EXPECT_EQ(config.status().message(), error) << toml;
  }
}

}  // namespace
}  // namespace gw::conf
