// Router filter and the connector seam (issue 6): the request-body deadline,
// the silent hop named when the route timeout runs out during set-up, and
// forward-mode answers that the proxy generated itself.

#include "test/gateway/router/router_filter_test_fixture.h"

namespace gw::router {
namespace {

// A connector that, like the real one, calls a forward-mode 407 carrying
// Squid's X-Squid-Error the proxy's own answer.
class ForwardConnector : public FakeConnector {
 public:
  using FakeConnector::FakeConnector;
  std::optional<proxy::ConnectFailure> proxyAnswered(const proxy::UpstreamConnection& c, int status,
                                                     const HeaderLookup& header) override {
    ++asked;
    if (!c.absoluteForm() || header("x-squid-error").empty()) return std::nullopt;
    proxy::ConnectFailure f;
    f.reason = proxy::FailureReason::ProxyAuth;
    f.http_status = 502;
    f.proxy_status = status;
    f.message = "proxy authentication failed";
    f.detail = "check httpClients.proxy.username/password";
    return f;
  }
  int asked = 0;
};

// A handle that never completes and says which hop was silent.
class SilentHandle : public proxy::ConnectHandle {
 public:
  proxy::ConnectFailure abandon(std::chrono::milliseconds waited,
                                const std::string& setting) override {
    proxy::ConnectFailure f;
    f.reason = proxy::FailureReason::Timeout;
    f.http_status = 504;
    f.message = "upstream connect timed out";
    f.detail = gw::cat(
        "the proxy 127.0.0.1:3128 accepted the connection but did not answer the "
        "CONNECT within ",
        waited.count(), " ms (", setting, ")");
    return f;
  }
};

class SilentConnector : public FakeConnector {
 public:
  using FakeConnector::FakeConnector;
  proxy::ConnectHandlePtr connect(const proxy::ConnectRequest& request,
                                  proxy::ConnectCallbacks&) override {
    requests.push_back(request);
    return std::make_unique<SilentHandle>();
  }
};

class RouterConnectorTest : public RouterFilterTest {
 protected:
  // Starts a request whose callbacks use `connector` instead of the fixture's.
  FilterStatus startWith(proxy::Connector& connector, std::string method, std::string path,
                         std::vector<std::pair<std::string, std::string>> headers,
                         bool end_stream) {
    cb2_ = std::make_unique<FakeCallbacks>(*dispatcher_, connector, store_);
    http::RequestHeaders req;
    req.method = std::move(method);
    req.path = std::move(path);
    for (auto& [n, v] : headers) req.headers.add(n, v);
    match_ = table_->match(req.method, req.path);
    cb2_->route_ = &match_;
    filter_ = std::make_unique<RouterFilter>(config_);
    filter_->setDecoderFilterCallbacks(*cb2_);
    return filter_->decodeHeaders(req, end_stream);
  }

  void TearDown() override {
    RouterFilterTest::TearDown();
    cb2_.reset();
  }

  std::unique_ptr<FakeCallbacks> cb2_;
};

// Regression (issue 6): a body trickled byte by byte kept the upstream
// connection with no deadline (each byte re-armed the route timeout).
TEST_F(RouterConnectorTest, TrickledBodyGets408AndClosesUpstream) {
  config_->request_body_timeout_ms = 80;
  // The deadline runs from the request headers, so the clock starts before them
  // (after upstreamHead() it could be late by that call's time on a busy machine).
  const auto begin = std::chrono::steady_clock::now();
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Content-Length", "100"}}, false);
  upstreamHead();
  bool replied = pumpUntil(
      [&] {
        std::string one = "x";
        if (cb_.local_replies.empty()) filter_->decodeData(one, false);
        return !cb_.local_replies.empty();
      },
      3.0);
  ASSERT_TRUE(replied) << "no reply while the body trickled";
  EXPECT_GE(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(60));
  EXPECT_EQ(cb_.local_replies[0].status, 408);
  EXPECT_NE(cb_.local_replies[0].description.find("requestBodyTimeoutInMillis"), std::string::npos);
  EXPECT_EQ(connector_.released, (std::vector<bool>{false}));
}

TEST_F(RouterConnectorTest, BodyInTimeHasNoBodyTimeoutLater) {
  config_->request_body_timeout_ms = 40;
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Content-Length", "2"}}, false);
  std::string body = "ok";
  filter_->decodeData(body, true);
  upstreamHead();
  pumpUntil([] { return false; }, 0.1);
  EXPECT_TRUE(cb_.local_replies.empty());
  backendWrite("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(cb_.ended);
  EXPECT_TRUE(cb_.local_replies.empty());
}

// Regression (issue 6): a route timeout during set-up blamed the backend.
TEST_F(RouterConnectorTest, RouteTimeoutDuringSetUpNamesTheSilentHop) {
  useApi({url("backend.internal", 8080)}, conf::EndpointType::LoadBalance, 50);
  SilentConnector silent(*dispatcher_);
  startWith(silent, "GET", "/petstore/v1/pets", {{"Host", "gw"}}, true);
  ASSERT_TRUE(pumpUntil([&] { return !cb2_->local_replies.empty(); }, 3.0));
  const LocalReply& r = cb2_->local_replies[0];
  EXPECT_EQ(r.status, 504);
  EXPECT_NE(r.description.find("did not answer the CONNECT within 50 ms "
                               "(advanceEndpointConfig.timeoutInMillis)"),
            std::string::npos)
      << r.description;
  EXPECT_EQ(r.description.find("the backend"), std::string::npos) << r.description;
}

// Regression (issue 6): in forward mode Squid's 407 page went to the client.
TEST_F(RouterConnectorTest, ForwardModeProxyAnswerBecomesLocalReply) {
  ForwardConnector fwd(*dispatcher_);
  Outcome o;
  o.absolute_form = true;
  fwd.script.push_back(o);
  startWith(fwd, "GET", "/petstore/v1/pets", {{"Host", "gw"}}, true);
  ASSERT_TRUE(pumpUntil([&] { return !fwd.peers.empty(); }));
  const std::string page = "<html>squid/5.7 on proxy.corp</html>";
  const std::string answer = gw::cat(
      "HTTP/1.1 407 Proxy Authentication Required\r\nServer: squid/5.7\r\n"
      "X-Squid-Error: ERR_CACHE_ACCESS_DENIED 0\r\nContent-Length: ",
      page.size(), "\r\n\r\n", page);
  bufferevent_write(fwd.peers[0], answer.data(), answer.size());
  ASSERT_TRUE(pumpUntil([&] { return !cb2_->local_replies.empty(); }));
  EXPECT_EQ(cb2_->local_replies[0].status, 502);
  EXPECT_EQ(cb2_->local_replies[0].message, "proxy authentication failed");
  EXPECT_EQ(cb2_->encode_headers_calls, 0);
  EXPECT_EQ(cb2_->body.find("squid"), std::string::npos);
  EXPECT_EQ(fwd.released, (std::vector<bool>{false}));
  pump();
  EXPECT_EQ(cb2_->local_replies.size(), 1u);
}

TEST_F(RouterConnectorTest, ForwardModeBackendAnswerPasses) {
  ForwardConnector fwd(*dispatcher_);
  Outcome o;
  o.absolute_form = true;
  fwd.script.push_back(o);
  startWith(fwd, "GET", "/petstore/v1/pets", {{"Host", "gw"}}, true);
  ASSERT_TRUE(pumpUntil([&] { return !fwd.peers.empty(); }));
  const std::string answer =
      "HTTP/1.1 503 Service Unavailable\r\nVia: 1.1 proxy (squid/5.7)\r\nContent-Length: 4\r\n\r\n"
      "busy";
  bufferevent_write(fwd.peers[0], answer.data(), answer.size());
  ASSERT_TRUE(pumpUntil([&] { return cb2_->ended; }));
  EXPECT_EQ(fwd.asked, 1);
  EXPECT_TRUE(cb2_->local_replies.empty());
  ASSERT_TRUE(cb2_->response.has_value());
  EXPECT_EQ(cb2_->response->status, 503);
  EXPECT_EQ(cb2_->body, "busy");
}

}  // namespace
}  // namespace gw::router
