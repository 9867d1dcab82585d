#include <string>
#include <vector>

#include "proxy_connector/connector_impl.h"
#include "test/proxy_connector/connector_test_util.h"

namespace gw::proxy {
namespace {

TEST_F(ConnectorTest, DirectPlain) {
  EchoServer echo(dispatcher_->base());
  ConnectorPtr c = make();
  Recorder rec;
  ConnectRequest req;
  req.target = {"http", "127.0.0.1", echo.port()};
  connect(*c, req, rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  EXPECT_FALSE(rec.conn->viaProxy());
  EXPECT_FALSE(rec.conn->reused());
  EXPECT_FALSE(rec.conn->absoluteForm());
  EXPECT_EQ(roundTrip(rec, "ping"), "ping");
  EXPECT_EQ(
      counter("microgw_upstream_connections_total", {{"path", "direct"}, {"result", "opened"}}),
      1u);
  EXPECT_EQ(active(), 1);
  rec.conn.reset();
  EXPECT_EQ(active(), 0);
}

TEST_F(ConnectorTest, DirectByName) {
  EchoServer echo(dispatcher_->base());
  ConnectorPtr c = make();
  Recorder rec;
  ConnectRequest req;
  req.target = {"http", "localhost", echo.port()};
  connect(*c, req, rec);
  if (!rec.conn) {
    // "localhost" may resolve to ::1 first where nothing listens on v6; that is a
    // refused connection, not a resolution failure.
    EXPECT_NE(rec.failure->reason, FailureReason::Resolve) << rec.failure->detail;
    return;
  }
  EXPECT_EQ(roundTrip(rec, "hello"), "hello");
}

TEST_F(ConnectorTest, ConnectRequestBytesAndTunnel) {
  EchoServer echo(dispatcher_->base());
  FakeProxy proxy(dispatcher_->base());
  proxy.upstream_port = echo.port();
  proxy.required_auth = basicAuth();
  ConnectorPtr c = make();
  Recorder rec;
  connect(*c, viaProxy(proxy, "http", "backend.test", 8080), rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  ASSERT_EQ(proxy.heads.size(), 1u);
  EXPECT_EQ(proxy.heads[0],
            "CONNECT backend.test:8080 HTTP/1.1\r\nHost: backend.test:8080\r\n"
            "Proxy-Authorization: " +
                basicAuth() + "\r\n\r\n");
  EXPECT_TRUE(rec.conn->viaProxy());
  EXPECT_FALSE(rec.conn->absoluteForm());
  EXPECT_EQ(rec.conn->describe(),
            "backend.test:8080 via proxy 127.0.0.1:" + std::to_string(proxy.port()));
  EXPECT_EQ(roundTrip(rec, "GET / HTTP/1.1\r\n\r\n"), "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(counter("microgw_proxy_tunnels_total", {{"result", "opened"}}), 1u);
  EXPECT_EQ(store_.histogram("microgw_proxy_connect_seconds", "").count(), 1u);
}

TEST_F(ConnectorTest, Ipv6TargetIsBracketedAndNoAuthWithoutUsername) {
  EchoServer echo(dispatcher_->base());
  FakeProxy proxy(dispatcher_->base());
  proxy.upstream_port = echo.port();
  ConnectorPtr c = make();
  Recorder rec;
  ConnectRequest req = viaProxy(proxy, "http", "2001:db8::7", 9443);
  req.proxy->username.clear();
  connect(*c, req, rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  ASSERT_EQ(proxy.heads.size(), 1u);
  EXPECT_EQ(proxy.heads[0],
            "CONNECT [2001:db8::7]:9443 HTTP/1.1\r\nHost: [2001:db8::7]:9443\r\n\r\n");
}

TEST_F(ConnectorTest, BytesRightAfterThe200ReachTheCaller) {
  EchoServer echo(dispatcher_->base());
  FakeProxy proxy(dispatcher_->base());
  proxy.upstream_port = echo.port();
  proxy.after_200 = "EARLY-BYTES";
  ConnectorPtr c = make();
  Recorder rec;
  rec.read_in_callback = true;
  connect(*c, viaProxy(proxy, "http", "b", 80), rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  ASSERT_TRUE(runUntil([&] { return rec.received.size() >= 11; }, milliseconds(2000)));
  EXPECT_EQ(rec.received, "EARLY-BYTES");
}

struct FailureCase {
  std::string name;
  FakeProxy::Mode mode;
  std::string reject_response;
  bool wrong_password;
  FailureReason reason;
  int http_status;
  std::string metric;
  std::string detail_has;
};

class ConnectorFailureTest : public ConnectorTest,
                             public ::testing::WithParamInterface<FailureCase> {};

TEST_P(ConnectorFailureTest, MapsProxyAnswers) {
  const FailureCase& fc = GetParam();
  FakeProxy proxy(dispatcher_->base());
  proxy.mode = fc.mode;
  proxy.reject_response = fc.reject_response;
  proxy.required_auth = basicAuth();
  ConnectorOptions options;
  options.connect_timeout = milliseconds(300);
  ConnectorPtr c = make(options);
  Recorder rec;
  connect(*c,
          viaProxy(proxy, "http", "backend.test", 8080,
                   fc.wrong_password ? "wrong-" + std::string(kPassword) : kPassword),
          rec);
  ASSERT_TRUE(rec.failure.has_value());
  const ConnectFailure& f = *rec.failure;
  EXPECT_EQ(f.reason, fc.reason) << f.detail;
  EXPECT_EQ(f.http_status, fc.http_status);
  EXPECT_NE(f.detail.find(fc.detail_has), std::string::npos) << f.detail;
  EXPECT_EQ(f.detail.find(kPassword), std::string::npos) << f.detail;
  EXPECT_EQ(f.message.find(kPassword), std::string::npos) << f.message;
  EXPECT_EQ(f.detail.find(basicAuth().substr(6)), std::string::npos) << f.detail;
  EXPECT_EQ(counter("microgw_proxy_tunnel_failures_total", {{"reason", fc.metric}}), 1u);
  EXPECT_EQ(counter("microgw_proxy_tunnels_total", {{"result", "failed"}}), 1u);
  EXPECT_EQ(active(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConnectorFailureTest,
    ::testing::ValuesIn(std::vector<FailureCase>{
        {"auth_407", FakeProxy::Mode::Tunnel, "", true, FailureReason::ProxyAuth, 502, "auth",
         "httpClients.proxy.username/password"},
        {"forbidden_403", FakeProxy::Mode::Reject,
         "HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\n\r\ndenied", false,
         FailureReason::ProxyForbidden, 502, "forbidden", "http_access deny CONNECT !SSL_ports"},
        {"unavailable_503", FakeProxy::Mode::Reject,
         "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", false,
         FailureReason::ProxyUnavailable, 502, "unavailable", "backend.test:8080"},
        {"gateway_timeout_504", FakeProxy::Mode::Reject,
         "HTTP/1.1 504 Gateway Timeout\r\nConnection: close\r\n\r\n", false,
         FailureReason::ProxyTimeout, 504, "timeout", "timed out"},
        {"closed", FakeProxy::Mode::Close, "", false, FailureReason::Reset, 502, "reset",
         "closed the connection"},
        {"stall", FakeProxy::Mode::Stall, "", false, FailureReason::Timeout, 504, "timeout",
         "did not answer the CONNECT"},
        {"garbage", FakeProxy::Mode::Garbage, "", false, FailureReason::ProxyProtocol, 502,
         "protocol", "invalid"},
    }),
    [](const auto& info) { return info.param.name; });

TEST_F(ConnectorTest, ProxyRefused) {
  ConnectorPtr c = make();
  Recorder rec;
  ConnectRequest req;
  req.target = {"https", "backend.test", 443};
  req.proxy = ProxyServer{"127.0.0.1", testing::closedPort(), kUser, kPassword, true};
  connect(*c, req, rec);
  ASSERT_TRUE(rec.failure.has_value());
  EXPECT_EQ(rec.failure->reason, FailureReason::Refused);
  EXPECT_EQ(rec.failure->http_status, 502);
  EXPECT_NE(rec.failure->detail.find("proxy 127.0.0.1:" + std::to_string(req.proxy->port)),
            std::string::npos)
      << rec.failure->detail;
  EXPECT_EQ(rec.failure->detail.find(kPassword), std::string::npos);
  EXPECT_EQ(counter("microgw_proxy_tunnel_failures_total", {{"reason", "refused"}}), 1u);
  EXPECT_EQ(counter("microgw_upstream_connect_failures_total",
                    {{"path", "proxy"}, {"reason", "refused"}}),
            1u);
}

TEST_F(ConnectorTest, DirectRefusedCountsAConnectFailure) {
  ConnectorPtr c = make();
  Recorder rec;
  ConnectRequest req;
  req.target = {"http", "127.0.0.1", testing::closedPort()};
  connect(*c, req, rec);
  ASSERT_TRUE(rec.failure.has_value());
  EXPECT_EQ(rec.failure->reason, FailureReason::Refused);
  EXPECT_EQ(counter("microgw_upstream_connect_failures_total",
                    {{"path", "direct"}, {"reason", "refused"}}),
            1u);
  EXPECT_EQ(counter("microgw_proxy_tunnel_failures_total", {{"reason", "refused"}}), 0u);
}

TEST_F(ConnectorTest, CancelledAttemptNeverCallsBack) {
  FakeProxy proxy(dispatcher_->base());
  proxy.mode = FakeProxy::Mode::Stall;
  ConnectorOptions options;
  options.connect_timeout = milliseconds(50);
  ConnectorPtr c = make(options);
  Recorder rec;
  ConnectHandlePtr h = c->connect(viaProxy(proxy, "http", "b", 80), rec);
  runFor(milliseconds(20));
  h.reset();
  ConnectHandlePtr h2 = c->connect(viaProxy(proxy, "http", "b", 80), rec);
  h2.reset();  // before its first loop iteration
  runFor(milliseconds(150));
  EXPECT_EQ(rec.calls, 0);
}

TEST_F(ConnectorTest, AbsoluteFormThroughProxy) {
  FakeProxy proxy(dispatcher_->base());
  proxy.mode = FakeProxy::Mode::Forward;
  ConnectorPtr c = make();
  Recorder rec;
  ConnectRequest req = viaProxy(proxy, "http", "backend.test", 8080);
  req.proxy->connect_for_http = false;
  connect(*c, req, rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  EXPECT_TRUE(rec.conn->absoluteForm());
  EXPECT_TRUE(rec.conn->viaProxy());
  EXPECT_EQ(rec.conn->proxyAuthorization(), basicAuth());
  const std::string get =
      "GET http://backend.test:8080/x HTTP/1.1\r\nHost: backend.test:8080\r\n"
      "Proxy-Authorization: " +
      basicAuth() + "\r\n\r\n";
  rec.watch();
  bufferevent_write(rec.conn->bev(), get.data(), get.size());
  ASSERT_TRUE(runUntil([&] { return rec.received.find("fwd") != std::string::npos; }));
  ASSERT_EQ(proxy.heads.size(), 1u);
  EXPECT_EQ(proxy.heads[0], get);  // no CONNECT was sent
  EXPECT_EQ(counter("microgw_proxy_tunnels_total", {{"result", "opened"}}), 0u);
}

}  // namespace
}  // namespace gw::proxy
