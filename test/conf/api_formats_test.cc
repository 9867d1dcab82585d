// API definitions in JSON and Swagger 2.0; x-wso2-basePath and
// x-wso2-production-endpoints taken from servers / basePath / host when absent.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "conf/loader.h"

namespace gw::conf {
namespace {

absl::StatusOr<ApiDefinition> load(const std::string& text, const std::string& file = "api.yaml") {
  return loadApiFromString(text, file, Environment{});
}

std::string tmpDir(const std::string& name) {
  const char* root = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(root != nullptr ? root : "/tmp", "/", name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

constexpr char kJson[] = R"({
	"openapi": "3.0.1",
	"info": {"title": "Orders", "version": "2"},
	"x-wso2-basePath": "/orders/{version}",
	"x-wso2-production-endpoints": {"urls": ["http://orders.internal:8080/api"],
	                                "advanceEndpointConfig": {"timeoutInMillis": 2500}},
	"x-wso2-disable-security": true,
	"paths": {
		"/items/{id}": {"get": {"x-wso2-throttling-tier": "Gold"}, "delete": {}}
	}
})";

TEST(ApiJson, LoadsLikeYaml) {
  absl::StatusOr<ApiDefinition> api = load(kJson, "orders.json");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->title, "Orders");
  EXPECT_EQ(api->base_path, "/orders/2");
  ASSERT_EQ(api->production.urls.size(), 1u);
  EXPECT_EQ(api->production.urls[0].host, "orders.internal");
  EXPECT_EQ(api->production.urls[0].base_path, "/api");
  EXPECT_EQ(api->production.timeout_ms, 2500u);
  EXPECT_TRUE(api->disable_security);
  ASSERT_EQ(api->operations.size(), 2u);
  EXPECT_EQ(api->operations[0].method, "GET");
  EXPECT_EQ(api->operations[0].throttling_tier, "Gold");
  EXPECT_TRUE(api->warnings.empty());
}

// A JSON string is a string: "true" is not the boolean x-wso2-disable-security wants.
TEST(ApiJson, QuotedBooleanIsRefusedAsInYaml) {
  absl::StatusOr<ApiDefinition> api = load(
      R"({"openapi": "3.0.0", "info": {"title": "T", "version": "1"},
          "x-wso2-basePath": "/t", "x-wso2-disable-security": "true",
          "x-wso2-production-endpoints": {"urls": ["http://b"]}, "paths": {"/a": {"get": {}}}})",
      "t.json");
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(api.status().message(),
            "t.json: x-wso2-disable-security: expected a YAML boolean (true or false, without "
            "quotes), got a string");
}

TEST(ApiJson, SyntaxErrorNamesLineAndColumnWithoutEchoingText) {
  absl::StatusOr<ApiDefinition> api = load(
      "{\n  \"openapi\": \"3.0.0\",\n  \"x\": {\"password\": \"JsonS3cret\" \"urls\": []}\n}\n",
      "bad.json");
  ASSERT_FALSE(api.ok());
  const std::string message(api.status().message());
  EXPECT_EQ(message.rfind("bad.json: invalid JSON at line 3, column ", 0), 0u) << message;
  EXPECT_EQ(message.find("JsonS3cret"), std::string::npos) << message;
}

TEST(ApiJson, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "{\"openapi\": " + std::string(5000, '[') + std::string(5000, ']') + "}";
  absl::StatusOr<ApiDefinition> api = load(deep, "deep.json");
  ASSERT_FALSE(api.ok());
  EXPECT_NE(api.status().message().find("deep.json"), std::string::npos);
}

// Before: a folder with one YAML and one JSON API loaded the YAML one only, silently.
TEST(ApiJson, DirectoryLoadsYamlAndJson) {
  const std::string dir = tmpDir("yaml_and_json");
  std::ofstream(dir + "/orders.json") << kJson;
  std::ofstream(dir + "/pets.yaml")
      << "openapi: 3.0.0\ninfo: {title: P, version: 1}\nx-wso2-basePath: /pets\n"
         "x-wso2-production-endpoints: {urls: ['http://b']}\npaths: {/a: {get: {}}}\n";
  absl::StatusOr<std::vector<ApiDefinition>> apis = loadApis(dir, Environment{});
  ASSERT_TRUE(apis.ok()) << apis.status();
  ASSERT_EQ(apis->size(), 2u);
  EXPECT_EQ((*apis)[0].file, dir + "/orders.json");
  EXPECT_EQ((*apis)[1].file, dir + "/pets.yaml");
}

TEST(ApiJson, InvalidJsonFileInDirectoryIsAnError) {
  const std::string dir = tmpDir("bad_json");
  std::ofstream(dir + "/broken.json") << "{\"openapi\": \"3.0.0\",}";
  absl::StatusOr<std::vector<ApiDefinition>> apis = loadApis(dir, Environment{});
  ASSERT_FALSE(apis.ok());
  EXPECT_EQ(std::string(apis.status().message()).rfind(dir + "/broken.json: invalid JSON", 0), 0u)
      << apis.status();
}

TEST(Swagger2, BasePathHostAndSchemes) {
  absl::StatusOr<ApiDefinition> api = load(R"(
swagger: '2.0'
info: {title: Inventory, version: 1.0.0}
host: inventory.internal:9000
basePath: /inventory/v1/
schemes: [https, http]
paths:
  /stock/{sku}:
    get: {x-wso2-disable-security: true}
    put: {}
)");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->base_path, "/inventory/v1");
  ASSERT_EQ(api->production.urls.size(), 1u);
  EXPECT_EQ(api->production.urls[0].scheme, "https");
  EXPECT_EQ(api->production.urls[0].host, "inventory.internal");
  EXPECT_EQ(api->production.urls[0].port, 9000);
  EXPECT_EQ(api->production.urls[0].base_path, "/inventory/v1");
  ASSERT_EQ(api->operations.size(), 2u);
  EXPECT_TRUE(api->operations[0].disable_security);
  EXPECT_FALSE(api->operations[1].disable_security);
  EXPECT_TRUE(api->warnings.empty());
}

TEST(Swagger2, ExtensionsWinOverBasePathAndHost) {
  absl::StatusOr<ApiDefinition> api = load(R"(
swagger: "2.0"
info: {title: S, version: v2}
host: ignored.example
basePath: /ignored
x-wso2-basePath: /s/{version}
x-wso2-production-endpoints: {urls: ['http://real:81']}
paths: {/a: {get: {}}}
)");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->base_path, "/s/v2");
  EXPECT_EQ(api->production.urls[0].host, "real");
}

TEST(Swagger2, NoHostNeedsEndpoints) {
  absl::StatusOr<ApiDefinition> api =
      load("swagger: '2.0'\ninfo: {title: S, version: 1}\nbasePath: /s\npaths: {/a: {get: {}}}\n");
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(api.status().message(),
            "api.yaml: 'x-wso2-production-endpoints' is required: the definition has no host, so "
            "it names no backend");
}

TEST(Swagger2, SchemesWithoutHttp) {
  absl::StatusOr<ApiDefinition> api = load(
      "swagger: '2.0'\ninfo: {title: S, version: 1}\nhost: h\nschemes: [ws]\npaths: {/a: {}}\n");
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(api.status().message(),
            "api.yaml: 'x-wso2-production-endpoints' is required: schemes lists neither http nor "
            "https, so it names no backend");
}

TEST(OpenApi3, ServersGiveBasePathAndEndpoint) {
  absl::StatusOr<ApiDefinition> api = load(R"(
openapi: 3.0.0
info: {title: Pets, version: 1.0.0}
servers:
  - url: '{scheme}://pets.internal:{port}/pets/v1/'
    variables:
      scheme: {default: http, enum: [http, https]}
      port: {default: '8081'}
  - url: https://other.example/ignored
paths: {/pets: {get: {}}}
)");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->base_path, "/pets/v1");
  ASSERT_EQ(api->production.urls.size(), 1u);
  EXPECT_EQ(api->production.urls[0].url, "http://pets.internal:8081/pets/v1/");
  EXPECT_EQ(api->production.urls[0].port, 8081);
  EXPECT_EQ(api->production.urls[0].base_path, "/pets/v1");
  EXPECT_TRUE(api->warnings.empty());
}

TEST(OpenApi3, RelativeServerGivesBasePathOnly) {
  absl::StatusOr<ApiDefinition> api = load(
      "openapi: 3.0.0\ninfo: {title: R, version: 1}\nservers: [{url: /r/v1}]\n"
      "x-wso2-production-endpoints: {urls: ['http://b']}\npaths: {/a: {get: {}}}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->base_path, "/r/v1");
  EXPECT_EQ(api->production.urls[0].host, "b");
}

TEST(OpenApi3, NoBasePathAnywhereServesAtRootWithAWarning) {
  absl::StatusOr<ApiDefinition> api = load(
      "openapi: 3.0.0\ninfo: {title: Root, version: 1}\n"
      "x-wso2-production-endpoints: {urls: ['http://b']}\npaths: {/a: {get: {}}}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->base_path, "/");
  EXPECT_EQ(api->warnings, std::vector<std::string>{
                               "api.yaml: API 'Root': no x-wso2-basePath and no path in "
                               "servers[0].url: the API is served at '/' (set x-wso2-basePath to "
                               "give it its own path)"});
}

TEST(OpenApi3, ServerWithoutPathServesAtRootWithAWarning) {
  absl::StatusOr<ApiDefinition> api = load(
      "openapi: 3.0.0\ninfo: {title: H, version: 1}\nservers: [{url: 'http://h:81'}]\n"
      "paths: {/a: {get: {}}}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->base_path, "/");
  EXPECT_EQ(api->production.urls[0].port, 81);
  EXPECT_EQ(api->warnings.size(), 1u);
}

TEST(OpenApi3, ExplicitRootBasePathIsAllowedWithoutWarning) {
  absl::StatusOr<ApiDefinition> api = load(
      "openapi: 3.0.0\ninfo: {title: Root, version: 1}\nx-wso2-basePath: /\n"
      "x-wso2-production-endpoints: {urls: ['http://b']}\npaths: {/a: {get: {}}}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->base_path, "/");
  EXPECT_TRUE(api->warnings.empty());
}

TEST(OpenApi3, UnresolvedServerVariableInBasePathIsAnError) {
  absl::StatusOr<ApiDefinition> api = load(
      "openapi: 3.0.0\ninfo: {title: V, version: 1}\nservers: [{url: '/v/{stage}'}]\n"
      "x-wso2-production-endpoints: {urls: ['http://b']}\npaths: {/a: {get: {}}}\n");
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(api.status().message(),
            "api.yaml: servers[0].url: '/v/{stage}' must not contain '?', '#', '{', '}' or "
            "blanks");
}

}  // namespace
}  // namespace gw::conf
