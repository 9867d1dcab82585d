// Router filter: advanceEndpointConfig retries and circuit breakers, with the
// fake connector (the test plays the backend).

#include "gateway/router/endpoint_guard.h"
#include "test/gateway/router/router_filter_test_fixture.h"

namespace gw::router {
namespace {

class RouterResilienceTest : public RouterFilterTest {
 protected:
  // One API at /petstore/v1 whose endpoint set has `retry` and `breaker`.
  void useResilientApi(std::vector<conf::EndpointUrl> urls, conf::RetryConfig retry,
                       std::optional<conf::CircuitBreakerConfig> breaker = std::nullopt,
                       conf::EndpointType type = conf::EndpointType::Failover,
                       uint32_t timeout_ms = 60000) {
    conf::ApiDefinition api;
    api.title = "petstore";
    api.base_path = "/petstore/v1";
    api.production.urls = std::move(urls);
    api.production.type = type;
    api.production.timeout_ms = timeout_ms;
    api.production.retry = std::move(retry);
    api.production.circuit_breaker = std::move(breaker);
    api.operations = {op("GET", "/pets"), op("POST", "/pets"), op("PUT", "/pets")};
    std::vector<conf::ApiDefinition> apis;
    apis.push_back(std::move(api));
    auto table = RouteTable::build(std::move(apis));
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = *table;
    config_->guards = buildEndpointGuards(*table_, store_);
  }
  static conf::RetryConfig retryOn(std::vector<int> codes, uint32_t count = 2) {
    conf::RetryConfig r;
    r.count = count;
    r.status_codes = std::move(codes);
    return r;
  }
  static conf::CircuitBreakerConfig breakerConfig() {
    conf::CircuitBreakerConfig c;
    c.request_volume_threshold = 1;
    c.failure_threshold = 0.0;
    c.reset_time_ms = 60000;
    c.status_codes = {503};
    return c;
  }
  EndpointGuard& guard(size_t i = 0) {
    return *config_->guards.at(&table_->apis()[0]->api().production.urls[i]);
  }
  int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               dispatcher_->now().time_since_epoch())
        .count();
  }
};

TEST_F(RouterResilienceTest, ListedStatusIsRetriedAndNeverReachesTheClient) {
  useResilientApi({url("a.internal", 8081)}, retryOn({503}));
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead(0);
  backendWrite("HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy", 0);
  ASSERT_TRUE(pumpUntil([&] { return connector_.peers.size() == 2; }));
  upstreamHead(1);
  backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 1);
  EXPECT_TRUE(cb_.local_replies.empty());
  EXPECT_EQ(cb_.encode_headers_calls, 1);
  EXPECT_EQ(cb_.response->status, 200);
  EXPECT_EQ(cb_.body, "ok");
  EXPECT_EQ(guard().retries->value(), 1u);
  EXPECT_EQ(connector_.released[0], false);  // the 503's connection is not reused
}

TEST_F(RouterResilienceTest, UnlistedStatusPassesThrough) {
  useResilientApi({url("a.internal", 8081)}, retryOn({503}));
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead(0);
  backendWrite("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", 0);
  EXPECT_EQ(cb_.response->status, 500);
  EXPECT_EQ(connector_.requests.size(), 1u);
}

TEST_F(RouterResilienceTest, RetryGoesToTheNextEndpoint) {
  useResilientApi({url("a.internal", 8081), url("b.internal", 8082)}, retryOn({503}));
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead(0);
  backendWrite("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", 0);
  ASSERT_TRUE(pumpUntil([&] { return connector_.requests.size() == 2; }));
  EXPECT_EQ(connector_.requests[0].target.host, "a.internal");
  EXPECT_EQ(connector_.requests[1].target.host, "b.internal");
}

// The body is kept for every retry, also after the one-off retry of a reused
// connection the backend had closed.
TEST_F(RouterResilienceTest, BodyReplayedAfterAStaleConnectionAndAStatusRetry) {
  useResilientApi({url("a.internal", 8081)}, retryOn({503}));
  connector_.script.push_back(Outcome::reusedConnection());
  start("PUT", "/petstore/v1/pets", {{"Host", "gw"}, {"Content-Length", "6"}}, false);
  std::string body = "abcdef";
  filter_->decodeData(body, true);
  EXPECT_EQ(upstreamHead(0).rest, "abcdef");
  backendClose(0);  // stale pooled connection: retried at once
  ASSERT_TRUE(pumpUntil([&] { return connector_.peers.size() == 2; }));
  EXPECT_EQ(upstreamHead(1).rest, "abcdef");
  backendWrite("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", 1);
  ASSERT_TRUE(pumpUntil([&] { return connector_.peers.size() == 3; }));
  std::string raw;
  ASSERT_TRUE(pumpUntil([&] {
    raw += upstreamBytes(2);
    size_t end = raw.find("\r\n\r\n");
    return end != std::string::npos && raw.size() >= end + 4 + 6;
  }));
  EXPECT_EQ(parseHead(raw).rest, "abcdef");
  backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2);
  EXPECT_EQ(cb_.response->status, 200);
}

// The pool skips its socket probe only for requests the router would send
// again after a stale pooled connection: an idempotent request without a
// body, on its first try. Its retry, and a request with a body, get the probe.
TEST_F(RouterResilienceTest, OnlyRetryableFirstTriesSkipThePoolProbe) {
  useResilientApi({url("a.internal", 8081)}, retryOn({503}));
  connector_.script.push_back(Outcome::reusedConnection());
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead(0);
  ASSERT_EQ(connector_.requests.size(), 1u);
  EXPECT_TRUE(connector_.requests[0].retries_if_stale);
  backendClose(0);  // stale: retried at once, on a connection the pool probes
  ASSERT_TRUE(pumpUntil([&] { return connector_.requests.size() == 2; }));
  EXPECT_FALSE(connector_.requests[1].retries_if_stale);
}

TEST_F(RouterResilienceTest, RequestsWithABodyOrNotIdempotentGetThePoolProbe) {
  useResilientApi({url("a.internal", 8081)}, retryOn({503}));
  start("PUT", "/petstore/v1/pets", {{"Host", "gw"}, {"Content-Length", "2"}}, false);
  ASSERT_EQ(connector_.requests.size(), 1u);
  EXPECT_FALSE(connector_.requests[0].retries_if_stale);
}

TEST_F(RouterResilienceTest, PostOverTheReplayLimitIsNotRetried) {
  useResilientApi({url("a.internal", 8081)}, retryOn({503}));
  std::string body(100 * 1024, 'x');
  start("POST", "/petstore/v1/pets",
        {{"Host", "gw"}, {"Content-Length", std::to_string(body.size())}}, false);
  filter_->decodeData(body, true);
  upstreamHead(0);
  backendWrite("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", 0);
  pump();
  EXPECT_EQ(connector_.requests.size(), 1u);
  ASSERT_TRUE(cb_.response.has_value());
  EXPECT_EQ(cb_.response->status, 503);
}

TEST_F(RouterResilienceTest, PostIsNotRetriedWhenTheBackendClosedAfterTakingIt) {
  useResilientApi({url("a.internal", 8081)}, retryOn({503}));
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Content-Length", "1"}}, false);
  std::string body = "x";
  filter_->decodeData(body, true);
  upstreamHead(0);
  backendClose(0);
  pump();
  EXPECT_EQ(connector_.requests.size(), 1u);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 502);
}

TEST_F(RouterResilienceTest, RefusedConnectRetriedAfterTheListIsExhausted) {
  useResilientApi({url("a.internal", 8081)}, retryOn({}, 1));
  connector_.script.push_back(
      Outcome::fail(proxy::FailureReason::Refused, 502, "backend unreachable", "refused"));
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead(0);
  EXPECT_EQ(connector_.requests.size(), 2u);
  backendWrite("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 0);
  EXPECT_TRUE(cb_.local_replies.empty());
  EXPECT_EQ(cb_.response->status, 201);
}

// Body bytes arriving while a retry waits re-arm the response timeout; it must
// not fire a 504 before the retry has even connected.
TEST_F(RouterResilienceTest, BodyArrivingDuringTheRetryWaitDoesNotTimeOut) {
  conf::RetryConfig retry = retryOn({}, 1);
  retry.interval_ms = 150;
  useResilientApi({url("a.internal", 8081)}, retry, std::nullopt, conf::EndpointType::Failover,
                  /*timeout_ms=*/30);
  connector_.script.push_back(
      Outcome::fail(proxy::FailureReason::Refused, 502, "backend unreachable", "refused"));
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Content-Length", "2"}}, false);
  pump();
  std::string body = "hi";
  filter_->decodeData(body, true);  // arms the 30 ms timeout while the retry waits 150 ms
  ASSERT_TRUE(pumpUntil([&] { return connector_.peers.size() == 1; }, 2.0));
  EXPECT_EQ(upstreamHead(0).rest, "hi");
  EXPECT_TRUE(cb_.local_replies.empty());
  backendWrite("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 0);
  EXPECT_EQ(cb_.response->status, 201);
}

// A wrong proxy password is not the backend's fault: no retry, and the
// backend's circuit stays closed (else every API would answer "circuit open").
TEST_F(RouterResilienceTest, ProxyAuthFailureIsNeitherRetriedNorCountedAgainstTheEndpoint) {
  useResilientApi({url("a.internal", 8081)}, retryOn({}, 3), breakerConfig());
  connector_.script.push_back(Outcome::fail(proxy::FailureReason::ProxyAuth, 502,
                                            "proxy authentication failed", "407", 407));
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }));
  EXPECT_EQ(connector_.requests.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].message, "proxy authentication failed");
  EXPECT_EQ(guard().breaker->state(), CircuitBreaker::State::Closed);
  EXPECT_EQ(guard().breaker->window(nowMs()).total, 0u);
}

TEST_F(RouterResilienceTest, RefusedConnectCountsAgainstTheEndpoint) {
  useResilientApi({url("a.internal", 8081)}, {}, breakerConfig());
  connector_.script.push_back(
      Outcome::fail(proxy::FailureReason::Refused, 502, "backend unreachable", "refused"));
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }));
  EXPECT_EQ(guard().breaker->state(), CircuitBreaker::State::Open);
}

TEST_F(RouterResilienceTest, OpenCircuitAnswers503NamingTheEndpointWithoutConnecting) {
  useResilientApi({url("a.internal", 8081)}, {}, breakerConfig());
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead(0);
  backendWrite("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", 0);
  EXPECT_EQ(guard().breaker->state(), CircuitBreaker::State::Open);
  EXPECT_EQ(guard().state->value(), 1);
  filter_->onDestroy();
  filter_.reset();
  cb_.response.reset();
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  EXPECT_EQ(connector_.requests.size(), 1u);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 503);
  EXPECT_NE(cb_.local_replies[0].description.find("http://a.internal:8081/"), std::string::npos)
      << cb_.local_replies[0].description;
  EXPECT_NE(cb_.local_replies[0].description.find("'petstore'"), std::string::npos);
  EXPECT_EQ(*cb_.reply_headers.get("Retry-After"), "60");
  EXPECT_EQ(guard().rejected->value(), 1u);
}

TEST_F(RouterResilienceTest, AnOpenEndpointIsSkippedForTheNextOne) {
  useResilientApi({url("a.internal", 8081), url("b.internal", 8082)}, {}, breakerConfig());
  guard(0).breaker->onOutcome(nowMs(), true, false);  // opens a.internal's circuit
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead(0);
  ASSERT_EQ(connector_.requests.size(), 1u);
  EXPECT_EQ(connector_.requests[0].target.host, "b.internal");
}

TEST_F(RouterResilienceTest, AProbeWhoseClientLeftFreesTheSlot) {
  conf::CircuitBreakerConfig c = breakerConfig();
  c.reset_time_ms = 1000;
  useResilientApi({url("a.internal", 8081)}, {}, c);
  CircuitBreaker& cb = *guard().breaker;
  cb.onOutcome(nowMs() - 1000, true, false);  // opened a reset time ago
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  EXPECT_EQ(cb.state(), CircuitBreaker::State::HalfOpen);
  EXPECT_EQ(cb.admit(nowMs()), CircuitBreaker::Admission::Rejected);
  filter_->onDestroy();
  filter_.reset();
  EXPECT_EQ(cb.admit(nowMs()), CircuitBreaker::Admission::Probe);
}

}  // namespace
}  // namespace gw::router
