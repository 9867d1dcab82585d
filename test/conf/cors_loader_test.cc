// x-wso2-cors: the three key spellings WSO2 accepts, defaults, enabling by
// presence, and bad values as errors naming the file and the API.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "conf/loader.h"

namespace gw::conf {
namespace {

constexpr char kHead[] = R"(openapi: 3.0.1
info: {title: Pets, version: '1'}
x-wso2-basePath: /pets
x-wso2-production-endpoints: {urls: ['http://127.0.0.1:8080']}
paths:
  /items:
    get: {}
)";

absl::StatusOr<ApiDefinition> load(const std::string& cors_yaml) {
  return loadApiFromString(absl::StrCat(kHead, cors_yaml), "api.yaml");
}

TEST(LoadCors, AbsentMeansDisabled) {
  absl::StatusOr<ApiDefinition> api = load("");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_FALSE(api->cors.enabled);
}

TEST(LoadCors, PresenceEnablesWithWso2Defaults) {
  absl::StatusOr<ApiDefinition> api = load("x-wso2-cors: {}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_TRUE(api->cors.enabled);
  EXPECT_EQ(api->cors.allow_origins, std::vector<std::string>{"*"});
  EXPECT_EQ(api->cors.allow_methods,
            (std::vector<std::string>{"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"}));
  EXPECT_EQ(api->cors.allow_headers.front(), "authorization");
  EXPECT_TRUE(api->cors.expose_headers.empty());
  EXPECT_FALSE(api->cors.allow_credentials);
}

TEST(LoadCors, ExplicitlyDisabled) {
  // What API Manager exports for an API without CORS.
  absl::StatusOr<ApiDefinition> api =
      load("x-wso2-cors:\n  corsConfigurationEnabled: false\n  accessControlAllowOrigins: ['*']\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_FALSE(api->cors.enabled);
}

TEST(LoadCors, ThreeSpellings) {
  const char* const blocks[] = {
      R"(x-wso2-cors:
  corsConfigurationEnabled: true
  accessControlAllowOrigins: ['https://App.Example.com', 'http://localhost:3000']
  accessControlAllowMethods: [get, POST]
  accessControlAllowHeaders: [Authorization, X-Trace]
  accessControlExposeHeaders: [X-Request-Id]
  accessControlAllowCredentials: true
)",
      R"(x-wso2-cors:
  cors_configuration_enabled: true
  access_control_allow_origins: ['https://App.Example.com', 'http://localhost:3000']
  access_control_allow_methods: [get, POST]
  access_control_allow_headers: [Authorization, X-Trace]
  access_control_expose_headers: [X-Request-Id]
  access_control_allow_credentials: true
)",
      R"(x-wso2-cors:
  cors-configuration-enabled: true
  access-control-allow-origins: ['https://App.Example.com', 'http://localhost:3000']
  access-control-allow-methods: [get, POST]
  access-control-allow-headers: [Authorization, X-Trace]
  access-control-expose-headers: [X-Request-Id]
  access-control-allow-credentials: true
)"};
  for (const char* block : blocks) {
    absl::StatusOr<ApiDefinition> api = load(block);
    ASSERT_TRUE(api.ok()) << api.status();
    EXPECT_TRUE(api->cors.enabled);
    EXPECT_EQ(api->cors.allow_origins,
              (std::vector<std::string>{"https://app.example.com", "http://localhost:3000"}));
    EXPECT_EQ(api->cors.allow_methods, (std::vector<std::string>{"GET", "POST"}));
    EXPECT_EQ(api->cors.allow_headers, (std::vector<std::string>{"Authorization", "X-Trace"}));
    EXPECT_EQ(api->cors.expose_headers, std::vector<std::string>{"X-Request-Id"});
    EXPECT_TRUE(api->cors.allow_credentials);
  }
}

TEST(LoadCors, ValidOrigins) {
  absl::StatusOr<ApiDefinition> api = load(
      "x-wso2-cors: {accessControlAllowOrigins: ['*', 'https://a.example:8443', "
      "'http://[::1]:3000', 'capacitor://localhost', ' https://b.example ']}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->cors.allow_origins,
            (std::vector<std::string>{"*", "https://a.example:8443", "http://[::1]:3000",
                                      "capacitor://localhost", "https://b.example"}));
}

TEST(LoadCors, Errors) {
  const std::string at = "api.yaml (API 'Pets'): ";
  const std::pair<std::string, std::string> cases[] = {
      {"x-wso2-cors: [a]\n", at + "x-wso2-cors: expected a map, got a list"},
      {"x-wso2-cors: {accessControlAllowOrigin: ['*']}\n",
       at + "unknown key 'x-wso2-cors.accessControlAllowOrigin' (did you mean "
            "'accessControlAllowOrigins'?)"},
      {"x-wso2-cors: {accessControlAllowOrigins: ['*'], access-control-allow-origins: ['*']}\n",
       at + "x-wso2-cors: 'accessControlAllowOrigins' and 'access-control-allow-origins' are the "
            "same key in two spellings; keep one"},
      {"x-wso2-cors: {accessControlAllowCredentials: 'yes please'}\n",
       at + "x-wso2-cors.accessControlAllowCredentials: expected a boolean (true or false)"},
      {"x-wso2-cors: {accessControlAllowOrigins: 'https://a.example'}\n",
       at + "x-wso2-cors.accessControlAllowOrigins: expected a list of strings, got a scalar"},
      {"x-wso2-cors: {accessControlAllowOrigins: ['*', example.com]}\n",
       at + "x-wso2-cors.accessControlAllowOrigins[1]: 'example.com' is not an origin: write "
            "scheme://host[:port] (e.g. 'https://app.example.com'), or '*' for any origin"},
      {"x-wso2-cors: {accessControlAllowOrigins: ['https://a.example/']}\n",
       at + "x-wso2-cors.accessControlAllowOrigins[0]: 'https://a.example/' has a path, query or "
            "trailing '/': an origin is only scheme://host[:port]"},
      {"x-wso2-cors: {accessControlAllowOrigins: ['https://*.example.com']}\n",
       at + "x-wso2-cors.accessControlAllowOrigins[0]: 'https://*.example.com' has a wildcard: "
            "only '*' alone (any origin) is supported; list each origin"},
      {"x-wso2-cors: {accessControlAllowOrigins: ['null']}\n",
       at + "x-wso2-cors.accessControlAllowOrigins[0]: 'null' is sent by sandboxed pages "
            "and local files, so any page can claim it; list real origins"},
      {"x-wso2-cors: {accessControlAllowOrigins: ['https://a.example:99999']}\n",
       at + "x-wso2-cors.accessControlAllowOrigins[0]: 'https://a.example:99999' has an invalid "
            "port"},
      {"x-wso2-cors: {accessControlAllowMethods: ['GET POST']}\n",
       at + "x-wso2-cors.accessControlAllowMethods[0]: holds blanks: write one value per list "
            "entry"},
      {"x-wso2-cors: {accessControlAllowHeaders: ['X-Ok', 'X:Bad']}\n",
       at + "x-wso2-cors.accessControlAllowHeaders[1]: 'X:Bad' is not a valid name (letters, "
            "digits and !#$%&'*+-.^_`|~ only)"},
      {"x-wso2-cors: {accessControlExposeHeaders: ['']}\n",
       at + "x-wso2-cors.accessControlExposeHeaders[0]: '' is empty"},
  };
  for (const auto& [yaml, expected] : cases) {
    absl::StatusOr<ApiDefinition> api = load(yaml);
    ASSERT_FALSE(api.ok()) << yaml;
    EXPECT_EQ(api.status().message(), expected) << yaml;
  }
}

TEST(LoadCors, OnAnOperationIsAnError) {
  absl::StatusOr<ApiDefinition> api = loadApiFromString(
      R"(openapi: 3.0.1
info: {title: Pets, version: '1'}
x-wso2-basePath: /pets
x-wso2-production-endpoints: {urls: ['http://127.0.0.1:8080']}
paths:
  /items:
    get:
      x-wso2-cors: {accessControlAllowOrigins: ['*']}
)",
      "api.yaml");
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(api.status().message(),
            "api.yaml: paths./items.get.x-wso2-cors: API 'Pets': x-wso2-cors applies to a whole "
            "API (as in WSO2 3.2); move it to the top level of the definition");
}

}  // namespace
}  // namespace gw::conf
