// x-wso2-sandbox-endpoints: a token whose keytype is SANDBOX goes to the
// sandbox endpoints (resource level beats API level), any other to
// production; a key type without endpoints is refused as WSO2 does (403 900901).

#include "test/gateway/router/router_filter_test_fixture.h"

namespace gw::router {
namespace {

conf::EndpointConfig endpoints(std::vector<conf::EndpointUrl> urls) {
  conf::EndpointConfig ep;
  ep.urls = std::move(urls);
  return ep;
}

class RouterSandboxTest : public RouterFilterTest {
 protected:
  // /petstore/v1 with GET /pets and GET /pets/{id}; `resource_sandbox` goes on GET /pets.
  void useSandboxApi(std::vector<conf::EndpointUrl> production,
                     std::optional<conf::EndpointConfig> sandbox,
                     std::optional<conf::EndpointConfig> resource_sandbox = std::nullopt) {
    conf::ApiDefinition api;
    api.file = "petstore.yaml";
    api.title = "petstore";
    api.base_path = "/petstore/v1";
    api.production.urls = std::move(production);
    api.sandbox = std::move(sandbox);
    api.operations = {op("GET", "/pets"), op("GET", "/pets/{id}")};
    api.operations[0].sandbox = std::move(resource_sandbox);
    std::vector<conf::ApiDefinition> apis;
    apis.push_back(std::move(api));
    auto table = RouteTable::build(std::move(apis));
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = *table;
    config_->guards = buildEndpointGuards(*table_, store_);
  }

  // The host the router connected to for `path` with a token of `key_type`.
  std::string hostFor(std::string key_type, std::string path) {
    cb_.identity_.key_type = std::move(key_type);
    connector_.script.push_back(Outcome::hang());
    const size_t before = connector_.requests.size();
    if (start("GET", std::move(path)) != FilterStatus::Continue) return "<refused>";
    if (connector_.requests.size() != before + 1) return "<no connect>";
    return connector_.requests.back().target.host;
  }
};

TEST_F(RouterSandboxTest, SandboxTokenGoesToSandboxEndpoints) {
  useSandboxApi({url("prod.internal", 8080)}, endpoints({url("sandbox.internal", 9090)}));
  EXPECT_EQ(hostFor("SANDBOX", "/petstore/v1/pets"), "sandbox.internal");
  EXPECT_EQ(hostFor("sandbox", "/petstore/v1/pets/7"), "sandbox.internal");  // any case
  EXPECT_EQ(connector_.requests.back().target.port, 9090);
}

TEST_F(RouterSandboxTest, ProductionAndUnknownKeyTypesGoToProduction) {
  useSandboxApi({url("prod.internal", 8080)}, endpoints({url("sandbox.internal", 9090)}));
  EXPECT_EQ(hostFor("PRODUCTION", "/petstore/v1/pets"), "prod.internal");
  EXPECT_EQ(hostFor("", "/petstore/v1/pets"), "prod.internal");  // open resource: no token
}

TEST_F(RouterSandboxTest, ResourceSandboxBeatsApiSandbox) {
  useSandboxApi({url("prod.internal", 8080)}, endpoints({url("sandbox.internal", 9090)}),
                endpoints({url("pets-sandbox.internal", 9191)}));
  EXPECT_EQ(hostFor("SANDBOX", "/petstore/v1/pets"), "pets-sandbox.internal");
  EXPECT_EQ(hostFor("SANDBOX", "/petstore/v1/pets/7"), "sandbox.internal");
  EXPECT_EQ(hostFor("PRODUCTION", "/petstore/v1/pets"), "prod.internal");
}

TEST_F(RouterSandboxTest, ResourceSandboxWithoutApiSandbox) {
  useSandboxApi({url("prod.internal", 8080)}, std::nullopt,
                endpoints({url("pets-sandbox.internal", 9191)}));
  EXPECT_EQ(hostFor("SANDBOX", "/petstore/v1/pets"), "pets-sandbox.internal");
  EXPECT_EQ(hostFor("SANDBOX", "/petstore/v1/pets/7"), "<refused>");
}

TEST_F(RouterSandboxTest, SandboxTokenWithoutSandboxEndpointsIsRefused) {
  useSandboxApi({url("prod.internal", 8080)}, std::nullopt);
  EXPECT_EQ(hostFor("SANDBOX", "/petstore/v1/pets"), "<refused>");
  EXPECT_TRUE(connector_.requests.empty());
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 403);
  EXPECT_EQ(cb_.reply_code, "900901");
  EXPECT_EQ(cb_.local_replies[0].message,
            "Sandbox key offered to the API with no sandbox endpoint");
  EXPECT_NE(cb_.local_replies[0].description.find("x-wso2-sandbox-endpoints"), std::string::npos);
}

TEST_F(RouterSandboxTest, ProductionTokenOnSandboxOnlyApiIsRefused) {
  useSandboxApi({}, endpoints({url("sandbox.internal", 9090)}));
  EXPECT_EQ(hostFor("PRODUCTION", "/petstore/v1/pets"), "<refused>");
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 403);
  EXPECT_EQ(cb_.reply_code, "900901");
  EXPECT_EQ(cb_.local_replies[0].message,
            "Production key offered to the API with no production endpoint");
  EXPECT_EQ(hostFor("SANDBOX", "/petstore/v1/pets"), "sandbox.internal");
}

// The sandbox set's own advanceEndpointConfig applies: its timeout, and a
// retry that goes to the sandbox URL again (never to production).
TEST_F(RouterSandboxTest, SandboxEndpointsUseTheirOwnRetries) {
  conf::EndpointConfig sandbox = endpoints({url("sandbox.internal", 9090)});
  sandbox.retry.count = 1;
  sandbox.retry.interval_ms = 1;
  sandbox.retry.max_wait_interval_ms = 1;
  useSandboxApi({url("prod.internal", 8080)}, sandbox);
  ASSERT_EQ(config_->guards.count(&table_->apis()[0]->api().sandbox->urls[0]), 1u);
  connector_.script.push_back(
      Outcome::fail(proxy::FailureReason::Refused, 502, "Bad gateway", "connection refused"));
  connector_.script.push_back(Outcome::hang());
  cb_.identity_.key_type = "SANDBOX";
  ASSERT_EQ(start("GET", "/petstore/v1/pets"), FilterStatus::Continue);
  ASSERT_TRUE(pumpUntil([&] { return connector_.requests.size() == 2; }));
  EXPECT_EQ(connector_.requests[0].target.host, "sandbox.internal");
  EXPECT_EQ(connector_.requests[1].target.host, "sandbox.internal");
  EXPECT_TRUE(cb_.local_replies.empty());
}

}  // namespace
}  // namespace gw::router
