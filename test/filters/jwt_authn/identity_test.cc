// identityFromClaims: who WSO2 token, API-key and introspection claims name.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "filters/jwt_authn/jwt.h"

namespace gw::filters::jwt_authn {
namespace {

TEST(IdentityFromClaims, Wso2TokenClaims) {
  const nlohmann::json claims = nlohmann::json::parse(R"({
    "sub": "alice@carbon.super", "keytype": "PRODUCTION", "azp": "ignored",
    "application": {"id": 7, "name": "Shop", "tier": "50PerMin", "owner": "alice"},
    "subscribedAPIs": [{"name": "Pets", "version": "1.0.0", "subscriptionTier": "Gold",
                        "context": "/pets/1.0.0"}, "junk"]})");
  http::AuthIdentity id = identityFromClaims(claims);
  EXPECT_EQ(id.subject, "alice@carbon.super");
  EXPECT_EQ(id.application_id, "7");  // WSO2 issues numeric ids
  EXPECT_EQ(id.application_name, "Shop");
  EXPECT_EQ(id.application_tier, "50PerMin");
  EXPECT_EQ(id.application_owner, "alice");
  EXPECT_EQ(id.key_type, "PRODUCTION");
  ASSERT_NE(id.subscriptionFor("Pets", "1.0.0"), nullptr);
  EXPECT_EQ(id.subscriptionFor("Pets", "1.0.0")->tier, "Gold");
  EXPECT_EQ(id.subscriptionFor("Pets", "2.0.0"), nullptr);
}

TEST(IdentityFromClaims, FallbacksForPlainTokensAndIntrospection) {
  http::AuthIdentity oidc = identityFromClaims(nlohmann::json{{"sub", "bob"}, {"azp", "c1"}});
  EXPECT_EQ(oidc.subject, "bob");
  EXPECT_EQ(oidc.application_id, "c1");
  EXPECT_EQ(oidc.application_tier, "");
  http::AuthIdentity intro = identityFromClaims(
      nlohmann::json{{"active", true}, {"username", "carol"}, {"client_id", "c2"}});
  EXPECT_EQ(intro.subject, "carol");
  EXPECT_EQ(intro.application_id, "c2");
  EXPECT_TRUE(identityFromClaims(nlohmann::json::array()).subject.empty());
  EXPECT_TRUE(identityFromClaims(nlohmann::json{{"application", "x"}}).application_id.empty());
}

}  // namespace
}  // namespace gw::filters::jwt_authn
