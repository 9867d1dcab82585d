// Router filter: retries, failover, timeouts and local replies.

#include "test/gateway/router/router_filter_test_fixture.h"

namespace gw::router {
namespace {

// Its own suite name: gtest ties a suite name to one fixture type, and each
// file has its own copy of RouterFilterTest.
using RouterFailureTest = RouterFilterTest;

// --- retries and failover ------------------------------------------------------

TEST_F(RouterFailureTest, ReusedConnectionClosedBeforeAnyByteRetriedOnceForGet) {
  connector_.script.push_back(Outcome::reusedConnection());
  connector_.script.push_back(Outcome{});
  start("GET", "/petstore/v1/pets?a=1", {{"Host", "gw"}});
  Head first = upstreamHead(0);
  EXPECT_EQ(first.request_line, "GET /api/v3/pets?a=1 HTTP/1.1");
  backendClose(0);
  ASSERT_TRUE(pumpUntil([&] { return connector_.peers.size() == 2; }));
  EXPECT_EQ(connector_.requests.size(), 2u);
  Head second = upstreamHead(1);
  EXPECT_EQ(second.request_line, first.request_line);
  backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 1);
  EXPECT_TRUE(cb_.local_replies.empty());
  EXPECT_EQ(cb_.body, "ok");
  EXPECT_TRUE(cb_.ended);
  EXPECT_EQ(connector_.released, (std::vector<bool>{false, true}));
  EXPECT_EQ(config_->retries->value(), 1);
}

TEST_F(RouterFailureTest, RetriedOnlyOnce) {
  connector_.script.push_back(Outcome::reusedConnection());
  connector_.script.push_back(Outcome::reusedConnection());
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead(0);
  backendClose(0);
  ASSERT_TRUE(pumpUntil([&] { return connector_.peers.size() == 2; }));
  upstreamHead(1);
  backendClose(1);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 502);
  EXPECT_EQ(connector_.requests.size(), 2u);
}

TEST_F(RouterFailureTest, PostWithBodyOnReusedConnectionNotRetried) {
  connector_.script.push_back(Outcome::reusedConnection());
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Content-Length", "4"}}, false);
  std::string body = "abcd";
  filter_->decodeData(body, true);
  Head h = upstreamHead();
  EXPECT_EQ(h.rest, "abcd");
  backendClose();
  pump();
  EXPECT_EQ(connector_.requests.size(), 1u);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 502);
  EXPECT_NE(cb_.local_replies[0].description.find("closed"), std::string::npos)
      << cb_.local_replies[0].description;
}

TEST_F(RouterFailureTest, PutWithSmallBodyOnReusedConnectionRetriedWithSameBody) {
  connector_.script.push_back(Outcome::reusedConnection());
  connector_.script.push_back(Outcome{});
  start("PUT", "/petstore/v1/pets/7", {{"Host", "gw"}, {"Content-Length", "6"}}, false);
  std::string part1 = "abc", part2 = "def";
  filter_->decodeData(part1, false);
  filter_->decodeData(part2, true);
  Head first = upstreamHead(0);
  EXPECT_EQ(first.rest, "abcdef");
  backendClose(0);
  ASSERT_TRUE(pumpUntil([&] { return connector_.peers.size() == 2; }));
  std::string raw;
  ASSERT_TRUE(pumpUntil([&] {
    raw += upstreamBytes(1);
    return raw.size() >= raw.find("\r\n\r\n") + 4 + 6 && raw.find("\r\n\r\n") != std::string::npos;
  }));
  Head second = parseHead(raw);
  EXPECT_EQ(second.request_line, first.request_line);
  EXPECT_EQ(second.rest, "abcdef");
  backendWrite("HTTP/1.1 204 No Content\r\n\r\n", 1);
  EXPECT_TRUE(cb_.local_replies.empty());
  EXPECT_EQ(config_->retries->value(), 1);
}

TEST_F(RouterFailureTest, PutWithBodyOverReplayLimitNotRetried) {
  connector_.script.push_back(Outcome::reusedConnection());
  std::string body(100 * 1024, 'x');
  start("PUT", "/petstore/v1/pets/7",
        {{"Host", "gw"}, {"Content-Length", std::to_string(body.size())}}, false);
  filter_->decodeData(body, true);
  upstreamHead(0);
  backendClose(0);
  pump();
  EXPECT_EQ(connector_.requests.size(), 1u);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 502);
}

TEST_F(RouterFailureTest, RefusedConnectFailsOverToSecondUrl) {
  useApi({url("a.internal", 8081), url("b.internal", 8082)}, conf::EndpointType::Failover);
  connector_.script.push_back(Outcome::fail(proxy::FailureReason::Refused, 502,
                                            "backend unreachable",
                                            "could not connect to backend a.internal:8081"));
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  Head h = upstreamHead(0);
  ASSERT_EQ(connector_.requests.size(), 2u);
  EXPECT_EQ(connector_.requests[0].target.host, "a.internal");
  EXPECT_EQ(connector_.requests[1].target.host, "b.internal");
  EXPECT_EQ(connector_.requests[1].target.port, 8082);
  EXPECT_EQ(h.get("Host"), "b.internal:8082");
  backendWrite("HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_TRUE(cb_.local_replies.empty());
  ASSERT_TRUE(cb_.response.has_value());
  EXPECT_EQ(cb_.response->status, 204);
  EXPECT_TRUE(cb_.ended);
}

TEST_F(RouterFailureTest, AllUrlsRefusedGivesTheConnectorsReply) {
  useApi({url("a.internal", 8081), url("b.internal", 8082)}, conf::EndpointType::Failover);
  for (int i = 0; i < 2; ++i) {
    connector_.script.push_back(
        Outcome::fail(proxy::FailureReason::Refused, 502, "backend unreachable", "refused"));
  }
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }));
  EXPECT_EQ(connector_.requests.size(), 2u);
  EXPECT_EQ(cb_.local_replies[0].status, 502);
  EXPECT_EQ(cb_.local_replies[0].message, "backend unreachable");
}

TEST_F(RouterFailureTest, ProxyAuthFailureRepliedWithoutFailover) {
  useApi({url("a.internal", 8081), url("b.internal", 8082)}, conf::EndpointType::Failover);
  connector_.script.push_back(Outcome::fail(
      proxy::FailureReason::ProxyAuth, 502, "proxy authentication failed",
      "proxy 127.0.0.1:3128 answered 407: check httpClients.proxy.username/password", 407));
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }));
  EXPECT_EQ(connector_.requests.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 502);
  EXPECT_EQ(cb_.local_replies[0].message, "proxy authentication failed");
  EXPECT_EQ(cb_.local_replies[0].description,
            "proxy 127.0.0.1:3128 answered 407: check httpClients.proxy.username/password");
}

TEST_F(RouterFailureTest, ConnectorStatusPassedThrough) {
  connector_.script.push_back(Outcome::fail(proxy::FailureReason::ProxyTimeout, 504,
                                            "proxy timed out reaching the backend",
                                            "504 from proxy", 504));
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }));
  EXPECT_EQ(cb_.local_replies[0].status, 504);
}

// --- timeouts --------------------------------------------------------------------

TEST_F(RouterFailureTest, SilentBackendTimesOutWith504) {
  useApi({url("backend.internal", 8080)}, conf::EndpointType::LoadBalance, /*timeout_ms=*/50);
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }, 10.0));
  EXPECT_EQ(cb_.local_replies[0].status, 504);
  EXPECT_NE(cb_.local_replies[0].description.find("50 ms"), std::string::npos)
      << cb_.local_replies[0].description;
  EXPECT_EQ(connector_.released, std::vector<bool>{false});
}

TEST_F(RouterFailureTest, PendingConnectTimesOutWith504AndIsCancelled) {
  useApi({url("backend.internal", 8080)}, conf::EndpointType::LoadBalance, /*timeout_ms=*/50);
  connector_.script.push_back(Outcome::hang());
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }, 10.0));
  EXPECT_EQ(cb_.local_replies[0].status, 504);
  EXPECT_EQ(connector_.cancelled, 1);
}

TEST_F(RouterFailureTest, SilenceMidBodyTimesOut) {
  useApi({url("backend.internal", 8080)}, conf::EndpointType::LoadBalance, /*timeout_ms=*/500);
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01");
  // Bytes that keep coming keep the request alive past one timeout...
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    backendWrite("2");
  }
  EXPECT_TRUE(cb_.local_replies.empty());
  // ...then silence ends it.
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }, 10.0));
  EXPECT_EQ(cb_.local_replies[0].status, 504);
  EXPECT_EQ(cb_.body, "01222");
  EXPECT_FALSE(cb_.ended);
}

TEST_F(RouterFailureTest, LoadBalanceRoundRobinsAcrossUrls) {
  useApi({url("a.internal", 8081), url("b.internal", 8082)});
  std::vector<std::string> hosts;
  for (int i = 0; i < 4; ++i) {
    start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
    upstreamHead(i);
    hosts.push_back(connector_.requests.back().target.host);
    filter_->onDestroy();
    filter_.reset();
  }
  EXPECT_EQ(hosts,
            (std::vector<std::string>{"a.internal", "b.internal", "a.internal", "b.internal"}));
}

// --- local replies ----------------------------------------------------------------

TEST_F(RouterFailureTest, NoRouteIs404) {
  EXPECT_EQ(start("GET", "/nothing/here", {{"Host", "gw"}}), FilterStatus::StopIteration);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 404);
  pump();
  EXPECT_TRUE(connector_.requests.empty());
}

TEST_F(RouterFailureTest, NoRouteCallbackIs404) {
  http::RequestHeaders req;
  req.method = "GET";
  req.path = "/x";
  cb_.route_ = nullptr;
  filter_ = std::make_unique<RouterFilter>(config_);
  filter_->setDecoderFilterCallbacks(cb_);
  EXPECT_EQ(filter_->decodeHeaders(req, true), FilterStatus::StopIteration);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 404);
}

TEST_F(RouterFailureTest, WrongMethodIs405ListingAllowedMethods) {
  EXPECT_EQ(start("DELETE", "/petstore/v1/pets", {{"Host", "gw"}}), FilterStatus::StopIteration);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 405);
  EXPECT_NE(cb_.local_replies[0].description.find("GET, HEAD, POST"), std::string::npos)
      << cb_.local_replies[0].description;
  pump();
  EXPECT_TRUE(connector_.requests.empty());
}

TEST_F(RouterFailureTest, DestroyBeforeConnectCancelsAttempt) {
  connector_.script.push_back(Outcome::hang());
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  filter_->onDestroy();
  filter_.reset();
  EXPECT_EQ(connector_.cancelled, 1);
}

}  // namespace
}  // namespace gw::router

namespace gw::router {
namespace {

// The router is the one guard of secured resources: whatever the chain holds,
// a secured route on a stream no auth filter marked authenticated is a 401.
class RouterSecurityTest : public RouterFilterTest {
 protected:
  void useSecuredApi(conf::OperationSecurity security) {
    conf::ApiDefinition api;
    api.file = "secure.yaml";
    api.title = "secure";
    api.base_path = "/secure";
    api.production.urls = {url("backend.internal", 8080)};
    conf::Operation secured;
    secured.method = "GET";
    secured.path_template = "/items";
    secured.security = security;
    api.operations = {secured, op("GET", "/health")};
    std::vector<conf::ApiDefinition> apis;
    apis.push_back(std::move(api));
    table_ = *RouteTable::build(std::move(apis));
  }
};

TEST_F(RouterSecurityTest, SecuredRouteWithoutAuthFilterIs401AndNeverConnects) {
  useSecuredApi({});
  EXPECT_EQ(start("GET", "/secure/items", {{"Host", "gw"}}), FilterStatus::StopIteration);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 401);
  EXPECT_EQ(cb_.reply_code, "900902");
  ASSERT_NE(cb_.reply_headers.get("WWW-Authenticate"), nullptr);
  EXPECT_EQ(*cb_.reply_headers.get("WWW-Authenticate"), "Bearer");
  EXPECT_NE(cb_.local_replies[0].description.find("jwt_authn"), std::string::npos);
  pump();
  EXPECT_TRUE(connector_.requests.empty());
}

TEST_F(RouterSecurityTest, AuthenticatedStreamIsRouted) {
  useSecuredApi({});
  cb_.authenticated_ = true;
  EXPECT_EQ(start("GET", "/secure/items", {{"Host", "gw"}}), FilterStatus::Continue);
  EXPECT_TRUE(cb_.local_replies.empty());
  EXPECT_EQ(connector_.requests.size(), 1u);
}

TEST_F(RouterSecurityTest, OpenOperationOfSecuredApiIsRouted) {
  useSecuredApi({});
  EXPECT_EQ(start("GET", "/secure/health", {{"Host", "gw"}}), FilterStatus::Continue);
  EXPECT_TRUE(cb_.local_replies.empty());
}

TEST_F(RouterSecurityTest, ApiKeyOnlyRouteSaysApiKeysAreNotImplemented) {
  conf::OperationSecurity api_key_only;
  api_key_only.oauth2 = false;
  api_key_only.api_key = true;
  useSecuredApi(api_key_only);
  start("GET", "/secure/items", {{"Host", "gw"}});
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 401);
  EXPECT_NE(cb_.local_replies[0].description.find("API keys"), std::string::npos);
}

}  // namespace
}  // namespace gw::router
