// Secure by default: per-operation security from OpenAPI files.

#include <gtest/gtest.h>

#include <string>

#include "conf/loader.h"

namespace gw::conf {
namespace {

constexpr char kHead[] =
    "openapi: 3.0.1\ninfo: {title: Shop, version: '1'}\nx-wso2-basePath: /shop\n"
    "x-wso2-production-endpoints: {urls: ['http://b:1']}\n";

absl::StatusOr<ApiDefinition> load(const std::string& body) {
  return loadApiFromString(std::string(kHead) + body, "shop.yaml");
}

const Operation& opOf(const ApiDefinition& api, const std::string& method,
                      const std::string& path) {
  for (const Operation& op : api.operations) {
    if (op.method == method && op.path_template == path) return op;
  }
  ADD_FAILURE() << "no " << method << " " << path;
  return api.operations.front();
}

TEST(ApiSecurity, SecuredByDefaultWithOAuth2AndNoScopes) {
  absl::StatusOr<ApiDefinition> api = load("paths:\n  /a:\n    get: {}\n    post:\n");
  ASSERT_TRUE(api.ok()) << api.status();
  for (const Operation& op : api->operations) {
    EXPECT_FALSE(op.disable_security) << op.method;
    EXPECT_TRUE(op.security.oauth2);
    EXPECT_FALSE(op.security.api_key);
    EXPECT_TRUE(op.security.scopes.empty());
  }
}

TEST(ApiSecurity, DisableSecurityOnApiOrOperationAndAuthTypeNone) {
  absl::StatusOr<ApiDefinition> api = load(
      "x-wso2-disable-security: true\n"
      "paths:\n  /a:\n    get: {}\n    post: {x-wso2-disable-security: false}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_TRUE(opOf(*api, "GET", "/a").disable_security);
  EXPECT_FALSE(opOf(*api, "POST", "/a").disable_security);

  api = load(
      "paths:\n  /a:\n    get: {x-auth-type: None}\n    put: {x-auth-type: 'Application & "
      "Application User'}\n    post: {x-wso2-disable-security: true}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_TRUE(opOf(*api, "GET", "/a").disable_security);
  EXPECT_FALSE(opOf(*api, "PUT", "/a").disable_security);
  EXPECT_TRUE(opOf(*api, "POST", "/a").disable_security);
}

TEST(ApiSecurity, DisableSecurityMustBeAYamlBoolean) {
  absl::StatusOr<ApiDefinition> api =
      load("x-wso2-disable-security: \"true\"\npaths:\n  /a:\n    get: {}\n");
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(api.status().message(),
            "shop.yaml: x-wso2-disable-security: expected a YAML boolean (true or false, without "
            "quotes), got a string");
  api = load("paths:\n  /a:\n    get: {x-wso2-disable-security: 'false'}\n");
  ASSERT_FALSE(api.ok());
  EXPECT_NE(api.status().message().find("paths./a.get.x-wso2-disable-security"), std::string::npos);
}

TEST(ApiSecurity, ScopesFromSecurityRequirementOperationOverridesApi) {
  absl::StatusOr<ApiDefinition> api = load(
      "security:\n  - default: [read]\n"
      "components:\n  securitySchemes:\n    default: {type: oauth2}\n"
      "paths:\n  /a:\n    get: {}\n    post:\n      security:\n        - default: [write, "
      "admin]\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(opOf(*api, "GET", "/a").security.scopes, std::vector<std::string>({"read"}));
  EXPECT_EQ(opOf(*api, "POST", "/a").security.scopes, std::vector<std::string>({"write", "admin"}));
}

TEST(ApiSecurity, ApiKeySchemeGivesLocationAndEnablesApiKey) {
  absl::StatusOr<ApiDefinition> api = load(
      "components:\n  securitySchemes:\n    key: {type: apiKey, in: query, name: k}\n"
      "paths:\n  /a:\n    get: {security: [{key: []}]}\n    post: {}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  const Operation& get = opOf(*api, "GET", "/a");
  EXPECT_TRUE(get.security.api_key);
  ASSERT_EQ(get.security.api_key_locations.size(), 1u);
  EXPECT_EQ(get.security.api_key_locations[0].in, "query");
  EXPECT_EQ(get.security.api_key_locations[0].name, "k");
  EXPECT_FALSE(opOf(*api, "POST", "/a").security.api_key);
}

TEST(ApiSecurity, ApplicationSecurityTypes) {
  absl::StatusOr<ApiDefinition> api = load(
      "x-wso2-application-security: {security-types: [api_key], optional: false}\n"
      "paths:\n  /a:\n    get: {}\n"
      "    post: {x-wso2-application-security: {security-types: [oauth2, api_key]}}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_FALSE(opOf(*api, "GET", "/a").security.oauth2);
  EXPECT_TRUE(opOf(*api, "GET", "/a").security.api_key);
  EXPECT_TRUE(opOf(*api, "POST", "/a").security.oauth2);
}

TEST(ApiSecurity, ApplicationSecurityErrorsNameTheApi) {
  const std::pair<std::string, std::string> cases[] = {
      {"x-wso2-application-security: {security-types: [oauth2, basic_auth]}\n",
       "shop.yaml: x-wso2-application-security.security-types: API 'Shop': basic_auth is not "
       "implemented by microgw; use oauth2 (JWT) or remove the API's basic_auth security type"},
      {"x-wso2-application-security: {security-types: [oauth]}\n",
       "shop.yaml: x-wso2-application-security.security-types: API 'Shop': unknown security "
       "type 'oauth' (did you mean 'oauth2'?); known: oauth2, api_key"},
      {"x-wso2-application-security: {security-types: []}\n",
       "shop.yaml: x-wso2-application-security.security-types: API 'Shop': lists no security "
       "type; to open the API set x-wso2-disable-security: true"},
      {"x-wso2-application-security: {optional: 'yes'}\n",
       "shop.yaml: x-wso2-application-security.optional: expected a YAML boolean (true or "
       "false, without quotes), got a string"},
      {"x-wso2-aplication-security: {}\n",
       "shop.yaml: unknown key 'x-wso2-aplication-security' (did you mean "
       "'x-wso2-application-security'?)"},
  };
  for (const auto& [yaml, error] : cases) {
    absl::StatusOr<ApiDefinition> api = load(yaml + "paths:\n  /a:\n    get: {}\n");
    ASSERT_FALSE(api.ok()) << yaml;
    EXPECT_EQ(api.status().message(), error) << yaml;
  }
}

}  // namespace
}  // namespace gw::conf
