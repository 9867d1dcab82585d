// The x-wso2-* extension table: every WSO2 extension is read, warned about
// once per API, or refused; an unknown or misplaced one is an error.

#include "conf/api_extensions.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "conf/loader.h"

namespace gw::conf {
namespace {

constexpr char kHead[] =
    "openapi: 3.0.0\ninfo: {title: T, version: 1}\nx-wso2-basePath: /t\n"
    "x-wso2-production-endpoints: {urls: ['http://b']}\n";

absl::StatusOr<ApiDefinition> load(const std::string& yaml) {
  return loadApiFromString(absl::StrCat(kHead, yaml), "api.yaml", Environment{});
}

TEST(ExtensionTable, CoversEveryWso2Extension) {
  // WSO2 3.2's x-wso2-* API extensions (/work/shared/wso2-3.2-keys.md).
  const std::set<std::string> wso2 = {"x-wso2-basePath",
                                      "x-wso2-production-endpoints",
                                      "x-wso2-sandbox-endpoints",
                                      "x-wso2-endpoints",
                                      "x-wso2-disable-security",
                                      "x-wso2-throttling-tier",
                                      "x-wso2-cors",
                                      "x-wso2-auth-header",
                                      "x-wso2-application-security",
                                      "x-wso2-mutual-ssl",
                                      "x-wso2-transports",
                                      "x-wso2-request-interceptor",
                                      "x-wso2-response-interceptor",
                                      "x-wso2-response-cache",
                                      "x-wso2-owner"};
  std::set<std::string> table;
  for (const ExtensionInfo& e : wso2Extensions()) {
    table.insert(e.name);
    if (e.support == ExtensionSupport::Warned) EXPECT_STRNE(e.note, "") << e.name;
  }
  EXPECT_EQ(table, wso2);
}

TEST(Extensions, IgnorableOnesWarnOncePerApi) {
  absl::StatusOr<ApiDefinition> api = load(R"(
x-wso2-owner: alice
x-wso2-response-cache: {enabled: true, cacheTimeoutInSeconds: 300}
x-wso2-mutual-ssl: optional
x-wso2-transports: [http, https]
x-wso2-throttling-tier: Gold
x-wso2-cors: {corsConfigurationEnabled: true}
paths:
  /a:
    get: {x-wso2-throttling-tier: Bronze}
)");
  ASSERT_TRUE(api.ok()) << api.status();
  const std::string p = "api.yaml: API 'T': ";
  EXPECT_EQ(api->warnings,
            (std::vector<std::string>{
                p + "x-wso2-owner is accepted and ignored: it is API Manager metadata; microgw "
                    "has no use for it",
                p + "x-wso2-response-cache is accepted and ignored: microgw does not cache "
                    "responses: every request reaches the backend"}));
}

TEST(Extensions, MutualSslAndTransportsAreRead) {
  absl::StatusOr<ApiDefinition> api = load("paths: {/a: {get: {}}}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_FALSE(api->mutual_ssl_mandatory);
  EXPECT_TRUE(api->transport_http);
  EXPECT_TRUE(api->transport_https);
  api = load("x-wso2-mutual-ssl: mandatory\nx-wso2-transports: [https]\npaths: {/a: {get: {}}}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_TRUE(api->mutual_ssl_mandatory);
  EXPECT_FALSE(api->transport_http);
  EXPECT_TRUE(api->transport_https);
  EXPECT_TRUE(api->warnings.empty());
  api = load("x-wso2-mutual-ssl: optional\nx-wso2-transports: [http]\npaths: {/a: {get: {}}}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_FALSE(api->mutual_ssl_mandatory);
  EXPECT_TRUE(api->transport_http);
  EXPECT_FALSE(api->transport_https);
}

TEST(Extensions, NoWarningWhenNothingIsIgnored) {
  absl::StatusOr<ApiDefinition> api = load("x-wso2-transports: [http]\npaths: {/a: {get: {}}}\n");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_TRUE(api->warnings.empty());
}

struct ErrorCase {
  std::string yaml;
  std::string expected;
};

TEST(Extensions, Errors) {
  const ErrorCase cases[] = {
      {"x-wso2-ownr: a\npaths: {/a: {get: {}}}\n",
       "api.yaml: unknown key 'x-wso2-ownr' (did you mean 'x-wso2-owner'?)"},
      {"paths: {/a: {get: {x-wso2-sandbox-endpoint: {urls: ['http://s']}}}}\n",
       "api.yaml: unknown key 'paths./a.get.x-wso2-sandbox-endpoint' (did you mean "
       "'x-wso2-sandbox-endpoints'?)"},
      {"paths: {/a: {get: {x-wso2-whatever: 1}}}\n",
       "api.yaml: unknown key 'paths./a.get.x-wso2-whatever': not an extension WSO2 API "
       "Microgateway 3.2 reads (README, \"API definitions\", lists them)"},
      {"paths: {/a: {get: {x-wso2-basePath: /x}}}\n",
       "api.yaml: paths./a.get.x-wso2-basePath: x-wso2-basePath is read at the top level of the "
       "definition, not on an operation (WSO2 ignores it here): move it"},
      {"paths: {/a: {x-wso2-disable-security: true, get: {}}}\n",
       "api.yaml: paths./a.x-wso2-disable-security: x-wso2-disable-security is read at the top "
       "level or on an operation (paths./pets.get), not on a path (WSO2 ignores it here): move "
       "it"},
      {"x-wso2-mutual-ssl: required\npaths: {/a: {get: {}}}\n",
       "api.yaml: x-wso2-mutual-ssl: expected mandatory or optional, got 'required'"},
      {"x-wso2-transports: []\npaths: {/a: {get: {}}}\n",
       "api.yaml: x-wso2-transports: lists no transport: give http, https or both"},
      {"x-wso2-transports: [http, ftp]\npaths: {/a: {get: {}}}\n",
       "api.yaml: x-wso2-transports: expected http or https, got 'ftp'"},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<ApiDefinition> api = load(c.yaml);
    ASSERT_FALSE(api.ok()) << c.yaml;
    EXPECT_EQ(std::string(api.status().message()), c.expected) << c.yaml;
  }
}

}  // namespace
}  // namespace gw::conf
