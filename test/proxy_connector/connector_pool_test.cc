// Pooling: reuse per key, idle timeout, eviction on peer close / unexpected bytes.

#include <event2/bufferevent.h>
#include <poll.h>
#include <unistd.h>

#include <vector>

#include "test/mocks/loopback_listener.h"
#include "test/proxy_connector/connector_test_util.h"

namespace gw::proxy {
namespace {

TEST_F(ConnectorTest, PooledTunnelIsReused) {
  EchoServer echo(dispatcher_->base());
  FakeProxy proxy(dispatcher_->base());
  proxy.upstream_port = echo.port();
  ConnectorPtr c = make();
  Recorder first;
  connect(*c, viaProxy(proxy, "http", "b", 80), first);
  ASSERT_TRUE(first.conn);
  EXPECT_EQ(roundTrip(first, "one"), "one");
  const evutil_socket_t fd = bufferevent_getfd(first.conn->bev());
  c->release(std::move(first.conn), true);
  EXPECT_EQ(active(), 1);

  Recorder second;
  connect(*c, viaProxy(proxy, "http", "b", 80), second);
  ASSERT_TRUE(second.conn);
  EXPECT_TRUE(second.conn->reused());
  EXPECT_EQ(bufferevent_getfd(second.conn->bev()), fd);
  EXPECT_EQ(roundTrip(second, "two"), "two");
  EXPECT_EQ(proxy.accepted(), 1);
  EXPECT_EQ(echo.accepted(), 1);
  EXPECT_EQ(counter("microgw_proxy_tunnels_total", {{"result", "reused"}}), 1u);
  EXPECT_EQ(
      counter("microgw_upstream_connections_total", {{"path", "proxy"}, {"result", "reused"}}), 1u);
  EXPECT_EQ(
      counter("microgw_upstream_connections_total", {{"path", "proxy"}, {"result", "opened"}}), 1u);
}

TEST_F(ConnectorTest, DifferentCredentialsAreDifferentKeys) {
  EchoServer echo(dispatcher_->base());
  FakeProxy proxy(dispatcher_->base());
  proxy.upstream_port = echo.port();
  ConnectorPtr c = make();
  Recorder first;
  connect(*c, viaProxy(proxy, "http", "b", 80), first);
  ASSERT_TRUE(first.conn);
  c->release(std::move(first.conn), true);
  Recorder second;
  connect(*c, viaProxy(proxy, "http", "b", 80, "another-password"), second);
  ASSERT_TRUE(second.conn);
  EXPECT_FALSE(second.conn->reused());
  EXPECT_EQ(proxy.accepted(), 2);
}

TEST_F(ConnectorTest, IdleTimeoutCloses) {
  EchoServer echo(dispatcher_->base());
  ConnectorOptions options;
  options.pool_idle_timeout = milliseconds(80);
  ConnectorPtr c = make(options);
  ConnectRequest req = direct(echo.port());
  Recorder first;
  connect(*c, req, first);
  ASSERT_TRUE(first.conn);
  c->release(std::move(first.conn), true);
  EXPECT_EQ(active(), 1);
  EXPECT_TRUE(runUntil([&] { return active() == 0; }, milliseconds(2000)));
  Recorder second;
  connect(*c, req, second);
  ASSERT_TRUE(second.conn);
  EXPECT_FALSE(second.conn->reused());
}

TEST_F(ConnectorTest, PeerCloseEvictsIdleConnection) {
  EchoServer echo(dispatcher_->base());
  ConnectorPtr c = make();
  ConnectRequest req = direct(echo.port());
  Recorder first;
  connect(*c, req, first);
  ASSERT_TRUE(first.conn);
  ASSERT_TRUE(runUntil([&] { return echo.open() == 1; }));
  c->release(std::move(first.conn), true);
  echo.closeAll();
  EXPECT_TRUE(runUntil([&] { return active() == 0; }, milliseconds(2000)));
  Recorder second;
  connect(*c, req, second);
  ASSERT_TRUE(second.conn);
  EXPECT_FALSE(second.conn->reused());
  EXPECT_EQ(echo.accepted(), 2);
}

// A caller that sends its request again on a fresh connection
// (retries_if_stale) gets an idle connection without a recv() probe, so one
// whose peer closed a moment ago, before the event loop saw it, is handed out
// (the caller's retry covers it). Any other caller gets the probe, and a fresh
// connection.
TEST_F(ConnectorTest, SocketProbeOnlyForCallersThatCannotRetry) {
  // A bare listening socket: the test closes the backend's end itself, at once.
  gw::testing::LoopbackListener listener;
  ConnectorPtr c = make();
  ConnectRequest req = direct(listener.port());
  for (const bool retries : {false, true}) {
    SCOPED_TRACE(retries ? "retries_if_stale" : "cannot retry");
    Recorder first;
    connect(*c, req, first);
    ASSERT_TRUE(first.conn);
    const int backend_end = listener.accept();
    ASSERT_GE(backend_end, 0);
    const evutil_socket_t fd = bufferevent_getfd(first.conn->bev());
    c->release(std::move(first.conn), true);
    close(backend_end);
    // The FIN waits in the socket; the loop has not run since, so the pool's
    // idle watch has not seen it.
    pollfd p{fd, POLLRDHUP, 0};
    ASSERT_EQ(poll(&p, 1, 2000), 1);
    ConnectRequest again = req;
    again.retries_if_stale = retries;
    Recorder second;
    connect(*c, again, second);
    ASSERT_TRUE(second.conn);
    EXPECT_EQ(second.conn->reused(), retries);
    c->release(std::move(second.conn), false);
    if (!retries) close(listener.accept());
    ASSERT_TRUE(runUntil([&] { return active() == 0; }));
  }
}

TEST_F(ConnectorTest, UnexpectedBytesWhileIdleEvict) {
  EchoServer echo(dispatcher_->base());
  ConnectorPtr c = make();
  ConnectRequest req = direct(echo.port());
  Recorder first;
  connect(*c, req, first);
  ASSERT_TRUE(first.conn);
  bufferevent_write(first.conn->bev(), "x", 1);  // the echo arrives after release
  c->release(std::move(first.conn), true);
  EXPECT_TRUE(runUntil([&] { return active() == 0; }, milliseconds(2000)));
}

TEST_F(ConnectorTest, NotReusableAndPoolLimit) {
  EchoServer echo(dispatcher_->base());
  ConnectorOptions options;
  options.max_idle_per_key = 1;
  options.surplus_idle_linger = milliseconds(50);
  ConnectorPtr c = make(options);
  ConnectRequest req = direct(echo.port());
  Recorder a, b, d;
  connect(*c, req, a);
  connect(*c, req, b);
  connect(*c, req, d);
  ASSERT_TRUE(a.conn && b.conn && d.conn);
  EXPECT_EQ(active(), 3);
  c->release(std::move(a.conn), false);
  EXPECT_EQ(active(), 2);
  c->release(std::move(b.conn), true);
  c->release(std::move(d.conn), true);  // over max_idle_per_key: kept for the linger only
  EXPECT_EQ(active(), 2);
  runFor(milliseconds(150));
  EXPECT_EQ(active(), 1);  // back to max_idle_per_key
}

// A burst with more requests in flight than max_idle_per_key: connections
// released over the cap serve the next requests instead of being closed and
// opened again.
TEST_F(ConnectorTest, ConnectionsOverTheIdleCapAreReusedWithinTheLinger) {
  EchoServer echo(dispatcher_->base());
  ConnectorOptions options;
  options.max_idle_per_key = 1;
  options.surplus_idle_linger = milliseconds(2000);
  ConnectorPtr c = make(options);
  ConnectRequest req = direct(echo.port());
  Recorder r[4];
  for (Recorder& x : r) connect(*c, req, x);
  for (Recorder& x : r) {
    ASSERT_TRUE(x.conn);
    c->release(std::move(x.conn), true);
  }
  EXPECT_EQ(active(), 4);
  Recorder again[4];
  for (Recorder& x : again) {
    connect(*c, req, x);
    ASSERT_TRUE(x.conn);
    EXPECT_TRUE(x.conn->reused());
  }
  EXPECT_EQ(active(), 4);
}

TEST_F(ConnectorTest, ConnectorDestructionClosesIdleConnections) {
  EchoServer echo(dispatcher_->base());
  ConnectorPtr c = make();
  ConnectRequest req = direct(echo.port());
  Recorder a;
  connect(*c, req, a);
  ASSERT_TRUE(a.conn);
  c->release(std::move(a.conn), true);
  c.reset();
  runFor(milliseconds(10));
  EXPECT_EQ(active(), 0);
}

// Connects served from the pool are delivered later in the loop pass, in the
// order they were made, from one queue: a handle destroyed by an earlier
// callback gets no callback, and a connect made inside a callback is
// delivered too (on a later activation), never inline.
TEST_F(ConnectorTest, PooledConnectsAreDeliveredInOrderAndCancellable) {
  EchoServer echo(dispatcher_->base());
  ConnectorPtr c = make();
  ConnectRequest req = direct(echo.port());
  Recorder warm[4];
  for (Recorder& w : warm) connect(*c, req, w);
  for (Recorder& w : warm) c->release(std::move(w.conn), true);

  std::vector<char> order;
  struct Ordered : Recorder {
    Ordered(std::vector<char>& o, char n) : order(o), name(n) {}
    void onConnected(UpstreamConnectionPtr conn) override {
      order.push_back(name);
      Recorder::onConnected(std::move(conn));
      if (then) then();
    }
    std::vector<char>& order;
    char name;
    std::function<void()> then;
  };
  Ordered x(order, 'x'), y(order, 'y'), z(order, 'z'), later(order, 'l');
  ConnectHandlePtr hx = c->connect(req, x);
  ConnectHandlePtr hy = c->connect(req, y);
  ConnectHandlePtr hz = c->connect(req, z);
  ConnectHandlePtr hl;
  x.then = [&] {
    hz.reset();  // queued behind x and y: cancelled, no callback
    hl = c->connect(req, later);
    EXPECT_EQ(later.calls, 0) << "callback ran inline from connect()";
  };
  EXPECT_TRUE(order.empty());
  ASSERT_TRUE(runUntil([&] { return later.calls > 0; }));
  runFor(milliseconds(20));
  EXPECT_EQ(order, (std::vector<char>{'x', 'y', 'l'}));
  EXPECT_EQ(z.calls, 0);
}

}  // namespace
}  // namespace gw::proxy
