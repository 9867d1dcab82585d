// Endpoints: x-wso2-endpoints references, types http/address, per-resource
// endpoints, securityConfig (backend basic auth), x-wso2-sandbox-endpoints.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "conf/loader.h"

namespace gw::conf {
namespace {

constexpr char kHead[] =
    "openapi: 3.0.0\ninfo: {title: T, version: 1}\nx-wso2-basePath: /t\n"
    "x-wso2-disable-security: true\n";

absl::StatusOr<ApiDefinition> load(const std::string& yaml, const Environment& env = {}) {
  return loadApiFromString(absl::StrCat(kHead, yaml), "api.yaml", env);
}

TEST(EndpointReferences, ApiAndResourceLevel) {
  absl::StatusOr<ApiDefinition> api = load(R"(
x-wso2-production-endpoints: "#/x-wso2-endpoints/main"
x-wso2-endpoints:
  - main:
      urls: ['http://main:8080/v1']
      type: load_balance
  - reports:
      urls: ['http://reports:9000', 'http://reports2:9000']
      type: failover
paths:
  /orders: {get: {}}
  /reports:
    get: {x-wso2-production-endpoints: "#/x-wso2-endpoints/reports"}
    post:
      x-wso2-production-endpoints: {urls: ['http://inline:1']}
)");
  ASSERT_TRUE(api.ok()) << api.status();
  ASSERT_EQ(api->production.urls.size(), 1u);
  EXPECT_EQ(api->production.urls[0].host, "main");
  EXPECT_EQ(api->production.reference, "#/x-wso2-endpoints/main");
  ASSERT_EQ(api->operations.size(), 3u);
  EXPECT_FALSE(api->operations[0].endpoint.has_value());
  ASSERT_TRUE(api->operations[1].endpoint.has_value());
  EXPECT_EQ(api->operations[1].endpoint->type, EndpointType::Failover);
  EXPECT_EQ(api->operations[1].endpoint->urls.size(), 2u);
  EXPECT_EQ(api->operations[1].endpoint->reference, "#/x-wso2-endpoints/reports");
  ASSERT_TRUE(api->operations[2].endpoint.has_value());
  EXPECT_EQ(api->operations[2].endpoint->urls[0].host, "inline");
  EXPECT_EQ(api->operations[2].endpoint->reference, "");
}

TEST(EndpointReferences, MapFormIsAccepted) {
  absl::StatusOr<ApiDefinition> api = load(
      "x-wso2-production-endpoints: '#/x-wso2-endpoints/a'\n"
      "x-wso2-endpoints: {a: {urls: ['http://a']}}\npaths: {/x: {get: {}}}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->production.urls[0].host, "a");
}

TEST(EndpointTypes, HttpAndAddressUseTheFirstUrl) {
  for (const char* type : {"http", "address"}) {
    absl::StatusOr<ApiDefinition> api =
        load(absl::StrCat("x-wso2-production-endpoints: {type: ", type,
                          ", urls: ['http://one', 'http://two']}\npaths: {/x: {get: {}}}\n"));
    ASSERT_TRUE(api.ok()) << api.status();
    ASSERT_EQ(api->production.urls.size(), 1u) << type;
    EXPECT_EQ(api->production.urls[0].host, "one");
    EXPECT_EQ(api->production.type, EndpointType::LoadBalance);
    EXPECT_EQ(api->warnings,
              std::vector<std::string>{absl::StrCat(
                  "api.yaml: x-wso2-production-endpoints.type: type ", type,
                  " calls the first of its 2 URLs only (use load_balance or failover for more)")});
  }
}

TEST(EndpointSecurity, BasicCredentialFromPasswordOrEnvironment) {
  absl::StatusOr<ApiDefinition> api = load(R"(
x-wso2-production-endpoints:
  urls: ['http://b']
  securityConfig: {type: basic, username: svc, password: s3cret}
paths:
  /a:
    get:
      x-wso2-production-endpoints:
        urls: ['http://c']
        securityConfig: {type: BASIC, username: other, passwordEnv: BACKEND_PW}
)",
                                           Environment::fromMap({{"BACKEND_PW", "pa:ss"}}));
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->production.security.username, "svc");
  EXPECT_EQ(api->production.security.authorization, "Basic c3ZjOnMzY3JldA==");  // svc:s3cret
  EXPECT_EQ(api->operations[0].endpoint->security.authorization,
            "Basic b3RoZXI6cGE6c3M=");  // other:pa:ss
}

TEST(EndpointSecurity, NoSecurityConfigNoCredential) {
  absl::StatusOr<ApiDefinition> api =
      load("x-wso2-production-endpoints: {urls: ['http://b']}\npaths: {/a: {get: {}}}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->production.security.authorization, "");
}

TEST(SandboxEndpoints, AcceptedAndRoutedWithoutWarning) {
  absl::StatusOr<ApiDefinition> api = load(R"(
x-wso2-production-endpoints: {urls: ['http://prod']}
x-wso2-sandbox-endpoints: "#/x-wso2-endpoints/sb"
x-wso2-endpoints:
  - sb: {urls: ['http://sandbox']}
paths:
  /a:
    get: {x-wso2-sandbox-endpoints: {urls: ['http://sandbox2']}}
    put: {x-wso2-sandbox-endpoints: {urls: ['http://sandbox3']}}
)");
  ASSERT_TRUE(api.ok()) << api.status();
  ASSERT_TRUE(api->sandbox.has_value());
  EXPECT_EQ(api->sandbox->urls[0].host, "sandbox");
  EXPECT_EQ(api->production.urls[0].host, "prod");
  ASSERT_TRUE(api->operations[0].sandbox.has_value());
  EXPECT_EQ(api->operations[0].sandbox->urls[0].host, "sandbox2");
  EXPECT_FALSE(api->operations[0].endpoint.has_value());
  EXPECT_TRUE(api->warnings.empty()) << api->warnings[0];
}

// Sandbox endpoints alone make a sandbox-only API: production stays empty (the
// router refuses production tokens), and nothing suggests production instead.
TEST(SandboxEndpoints, SandboxOnlyApiIsAccepted) {
  absl::StatusOr<ApiDefinition> api =
      load("x-wso2-sandbox-endpoints: {urls: ['http://s']}\npaths: {/a: {get: {}}}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  ASSERT_TRUE(api->sandbox.has_value());
  EXPECT_EQ(api->sandbox->urls[0].host, "s");
  EXPECT_TRUE(api->production.urls.empty());
  EXPECT_TRUE(api->warnings.empty());
}

TEST(SandboxEndpoints, ResourceSandboxOnlyIsAccepted) {
  absl::StatusOr<ApiDefinition> api =
      load("paths: {/a: {get: {x-wso2-sandbox-endpoints: {urls: ['http://s']}}}}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_FALSE(api->sandbox.has_value());
  ASSERT_TRUE(api->operations[0].sandbox.has_value());
  EXPECT_TRUE(api->production.urls.empty());
}

struct ErrorCase {
  std::string yaml;
  std::string expected;
};

TEST(Endpoints, Errors) {
  const ErrorCase cases[] = {
      {"x-wso2-production-endpoints: '#/x-wso2-endpoints/mian'\n"
       "x-wso2-endpoints: [{main: {urls: ['http://a']}}]\npaths: {/a: {get: {}}}\n",
       "api.yaml: x-wso2-production-endpoints: '#/x-wso2-endpoints/mian' names no entry of "
       "x-wso2-endpoints (did you mean '#/x-wso2-endpoints/main'?)"},
      {"x-wso2-production-endpoints: '#/x-wso2-endpoints/main'\npaths: {/a: {get: {}}}\n",
       "api.yaml: x-wso2-production-endpoints: '#/x-wso2-endpoints/main' names no entry of "
       "x-wso2-endpoints (the definition has no top-level x-wso2-endpoints list)"},
      {"x-wso2-production-endpoints: 'http://b'\npaths: {/a: {get: {}}}\n",
       "api.yaml: x-wso2-production-endpoints: expected an endpoint map {urls: [...]} or a "
       "reference '#/x-wso2-endpoints/<name>', got 'http://b'"},
      {"x-wso2-production-endpoints: '#/x-wso2-endpoints/a'\n"
       "x-wso2-endpoints: [{a: {urls: ['http://a']}}, {a: {urls: ['http://b']}}]\n"
       "paths: {/a: {get: {}}}\n",
       "api.yaml: x-wso2-endpoints[1].a: endpoint 'a' is defined twice in x-wso2-endpoints"},
      {"x-wso2-endpoints: [{a: {url: ['http://a']}}]\n"
       "x-wso2-production-endpoints: {urls: ['http://b']}\npaths: {/a: {get: {}}}\n",
       "api.yaml: unknown key 'x-wso2-endpoints[0].a.url' (did you mean 'urls'?)"},
      {"x-wso2-endpoints: http://a\n"
       "x-wso2-production-endpoints: {urls: ['http://b']}\npaths: {/a: {get: {}}}\n",
       "api.yaml: x-wso2-endpoints: expected a list of 'name: {urls: [...]}' entries, got a "
       "scalar"},
      {"x-wso2-production-endpoints: {urls: ['http://b'], securityConfig: {type: digest, "
       "username: u, password: Secr3t}}\npaths: {/a: {get: {}}}\n",
       "api.yaml: x-wso2-production-endpoints.securityConfig.type: expected basic, got 'digest' "
       "(microgw sends only Basic credentials to backends)"},
      {"x-wso2-production-endpoints: {urls: ['http://b'], securityConfig: {type: basic, "
       "password: Secr3t}}\npaths: {/a: {get: {}}}\n",
       "api.yaml: x-wso2-production-endpoints.securityConfig.username: is required"},
      {"x-wso2-production-endpoints: {urls: ['http://b'], securityConfig: {type: basic, "
       "username: 'a:b', password: Secr3t}}\npaths: {/a: {get: {}}}\n",
       "api.yaml: x-wso2-production-endpoints.securityConfig.username: must be non-empty and "
       "without ':' (Basic credentials)"},
      {"x-wso2-production-endpoints: {urls: ['http://b'], securityConfig: {type: basic, "
       "username: u, pasword: Secr3t}}\npaths: {/a: {get: {}}}\n",
       "api.yaml: unknown key 'x-wso2-production-endpoints.securityConfig.pasword' (did you "
       "mean 'password'?)"},
      {"x-wso2-production-endpoints: {urls: ['http://b'], securityConfig: {type: basic, "
       "username: u, password: 7, passwordEnv: NOPE}}\npaths: {/a: {get: {}}}\n",
       "api.yaml: x-wso2-production-endpoints.securityConfig: set at most one of password, "
       "passwordEnv, passwordFile"},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<ApiDefinition> api = load(c.yaml);
    ASSERT_FALSE(api.ok()) << c.yaml;
    EXPECT_EQ(std::string(api.status().message()), c.expected) << c.yaml;
    EXPECT_EQ(api.status().message().find("Secr3t"), std::string::npos) << c.yaml;
  }
}

}  // namespace
}  // namespace gw::conf
