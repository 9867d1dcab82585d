// Router filter: an endpoint's securityConfig (backend basic auth).

#include "test/gateway/router/router_filter_test_fixture.h"

namespace gw::router {
namespace {

class BackendAuthTest : public RouterFilterTest {
 protected:
  // The fixture's API, its production endpoint with `authorization` as securityConfig.
  void useAuthorization(std::string authorization) {
    conf::ApiDefinition api;
    api.file = "petstore.yaml";
    api.title = "petstore";
    api.base_path = "/petstore/v1";
    api.production.urls = {url("backend.internal", 8080, "/api/v3")};
    api.production.security.username = "svc";
    api.production.security.authorization = std::move(authorization);
    api.operations = {op("GET", "/pets")};
    std::vector<conf::ApiDefinition> apis;
    apis.push_back(std::move(api));
    auto table = RouteTable::build(std::move(apis));
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = *table;
  }
};

TEST_F(BackendAuthTest, BackendGetsTheEndpointCredential) {
  useAuthorization("Basic c3ZjOnMzY3JldA==");
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  EXPECT_EQ(upstreamHead().all("Authorization"),
            std::vector<std::string>{"Basic c3ZjOnMzY3JldA=="});
}

// The client's own Authorization (left in place when removeAuthHeaderFromOutMessage
// is false, or on an open resource) is replaced, not sent beside it: WSO2's rule.
TEST_F(BackendAuthTest, ClientAuthorizationIsReplaced) {
  useAuthorization("Basic c3ZjOnMzY3JldA==");
  start("GET", "/petstore/v1/pets",
        {{"Host", "gw"}, {"Authorization", "Bearer client.jwt"}, {"authorization", "Basic x"}});
  EXPECT_EQ(upstreamHead().all("Authorization"),
            std::vector<std::string>{"Basic c3ZjOnMzY3JldA=="});
}

TEST_F(BackendAuthTest, WithoutSecurityConfigTheClientHeaderPasses) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}, {"Authorization", "Bearer client.jwt"}});
  EXPECT_EQ(upstreamHead().all("Authorization"), std::vector<std::string>{"Bearer client.jwt"});
}

}  // namespace
}  // namespace gw::router
