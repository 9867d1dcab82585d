// The analytics filter on fake callbacks: which stream each response goes
// to, what it records, and that it is silent when analytics is off.

#include "filters/analytics/analytics_filter.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "conf/config.h"
#include "gateway/router/route_table.h"
#include "test/mocks/fake_clock.h"
#include "test/mocks/filter_callbacks.h"

namespace gw::filters::analytics {
namespace {

class AnalyticsFilterTest : public ::testing::Test {
 protected:
  AnalyticsFilterTest() {
    auto config = std::make_shared<AnalyticsFilterConfig>();
    config->enabled = true;
    config->hostname = "gw-1";
    config->sink = [this](std::string_view line) { lines_.emplace_back(line); };
    config->wall_ms = [this] {
      return 1800000000000 + clock_.steadyNow().time_since_epoch().count() / 1000000;
    };
    config->steady_now = clock_.steadyFn();
    config_ = config;
  }

  // Runs one exchange: request headers, then a response with `status` and `body`.
  // `between` runs after the request headers, as the later filters (auth) would.
  void exchange(int status, const std::string& body, bool json, const std::string& ua = "t/1",
                const std::function<void()>& between = {}) {
    AnalyticsFilter filter(config_);
    filter.setDecoderFilterCallbacks(decoder_);
    http::RequestHeaders req;
    req.method = "GET";
    req.path = "/hello/v1/echo?x=1";
    req.headers.add("User-Agent", ua);
    req.headers.add("X-Request-Id", "req-1");
    filter.decodeHeaders(req, true);
    if (between) between();
    clock_.advance(std::chrono::milliseconds(7));
    http::ResponseHeaders resp;
    resp.status = status;
    if (json) resp.headers.add("Content-Type", "application/json");
    resp.headers.add("Content-Length", std::to_string(body.size()));
    filter.encodeHeaders(resp, body.empty());
    std::string data = body;
    if (!body.empty()) filter.encodeData(data, true);
    filter.onDestroy();
  }

  test::FakeClock clock_;
  test::FakeDecoderFilterCallbacks decoder_;
  std::shared_ptr<const AnalyticsFilterConfig> config_;
  std::vector<std::string> lines_;
};

// The fields an event takes from its API and operation are sanitised once,
// into the config's tables; a route the tables lack is made per request. Both
// give the same line, with the separators in those fields neutralised.
TEST_F(AnalyticsFilterTest, RouteFieldsFromTheTablesEqualThoseMadePerRequest) {
  conf::ApiDefinition api;
  api.title = "Pet-OS-store";
  api.version = "1.0.0";
  api.base_path = "/hello";
  conf::Operation op;
  op.method = "GET";
  op.path_template = "/v1/echo-KS-";
  api.operations = {op};
  conf::EndpointUrl url;
  url.url = "http://backend-ES-1:8080/";
  api.production.urls = {url};
  std::vector<conf::ApiDefinition> apis;
  apis.push_back(std::move(api));
  std::shared_ptr<const router::RouteTable> routes = *router::RouteTable::build(std::move(apis));
  router::RouteMatch match = routes->match("GET", "/hello/v1/echo-KS-");
  ASSERT_EQ(match.result, router::RouteMatch::Result::Matched);
  decoder_.route_ = &match;

  exchange(200, "hello", false);  // per request: the tables are empty
  auto tabled = std::make_shared<AnalyticsFilterConfig>(*config_);
  const conf::ApiDefinition& served = routes->apis().front()->api();
  tabled->apis.emplace(&served, routeFieldsOf(served, nullptr));
  tabled->operations.emplace(&served.operations.front(),
                             routeFieldsOf(served, &served.operations.front()));
  tabled->operations.begin()->second.api_name = "from-the-table";  // to tell them apart
  tabled->operations.begin()->second.finish();
  config_ = tabled;
  exchange(200, "hello", false);
  ASSERT_EQ(lines_.size(), 2u);
  for (const char* name : {"Pet_OS_store", "from-the-table"}) {
    const std::string& line = lines_[name[0] == 'P' ? 0 : 1];
    EXPECT_NE(line.find(std::string("-OS-/hello/1.0.0-OS-") + name +
                        "-OS-1.0.0-OS-/v1/echo_KS_-OS-/v1/echo_KS_-OS-GET-OS-"),
              std::string::npos)
        << line;
    EXPECT_NE(line.find("-OS-http://backend_ES_1:8080/-OS-"), std::string::npos) << line;
  }
}

TEST_F(AnalyticsFilterTest, BackendResponseGoesToTheRequestStream) {
  exchange(200, "hello", false);
  ASSERT_EQ(lines_.size(), 1u);
  const std::string& line = lines_[0];
  EXPECT_EQ(line.rfind("streamId-KS-org.wso2.apimgt.statistics.request:3.2.0-ES-", 0), 0u) << line;
  EXPECT_NE(line.find("\"correlationID\":\"req-1\""), std::string::npos) << line;
  EXPECT_NE(line.find("-OS-127.0.0.1-OS-t/1-OS-"), std::string::npos) << line;
  // responseTime 7, serviceTime 0, backendTime 7, cache false, size 5, http, 200.
  EXPECT_NE(line.find("-OS-false-OS-7-OS-0-OS-7-OS-false-OS-5-OS-http-OS-200-OS-"),
            std::string::npos)
      << line;
}

TEST_F(AnalyticsFilterTest, LocalReplyErrorGoesToTheFaultStreamWithItsCode) {
  exchange(401, R"({"code":"900901","message":"Invalid Credentials","description":"x"})", true);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].rfind("streamId-KS-org.wso2.apimgt.statistics.fault:3.2.0", 0), 0u);
  EXPECT_NE(lines_[0].find("-OS-900901-OS-Invalid Credentials-OS-"), std::string::npos)
      << lines_[0];
}

TEST_F(AnalyticsFilterTest, BackendJsonErrorStaysInTheRequestStream) {
  exchange(404, R"({"error":"no such pet"})", true);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].rfind("streamId-KS-org.wso2.apimgt.statistics.request", 0), 0u);
}

TEST_F(AnalyticsFilterTest, TooManyRequestsGoesToTheThrottleStream) {
  exchange(429, R"({"code":"900800","message":"Message throttled out","description":"quota"})",
           true);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].rfind("streamId-KS-org.wso2.apimgt.statistics.throttle:3.2.0", 0), 0u);
  EXPECT_NE(lines_[0].find("-OS-Message throttled out-OS-MICRO-OS-"), std::string::npos)
      << lines_[0];
}

// With `analytics` first in the chain, request_id runs later and its id comes
// back on the response: the event carries that id.
TEST_F(AnalyticsFilterTest, CorrelationIdFromTheResponseWhenTheRequestHadNone) {
  AnalyticsFilter filter(config_);
  filter.setDecoderFilterCallbacks(decoder_);
  http::RequestHeaders req;
  req.method = "GET";
  req.path = "/x";
  filter.decodeHeaders(req, true);
  http::ResponseHeaders resp;
  resp.headers.add("X-Request-Id", "0123abcd");
  filter.encodeHeaders(resp, true);
  filter.onDestroy();
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("\"correlationID\":\"0123abcd\""), std::string::npos) << lines_[0];
}

// An auth filter later in the chain publishes the identity after this
// filter's decodeHeaders: the event still carries the caller.
TEST_F(AnalyticsFilterTest, AuthenticatedCallerFillsTheEvent) {
  exchange(200, "hello", false, "t/1", [this] {
    http::AuthIdentity id;
    id.subject = "alice@example.com";
    id.application_id = "app-42";
    id.application_name = "PetShop";
    id.application_owner = "bob";
    id.key_type = "SANDBOX";
    decoder_.setAuthenticated("jwt_authn");
    decoder_.setIdentity(id);
  });
  ASSERT_EQ(lines_.size(), 1u);
  const std::string& line = lines_[0];
  EXPECT_NE(line.find("\"clientType\":\"SANDBOX\""), std::string::npos) << line;
  // consumerKey, applicationName, applicationId, applicationOwner lead the payload.
  EXPECT_NE(line.find("payLoadData-KS-anonymous-OS-PetShop-OS-app-42-OS-bob-OS-"),
            std::string::npos)
      << line;
  // apiTier, hostname, userName, userTenantDomain.
  EXPECT_NE(line.find("-OS-Default-OS-gw-1-OS-alice@example.com-OS-example.com-OS-"),
            std::string::npos)
      << line;
}

TEST_F(AnalyticsFilterTest, OpenRequestStaysAnonymous) {
  exchange(200, "hello", false);
  ASSERT_EQ(lines_.size(), 1u);
  const std::string& line = lines_[0];
  EXPECT_NE(line.find("payLoadData-KS-anonymous-OS-anonymous-OS-anonymous-OS-anonymous-OS-"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("-OS-Unauthenticated-OS-gw-1-OS-anonymous-OS-anonymous-OS-"),
            std::string::npos)
      << line;
}

TEST_F(AnalyticsFilterTest, NoResponseNoEvent) {
  AnalyticsFilter filter(config_);
  filter.setDecoderFilterCallbacks(decoder_);
  http::RequestHeaders req;
  req.method = "GET";
  req.path = "/x";
  filter.decodeHeaders(req, true);
  filter.onDestroy();
  EXPECT_TRUE(lines_.empty());
}

TEST_F(AnalyticsFilterTest, DisabledWritesNothing) {
  auto off = std::make_shared<AnalyticsFilterConfig>(*config_);
  off->enabled = false;
  config_ = off;
  exchange(200, "x", false);
  EXPECT_TRUE(lines_.empty());
}

TEST(LocalReplyBody, OnlyTheChainsShape) {
  std::string code, message;
  EXPECT_TRUE(
      parseLocalReplyBody(R"({"code":"101503","message":"m","description":"d"})", &code, &message));
  EXPECT_EQ(code, "101503");
  EXPECT_EQ(message, "m");
  EXPECT_TRUE(
      parseLocalReplyBody(R"({"code":900901,"message":"m","description":"d"})", &code, &message));
  EXPECT_EQ(code, "900901");
  EXPECT_FALSE(parseLocalReplyBody(R"({"code":"1","message":"m"})", &code, &message));
  EXPECT_FALSE(parseLocalReplyBody(R"({"code":"1","message":"m","description":"d","x":1})", &code,
                                   &message));
  EXPECT_FALSE(parseLocalReplyBody("not json", &code, &message));
}

}  // namespace
}  // namespace gw::filters::analytics
