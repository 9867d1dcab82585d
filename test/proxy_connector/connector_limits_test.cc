// Issue 6 hardening: the hop named when a caller's deadline runs out during
// set-up, maxActiveConnections / waitTimeInMillis, TLS connections with unread
// bytes kept out of the pool, and forward-mode answers from the proxy itself.

#include <event2/bufferevent_ssl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "test/mocks/loopback_listener.h"
#include "test/proxy_connector/connector_test_util.h"
#include "test/proxy_connector/test_certs.h"

namespace gw::proxy {
namespace {

// Regression (issue 6): a route timeout shorter than connectTimeoutInMillis
// used to say the backend did not answer while the proxy had never answered
// the CONNECT.
TEST_F(ConnectorTest, AbandonNamesTheSilentProxy) {
  FakeProxy proxy(dispatcher_->base());
  proxy.mode = FakeProxy::Mode::Stall;
  ConnectorOptions options;
  options.connect_timeout = milliseconds(5000);
  ConnectorPtr c = make(options);
  Recorder rec;
  ConnectHandlePtr h = c->connect(viaProxy(proxy, "https", "api.test", 443), rec);
  ASSERT_TRUE(runUntil([&] { return proxy.heads.size() == 1; }));
  const ConnectFailure f = h->abandon(milliseconds(300), "advanceEndpointConfig.timeoutInMillis");
  h.reset();
  EXPECT_EQ(f.http_status, 504);
  EXPECT_EQ(f.reason, FailureReason::Timeout);
  const std::string where = "proxy 127.0.0.1:" + std::to_string(proxy.port());
  EXPECT_NE(f.detail.find(where + " accepted the connection but did not answer the CONNECT "
                                  "api.test:443 within 300 ms"),
            std::string::npos)
      << f.detail;
  EXPECT_NE(f.detail.find("advanceEndpointConfig.timeoutInMillis"), std::string::npos);
  EXPECT_NE(f.detail.find("connectTimeoutInMillis, 5000 ms"), std::string::npos) << f.detail;
  EXPECT_EQ(f.detail.find(kPassword), std::string::npos);
  EXPECT_EQ(counter("microgw_proxy_tunnel_failures_total", {{"reason", "timeout"}}), 1u);
  EXPECT_EQ(counter("microgw_upstream_connect_failures_total",
                    {{"path", "proxy"}, {"reason", "timeout"}}),
            1u);
  runFor(milliseconds(20));
  EXPECT_EQ(rec.calls, 0);
}

TEST_F(ConnectorTest, ConnectTimeoutNamesTheSilentProxy) {
  FakeProxy proxy(dispatcher_->base());
  proxy.mode = FakeProxy::Mode::Stall;
  ConnectorOptions options;
  options.connect_timeout = milliseconds(60);
  ConnectorPtr c = make(options);
  Recorder rec;
  connect(*c, viaProxy(proxy, "http", "b", 80), rec);
  ASSERT_TRUE(rec.failure.has_value());
  EXPECT_NE(rec.failure->detail.find("did not answer the CONNECT b:80 within 60 ms "
                                     "(httpClients.connectTimeoutInMillis)"),
            std::string::npos)
      << rec.failure->detail;
}

TEST_F(ConnectorTest, MaxActiveConnectionsQueuesUntilOneIsReleased) {
  EchoServer echo(dispatcher_->base());
  ConnectorOptions options;
  options.max_active_per_key = 1;
  options.pool_wait_timeout = milliseconds(5000);
  ConnectorPtr c = make(options);
  Recorder first;
  connect(*c, direct(echo.port()), first);
  ASSERT_TRUE(first.conn);
  Recorder second;
  ConnectHandlePtr h = c->connect(direct(echo.port()), second);
  runFor(milliseconds(50));
  EXPECT_EQ(second.calls, 0) << "over maxActiveConnections, the second connect must wait";
  EXPECT_EQ(echo.accepted(), 1);
  c->release(std::move(first.conn), true);
  ASSERT_TRUE(runUntil([&] { return second.calls > 0; }));
  ASSERT_TRUE(second.conn);
  EXPECT_TRUE(second.conn->reused());  // the released connection, no new one
  EXPECT_EQ(echo.accepted(), 1);
}

TEST_F(ConnectorTest, MaxActiveConnectionsSlotFreedByClose) {
  EchoServer echo(dispatcher_->base());
  ConnectorOptions options;
  options.max_active_per_key = 1;
  ConnectorPtr c = make(options);
  Recorder first;
  connect(*c, direct(echo.port()), first);
  ASSERT_TRUE(first.conn);
  Recorder second;
  ConnectHandlePtr h = c->connect(direct(echo.port()), second);
  runFor(milliseconds(30));
  EXPECT_EQ(second.calls, 0);
  c->release(std::move(first.conn), /*reusable=*/false);
  ASSERT_TRUE(runUntil([&] { return second.calls > 0; }));
  ASSERT_TRUE(second.conn);
  EXPECT_FALSE(second.conn->reused());
  EXPECT_EQ(echo.accepted(), 2);
}

TEST_F(ConnectorTest, MaxActiveConnectionsWaitTimeGives503) {
  EchoServer echo(dispatcher_->base());
  ConnectorOptions options;
  options.max_active_per_key = 1;
  options.pool_wait_timeout = milliseconds(80);
  ConnectorPtr c = make(options);
  Recorder first;
  connect(*c, direct(echo.port()), first);
  ASSERT_TRUE(first.conn);
  Recorder second;
  const auto start = std::chrono::steady_clock::now();
  connect(*c, direct(echo.port()), second);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(70));
  ASSERT_TRUE(second.failure.has_value());
  EXPECT_EQ(second.failure->reason, FailureReason::PoolExhausted);
  EXPECT_EQ(second.failure->http_status, 503);
  EXPECT_NE(second.failure->detail.find("httpClients.poolConfig.maxActiveConnections"),
            std::string::npos);
  EXPECT_NE(second.failure->detail.find("waitTimeInMillis"), std::string::npos);
  EXPECT_EQ(counter("microgw_upstream_connect_failures_total",
                    {{"path", "direct"}, {"reason", "pool_exhausted"}}),
            1u);
  // Other backends are not affected.
  EchoServer other(dispatcher_->base());
  Recorder third;
  connect(*c, direct(other.port()), third);
  EXPECT_TRUE(third.conn);
}

// The cap holds across connectors (one per worker): a slot freed by one wakes
// a waiter of another within ConnectionLimit::kRetryInterval.
TEST_F(ConnectorTest, MaxActiveConnectionsHoldsAcrossConnectors) {
  EchoServer echo(dispatcher_->base());
  ConnectorOptions options;
  options.max_active_per_key = 1;
  ConnectorPtr worker1 = make(options);
  ConnectorPtr worker2 = make(options);
  Recorder first;
  connect(*worker1, direct(echo.port()), first);
  ASSERT_TRUE(first.conn);
  Recorder second;
  ConnectHandlePtr h = worker2->connect(direct(echo.port()), second);
  runFor(milliseconds(60));
  EXPECT_EQ(second.calls, 0) << "the other worker's connection counts against the cap";
  worker1->release(std::move(first.conn), /*reusable=*/false);
  ASSERT_TRUE(runUntil([&] { return second.calls > 0; }, milliseconds(1000)));
  EXPECT_TRUE(second.conn);
}

TEST_F(ConnectorTest, AbandonWhileQueuedNamesTheLimit) {
  EchoServer echo(dispatcher_->base());
  ConnectorOptions options;
  options.max_active_per_key = 1;
  ConnectorPtr c = make(options);
  Recorder first;
  connect(*c, direct(echo.port()), first);
  Recorder second;
  ConnectHandlePtr h = c->connect(direct(echo.port()), second);
  runFor(milliseconds(20));
  const ConnectFailure f = h->abandon(milliseconds(20), "advanceEndpointConfig.timeoutInMillis");
  h.reset();
  EXPECT_NE(f.detail.find("maxActiveConnections"), std::string::npos) << f.detail;
  // The queue entry is gone: releasing wakes nobody, and nothing crashes.
  c->release(std::move(first.conn), true);
  runFor(milliseconds(20));
  EXPECT_EQ(second.calls, 0);
}

class ConnectorTlsPoolTest : public ConnectorTest {
 protected:
  ConnectorTlsPoolTest()
      : pki_(testing::makeTestPki("microgw test CA", "DNS:localhost,IP:127.0.0.1")),
        ca_file_(testing::writeTempFile("ca.pem", pki_.ca_pem)),
        backend_(dispatcher_->base(), pki_.server_ctx.get()) {}

  ConnectRequest tlsRequest() {
    ConnectRequest r;
    r.target = {"https", "localhost", backend_.port()};
    return r;
  }
  ConnectorOptions options() {
    ConnectorOptions o;
    o.tls.trust_store_path = ca_file_;
    return o;
  }

  testing::TestPki pki_;
  std::string ca_file_;
  EchoServer backend_;
};

// Regression (issue 6): a TLS connection released with bytes still waiting was
// pooled (and handed out again: stillOpen() let any TLS bytes through).
TEST_F(ConnectorTlsPoolTest, DecryptedBytesWaitingAreNotPooled) {
  ConnectorPtr c = make(options());
  Recorder rec;
  connect(*c, tlsRequest(), rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  bufferevent_write(rec.conn->bev(), "late", 4);  // echoed back: 4 unread bytes
  ASSERT_TRUE(
      runUntil([&] { return evbuffer_get_length(bufferevent_get_input(rec.conn->bev())) >= 4; }));
  c->release(std::move(rec.conn), true);
  EXPECT_EQ(active(), 0) << "a connection with unread bytes must be closed, not pooled";
}

TEST_F(ConnectorTlsPoolTest, CiphertextWaitingIsNotPooled) {
  ConnectorPtr c = make(options());
  Recorder rec;
  connect(*c, tlsRequest(), rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  bufferevent* tls = rec.conn->bev();
  ASSERT_NE(bufferevent_openssl_get_ssl(tls), nullptr);
  bufferevent* raw = bufferevent_get_underlying(tls);
  if (raw == nullptr) raw = tls;  // TLS straight on the socket (no filter layer)
  // One round trip first, so that the server's TLS 1.3 session tickets are
  // read: the only bytes left in the socket below are then the echo.
  EXPECT_EQ(roundTrip(rec, "warm"), "warm");
  bufferevent_write(tls, "late", 4);
  ASSERT_TRUE(runUntil([&] {
    return evbuffer_get_length(bufferevent_get_output(raw)) == 0 &&
           evbuffer_get_length(bufferevent_get_output(tls)) == 0;
  }));
  // Stop the TLS filter from reading: the echo stays encrypted, in the
  // underlying buffer or in the socket.
  bufferevent_disable(tls, EV_READ);
  bufferevent_disable(raw, EV_READ);
  // The echo server runs on this dispatcher: keep the loop turning until
  // its answer is in the socket.
  ASSERT_TRUE(runUntil([&] {
    pollfd p{bufferevent_getfd(raw), POLLIN, 0};
    return poll(&p, 1, 0) == 1;
  }));
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_input(tls)), 0u);
  c->release(std::move(rec.conn), true);
  // release() checks only the buffers (no syscall per request); take()
  // probes the socket, so the connection is never handed out again.
  Recorder again;
  connect(*c, tlsRequest(), again);
  ASSERT_TRUE(again.conn) << again.failure->detail;
  EXPECT_FALSE(again.conn->reused()) << "a TLS connection with undecrypted bytes was reused";
}

// Forward (absolute-form) mode: the proxy's own answers become failures, and
// count as the CONNECT refusals do; the backend's answers pass.
TEST_F(ConnectorTest, ForwardModeProxyAnswerIsAFailure) {
  FakeProxy proxy(dispatcher_->base());
  proxy.mode = FakeProxy::Mode::Forward;
  ConnectorPtr c = make();
  Recorder rec;
  ConnectRequest req = viaProxy(proxy, "http", "backend.test", 8080);
  req.proxy->connect_for_http = false;
  connect(*c, req, rec);
  ASSERT_TRUE(rec.conn);
  std::map<std::string, std::string> squid407 = {{"server", "squid/5.7"},
                                                 {"x-squid-error", "ERR_CACHE_ACCESS_DENIED 0"},
                                                 {"proxy-authenticate", "Basic realm=\"corp\""}};
  auto lookup = [](const std::map<std::string, std::string>& m) {
    return [&m](const std::string& name) {
      auto it = m.find(name);
      return it == m.end() ? std::string() : it->second;
    };
  };
  std::optional<ConnectFailure> f = c->proxyAnswered(*rec.conn, 407, lookup(squid407));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->reason, FailureReason::ProxyAuth);
  EXPECT_EQ(f->http_status, 502);
  EXPECT_EQ(f->message, "proxy authentication failed");
  EXPECT_EQ(counter("microgw_proxy_tunnel_failures_total", {{"reason", "auth"}}), 1u);
  EXPECT_EQ(
      counter("microgw_upstream_connect_failures_total", {{"path", "proxy"}, {"reason", "auth"}}),
      1u);
  std::map<std::string, std::string> relayed = {{"server", "nginx"},
                                                {"via", "1.1 proxy (squid/5.7)"}};
  EXPECT_FALSE(c->proxyAnswered(*rec.conn, 503, lookup(relayed)).has_value());
}

// A TLS server on a blocking socket in a thread of its own: one handshake,
// then, when asked, raw bytes below TLS (a partial record), then it waits.
class RawTlsServer {
 public:
  explicit RawTlsServer(SSL_CTX* ctx) : ctx_(ctx), listener_(4) {
    acceptor_ = std::thread([this] { acceptLoop(); });
  }
  ~RawTlsServer() {
    stop_ = true;
    shutdown(listener_.fd(), SHUT_RDWR);
    acceptor_.join();
    for (std::thread& t : handlers_) t.join();
  }
  uint16_t port() const { return listener_.port(); }
  // The first connection sends the first bytes of a record header, not a whole record.
  void sendRaw() { send_ = true; }

 private:
  void acceptLoop() {
    for (int n = 0; !stop_; ++n) {
      const int fd = listener_.accept();
      if (fd < 0) return;
      handlers_.emplace_back([this, fd, n] { serve(fd, n == 0); });
    }
  }
  void serve(int fd, bool first) {
    SSL* ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      while (first && !send_ && !stop_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (first && send_) ::send(fd, "\x17\x03\x03", 3, MSG_NOSIGNAL);
      while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    SSL_free(ssl);
    close(fd);
  }

  SSL_CTX* ctx_;
  gw::testing::LoopbackListener listener_;
  std::atomic<bool> send_{false}, stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> handlers_;  // touched by acceptor_ only until it is joined
};

// Regression (issue 6): bytes that reach an idle TLS connection but make no
// whole record wake nobody in the pool (no plaintext, no EOF); take() used to
// let any TLS connection through, and would hand this one out.
TEST_F(ConnectorTlsPoolTest, IdleConnectionWithPartialRecordIsNotReused) {
  RawTlsServer server(pki_.server_ctx.get());
  ConnectorPtr c = make(options());
  ConnectRequest req;
  req.target = {"https", "localhost", server.port()};
  Recorder rec;
  connect(*c, req, rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  runFor(milliseconds(50));  // session tickets and the like are read and processed
  bufferevent* below = bufferevent_get_underlying(rec.conn->bev());
  const int fd = bufferevent_getfd(below != nullptr ? below : rec.conn->bev());
  ASSERT_GE(fd, 0);
  c->release(std::move(rec.conn), true);
  ASSERT_EQ(active(), 1) << "a clean connection is pooled";
  server.sendRaw();
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1);
  runFor(milliseconds(30));  // the idle connection's TLS layer pulls the bytes in
  ASSERT_EQ(active(), 1) << "a partial record does not close the idle connection by itself";
  Recorder again;
  connect(*c, req, again);
  ASSERT_TRUE(again.conn) << again.failure->detail;
  EXPECT_FALSE(again.conn->reused()) << "an idle TLS connection with bytes waiting was reused";
}

}  // namespace
}  // namespace gw::proxy
