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

constexpr char kHead[] = "openapi: 3.0.1\ninfo: {title: T, version: '2.1'}\n";
constexpr char kBase[] = "x-wso2-basePath: /t\n";
constexpr char kEndpoints[] = "x-wso2-production-endpoints: {urls: ['http://b:1']}\n";
constexpr char kPaths[] = "paths:\n  /a:\n    get: {}\n";

absl::StatusOr<ApiDefinition> load(const std::string& yaml, const Environment& env = {}) {
  return loadApiFromString(yaml, "api.yaml", env);
}

std::string tmpDir(const std::string& name) {
  const char* root = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(root != nullptr ? root : "/tmp", "/", name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void writeFile(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
}

TEST(LoadApis, Petstore) {
  absl::StatusOr<std::vector<ApiDefinition>> apis = loadApis("conf/apis", {});
  ASSERT_TRUE(apis.ok()) << apis.status();
  ASSERT_EQ(apis->size(), 1u);
  const ApiDefinition& api = (*apis)[0];
  EXPECT_EQ(api.file, "conf/apis/petstore.yaml");
  EXPECT_EQ(api.title, "Petstore");
  EXPECT_EQ(api.version, "1.0.0");
  EXPECT_EQ(api.base_path, "/petstore/v1");
  ASSERT_EQ(api.production.urls.size(), 1u);
  const EndpointUrl& url = api.production.urls[0];
  EXPECT_EQ(url.url, "http://127.0.0.1:8081/");
  EXPECT_EQ(url.scheme, "http");
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, 8081);
  EXPECT_EQ(url.base_path, "");
  EXPECT_EQ(api.production.type, EndpointType::LoadBalance);
  EXPECT_EQ(api.production.timeout_ms, 30000u);
  EXPECT_EQ(api.production.proxy.mode, EndpointProxy::Mode::Inherit);
  EXPECT_TRUE(api.disable_security);
  EXPECT_EQ(api.auth_header, "");  // [authConfig] authorizationHeader applies
  EXPECT_FALSE(api.cors.enabled);
  ASSERT_EQ(api.operations.size(), 4u);
  const std::pair<const char*, const char*> expected[] = {
      {"GET", "/pets"}, {"POST", "/pets"}, {"GET", "/pets/{petId}"}, {"DELETE", "/pets/{petId}"}};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(api.operations[i].method, expected[i].first) << i;
    EXPECT_EQ(api.operations[i].path_template, expected[i].second) << i;
    EXPECT_TRUE(api.operations[i].disable_security) << i;
    EXPECT_FALSE(api.operations[i].endpoint.has_value()) << i;
  }
}

TEST(LoadApiFromString, AllExtensions) {
  absl::StatusOr<ApiDefinition> api = load(R"(
openapi: 3.0.0
info: {title: Full, version: 1.0}
x-wso2-basePath: full/{version}/
x-wso2-production-endpoints:
  urls: ['https://[2001:db8::1]/base/', 'http://b.example:8080/x/y']
  type: failover
  proxy: none
x-wso2-disable-security: true
x-wso2-throttling-tier: Gold
x-wso2-auth-header: X-Auth
x-wso2-cors:
  corsConfigurationEnabled: true
  accessControlAllowOrigins: ['*']
  accessControlAllowMethods: [GET, POST]
  accessControlAllowHeaders: [authorization]
  accessControlAllowCredentials: true
components: {schemas: {}}
paths:
  /items/{id}:
    parameters: [{name: id, in: path}]
    summary: ignored
    x-custom: ignored
    get:
      x-wso2-disable-security: false
      x-wso2-throttling-tier: Bronze
      x-wso2-production-endpoints:
        urls: [http://override:9000]
        advanceEndpointConfig: {timeoutInMillis: 1500, retryConfig: {count: 3}}
        proxy:
          host: squid2
          port: 3129
          username: u
          passwordEnv: API_PROXY_PW
          httpMode: forward
    patch:
  /other:
    trace: {x-wso2-production-endpoints: {urls: [http://o], proxy: global}}
)",
                                           Environment::fromMap({{"API_PROXY_PW", "pw!"}}));
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->title, "Full");
  EXPECT_EQ(api->version, "1.0");
  EXPECT_EQ(api->base_path, "/full/1.0");
  ASSERT_EQ(api->production.urls.size(), 2u);
  EXPECT_EQ(api->production.urls[0].scheme, "https");
  EXPECT_EQ(api->production.urls[0].host, "2001:db8::1");
  EXPECT_EQ(api->production.urls[0].port, 443);
  EXPECT_EQ(api->production.urls[0].base_path, "/base");
  EXPECT_EQ(api->production.urls[1].port, 8080);
  EXPECT_EQ(api->production.urls[1].base_path, "/x/y");
  EXPECT_EQ(api->production.type, EndpointType::Failover);
  EXPECT_EQ(api->production.timeout_ms, 60000u);
  EXPECT_EQ(api->production.proxy.mode, EndpointProxy::Mode::None);
  EXPECT_TRUE(api->disable_security);
  EXPECT_EQ(api->throttling_tier, "Gold");
  EXPECT_EQ(api->auth_header, "X-Auth");
  EXPECT_TRUE(api->cors.enabled);
  EXPECT_EQ(api->cors.allow_origins, std::vector<std::string>{"*"});
  EXPECT_EQ(api->cors.allow_methods, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_EQ(api->cors.allow_headers, std::vector<std::string>{"authorization"});
  EXPECT_TRUE(api->cors.allow_credentials);
  ASSERT_EQ(api->operations.size(), 3u);
  const Operation& get = api->operations[0];
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.path_template, "/items/{id}");
  EXPECT_FALSE(get.disable_security);
  EXPECT_EQ(get.throttling_tier, "Bronze");
  ASSERT_TRUE(get.endpoint.has_value());
  EXPECT_EQ(get.endpoint->urls[0].host, "override");
  EXPECT_EQ(get.endpoint->urls[0].port, 9000);
  EXPECT_EQ(get.endpoint->timeout_ms, 1500u);
  EXPECT_EQ(get.endpoint->retry.count, 3u);
  const EndpointProxy& proxy = get.endpoint->proxy;
  EXPECT_EQ(proxy.mode, EndpointProxy::Mode::Custom);
  EXPECT_TRUE(proxy.custom.enabled);
  EXPECT_EQ(proxy.custom.host, "squid2");
  EXPECT_EQ(proxy.custom.port, 3129);
  EXPECT_EQ(proxy.custom.username, "u");
  EXPECT_EQ(proxy.custom.password, "pw!");
  EXPECT_EQ(proxy.custom.http_mode, HttpProxyMode::Forward);
  const Operation& patch = api->operations[1];
  EXPECT_EQ(patch.method, "PATCH");
  EXPECT_TRUE(patch.disable_security);  // inherited
  EXPECT_EQ(patch.throttling_tier, "");
  EXPECT_FALSE(patch.endpoint.has_value());
  const Operation& trace = api->operations[2];
  EXPECT_EQ(trace.method, "TRACE");
  ASSERT_TRUE(trace.endpoint.has_value());
  EXPECT_EQ(trace.endpoint->proxy.mode, EndpointProxy::Mode::Inherit);
}

TEST(LoadApiFromString, EndpointsOnlyPerOperation) {
  absl::StatusOr<ApiDefinition> api = load(absl::StrCat(
      kHead, kBase, "paths:\n  /a:\n    get: {x-wso2-production-endpoints: {urls: [http://h]}}\n"));
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_TRUE(api->production.urls.empty());
  ASSERT_EQ(api->operations.size(), 1u);
  EXPECT_EQ(api->operations[0].endpoint->urls[0].port, 80);
}

struct ErrorCase {
  std::string yaml;
  std::string expected;  // the whole message
};

std::string withEndpoints(const std::string& endpoints) {
  return absl::StrCat(kHead, kBase, "x-wso2-production-endpoints:\n", endpoints, kPaths);
}

std::string withTop(const std::string& extra) {
  return absl::StrCat(kHead, kBase, kEndpoints, extra, kPaths);
}

TEST(LoadApiFromString, Errors) {
  const std::string loc = "api.yaml: x-wso2-production-endpoints";
  const ErrorCase cases[] = {
      {withEndpoints("  urls: ['ftp://x']\n"),
       "api.yaml: x-wso2-production-endpoints.urls[0]: 'ftp://x' has unsupported scheme 'ftp' "
       "(expected http or https)"},
      {withEndpoints("  urls: ['http://a', 'b.example:80']\n"),
       loc + ".urls[1]: 'b.example:80' has no scheme (expected http:// or https://)"},
      {withEndpoints("  urls: ['http://h:0/']\n"),
       loc + ".urls[0]: 'http://h:0/' is not a valid URL: invalid port (expected 1..65535)"},
      {withEndpoints("  urls: ['http://[::1/']\n"),
       loc + ".urls[0]: 'http://[::1/' is not a valid URL: unterminated IPv6 literal (missing "
             "']')"},
      {withEndpoints("  urls: ['http://u:Secr3t@h/']\n"),
       loc + ".urls[0]: credentials in endpoint URLs are not supported"},
      {withEndpoints("  urls: ['http://h/?a=b#top']\n"),
       loc + ".urls[0]: 'http://h/?a=b#top' must not have a fragment ('#')"},
      {withEndpoints("  urls: []\n"), loc + ".urls: must list at least one URL"},
      {withEndpoints("  urls: http://h\n"),
       loc + ".urls: expected a list of strings, got a scalar"},
      {withEndpoints("  type: load_balance\n"), loc + ".urls: is required"},
      {withEndpoints("  urls: [http://h]\n  type: roundrobin\n"),
       loc + ".type: expected load_balance, failover, http or address, got 'roundrobin'"},
      {withEndpoints("  urls: [http://h]\n  advanceEndpointConfig: {timeoutInMillis: 0}\n"),
       loc + ".advanceEndpointConfig.timeoutInMillis: must be between 1 and 4294967295, got 0"},
      {withEndpoints("  urls: [http://h]\n  advanceEndpointConfig: {timeoutInMillis: soon}\n"),
       loc + ".advanceEndpointConfig.timeoutInMillis: expected an integer"},
      {withEndpoints("  urls: [http://h]\n  url: [http://h]\n"),
       "api.yaml: unknown key 'x-wso2-production-endpoints.url' (did you mean 'urls'?)"},
      {withEndpoints("  urls: [http://h]\n  proxy: direct\n"),
       loc + ".proxy: expected 'none', 'global' or a map {host, port, username, password, ...}"},
      {withEndpoints("  urls: [http://h]\n  proxy: {port: 3128}\n"),
       loc + ".proxy.host: is required"},
      {withEndpoints("  urls: [http://h]\n  proxy: {hots: squid}\n"),
       "api.yaml: unknown key 'x-wso2-production-endpoints.proxy.hots' (did you mean 'host'?)"},
      {withEndpoints("  urls: [http://h]\n  proxy: {host: s, port: 0}\n"),
       loc + ".proxy.port: must be between 1 and 65535, got 0"},
      {withEndpoints("  urls: [http://h]\n  proxy: {host: s, httpMode: tunnel}\n"),
       loc + ".proxy.httpMode: expected connect or forward, got 'tunnel'"},
      {withEndpoints("  urls: [http://h]\n  proxy: {host: s, passwordEnv: NOPE_UNSET}\n"),
       loc + ".proxy.passwordEnv: environment variable 'NOPE_UNSET' is not set"},
      {withEndpoints("  urls: [http://h]\n  proxy: {host: s, password: Secr3t, passwordEnv: V}\n"),
       loc + ".proxy: set at most one of password, passwordEnv, passwordFile"},
      {withEndpoints("  - http://h\n"), loc + ": expected a map, got a list"},
      {absl::StrCat(kHead, "x-wso2-basepath: /t\n", kEndpoints, kPaths),
       "api.yaml: unknown key 'x-wso2-basepath' (did you mean 'x-wso2-basePath'?)"},
      {withTop("x-wso2-unimplemented-feature: whatever\n"),
       "api.yaml: unknown key 'x-wso2-unimplemented-feature': not an extension WSO2 API "
       "Microgateway 3.2 reads (README, \"API definitions\", lists them)"},
      {absl::StrCat(kHead, kBase, kPaths),
       "api.yaml: 'x-wso2-production-endpoints' is required: the definition has no "
       "servers[0].url, so it names no backend"},
      {absl::StrCat(kHead, kBase, kEndpoints), "api.yaml: 'paths' is required"},
      {absl::StrCat("swagger: '2.0'\n", kBase, kEndpoints, kPaths), "api.yaml: 'info' is required"},
      {absl::StrCat("swagger: '3.0'\ninfo: {title: T, version: 1}\n", kBase, kEndpoints, kPaths),
       "api.yaml: swagger: expected '2.0', got '3.0'"},
      {absl::StrCat("info: {title: T, version: 1}\n", kBase, kEndpoints, kPaths),
       "api.yaml: 'openapi' is required (or swagger: '2.0')"},
      {absl::StrCat("openapi: 2.0\ninfo: {title: T, version: 1}\n", kBase, kEndpoints, kPaths),
       "api.yaml: openapi: expected 3.x, got '2.0'"},
      {absl::StrCat("openapi: 3.0.0\ninfo: {version: 1}\n", kBase, kEndpoints, kPaths),
       "api.yaml: 'info.title' is required"},
      {withTop("x-wso2-disable-securty: true\n"),
       "api.yaml: unknown key 'x-wso2-disable-securty' (did you mean "
       "'x-wso2-disable-security'?)"},
      {withTop("x-wso2-disable-security: maybe\n"),
       "api.yaml: x-wso2-disable-security: expected a boolean (true or false)"},
      {withTop("x-wso2-auth-header: ''\n"), "api.yaml: x-wso2-auth-header: must not be empty"},
      {withTop("x-wso2-cors: {accessControlAllowOrigin: ['*']}\n"),
       "api.yaml (API 'T'): unknown key 'x-wso2-cors.accessControlAllowOrigin' (did you mean "
       "'accessControlAllowOrigins'?)"},
      {withTop("x-wso2-cors: {accessControlAllowMethods: GET}\n"),
       "api.yaml (API 'T'): x-wso2-cors.accessControlAllowMethods: expected a list of strings, "
       "got a "
       "scalar"},
      {absl::StrCat(
           kHead, kBase, kEndpoints,
           "paths:\n  /a:\n    get:\n      x-wso2-production-endpoints: {urls: [ftp://x]}\n"),
       "api.yaml: paths./a.get.x-wso2-production-endpoints.urls[0]: 'ftp://x' has unsupported "
       "scheme 'ftp' (expected http or https)"},
      {absl::StrCat(kHead, kBase, kEndpoints,
                    "paths:\n  /a:\n    get: {x-wso2-throttling-teir: Gold}\n"),
       "api.yaml: unknown key 'paths./a.get.x-wso2-throttling-teir' (did you mean "
       "'x-wso2-throttling-tier'?)"},
      {absl::StrCat(kHead, kBase, kEndpoints, "paths:\n  a:\n    get: {}\n"),
       "api.yaml: paths.a: path must start with '/'"},
      {absl::StrCat(kHead, kBase, kEndpoints, "paths:\n  /a:\n    get: 1\n"),
       "api.yaml: paths./a.get: expected a map, got a scalar"},
      {"- a\n- b\n", "api.yaml: expected a map, got a list"},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<ApiDefinition> api = load(c.yaml);
    ASSERT_FALSE(api.ok()) << c.yaml;
    EXPECT_EQ(api.status().code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_EQ(std::string(api.status().message()), c.expected) << c.yaml;
    EXPECT_EQ(api.status().message().find("Secr3t"), std::string::npos) << c.yaml;
  }
}

// Found by config_fuzz: an unclosed quote folds the rest of the file, proxy
// password included, into the basePath; the error must not echo it.
TEST(LoadApiFromString, UnclosedQuoteDoesNotEchoTheFile) {
  absl::StatusOr<ApiDefinition> api = loadApiFromString(
      "openapi: 3.0.0\ninfo: {title: T, version: v1}\nx-wso2-basePath: 'orders/{version}\n"
      "x-wso2-production-endpoints:\n  urls: [http://b/]\n  proxy:\n    host: p\n"
      "    password: \"YamlPr0xyPw\"\npaths: {}\n",
      "api.yaml");
  ASSERT_FALSE(api.ok());
  std::string message(api.status().message());
  EXPECT_EQ(message.find("YamlPr0xyPw"), std::string::npos) << message;
  EXPECT_NE(message.find("x-wso2-basePath"), std::string::npos) << message;
  EXPECT_NE(message.find("unclosed quote"), std::string::npos) << message;
}

TEST(LoadApiFromString, SyntaxError) {
  absl::StatusOr<ApiDefinition> api = load("openapi: 3.0.0\ninfo: [\n");
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(api.status().message().rfind("api.yaml: invalid YAML at line ", 0), 0u) << api.status();
}

TEST(LoadApis, Directory) {
  const std::string dir = tmpDir("apis");
  writeFile(dir + "/b.yaml", absl::StrCat(kHead, "x-wso2-basePath: /b\n", kEndpoints, kPaths));
  writeFile(dir + "/a.yml", absl::StrCat(kHead, "x-wso2-basePath: /a\n", kEndpoints, kPaths));
  writeFile(dir + "/notes.txt", "not an API");
  absl::StatusOr<std::vector<ApiDefinition>> apis = loadApis(dir, {});
  ASSERT_TRUE(apis.ok()) << apis.status();
  ASSERT_EQ(apis->size(), 2u);
  EXPECT_EQ((*apis)[0].file, dir + "/a.yml");
  EXPECT_EQ((*apis)[0].base_path, "/a");
  EXPECT_EQ((*apis)[1].file, dir + "/b.yaml");
  EXPECT_EQ((*apis)[1].base_path, "/b");
}

TEST(LoadApis, DirectoryErrors) {
  const std::string dup = tmpDir("dup");
  writeFile(dup + "/one.yaml",
            absl::StrCat(kHead, "x-wso2-basePath: /same/\n", kEndpoints, kPaths));
  writeFile(dup + "/two.yaml", absl::StrCat(kHead, "x-wso2-basePath: same\n", kEndpoints, kPaths));
  absl::StatusOr<std::vector<ApiDefinition>> apis = loadApis(dup, {});
  ASSERT_FALSE(apis.ok());
  EXPECT_EQ(std::string(apis.status().message()),
            dup + "/two.yaml: base path '/same' is already used by " + dup +
                "/one.yaml (give each API its own x-wso2-basePath)");

  const std::string bad = tmpDir("bad");
  writeFile(bad + "/x.yaml", "openapi: 3.0.0\n");
  apis = loadApis(bad, {});
  ASSERT_FALSE(apis.ok());
  EXPECT_EQ(std::string(apis.status().message()), bad + "/x.yaml: 'info' is required");

  const std::string empty = tmpDir("empty");
  writeFile(empty + "/readme.md", "");
  apis = loadApis(empty, {});
  ASSERT_FALSE(apis.ok());
  EXPECT_EQ(std::string(apis.status().message()),
            empty + ": no API definitions (*.yaml, *.yml, *.json)");

  apis = loadApis("/nonexistent/apis", {});
  ASSERT_FALSE(apis.ok());
  EXPECT_EQ(apis.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(apis.status().message().find("/nonexistent/apis"), std::string::npos);
}

}  // namespace
}  // namespace gw::conf
