#include "proxy_connector/http2_pool.h"

#include "test/proxy_connector/connector_test_util.h"

namespace gw::proxy {
namespace {

using Http2PoolTest = ConnectorTest;

ConnectRequest httpsTarget(uint16_t port) {
  ConnectRequest r;
  r.target = Target{"https", "127.0.0.1", port};
  r.offer_http2 = true;
  return r;
}

// existing() only looks: a request that checks for a pooled HTTP/2
// connection (the router and HttpClient, for every https request) must not
// build a pool per request.
TEST_F(Http2PoolTest, ExistingNeverMakesAPool) {
  ConnectorPtr connector = make();
  EXPECT_EQ(Http2Pool::existing(*dispatcher_, *connector), nullptr);
  EXPECT_EQ(Http2Pool::existing(*dispatcher_, *connector), nullptr);
  Http2Pool& pool = Http2Pool::forWorker(*dispatcher_, *connector, 1000);
  EXPECT_EQ(Http2Pool::existing(*dispatcher_, *connector), &pool);
  // An empty pool has nothing to hand out, and builds no key to say so.
  EXPECT_EQ(pool.ready(httpsTarget(443)), nullptr);
  EXPECT_EQ(pool.connectionCount(), 0u);
}

TEST_F(Http2PoolTest, OnePoolPerDispatcherAndConnector) {
  ConnectorPtr a = make();
  ConnectorPtr b = make();
  Http2Pool& pa = Http2Pool::forWorker(*dispatcher_, *a, 1000);
  EXPECT_EQ(&Http2Pool::forWorker(*dispatcher_, *a, 1000), &pa);
  EXPECT_EQ(Http2Pool::existing(*dispatcher_, *b), nullptr);
}

// A connector's destructor takes its pool with it: a connector made later at
// the same address (an internal service restarted on the same thread) must
// not find the old pool and its connections.
TEST_F(Http2PoolTest, DestroyedConnectorTakesItsPool) {
  ConnectorPtr gone = make();
  Http2Pool::forWorker(*dispatcher_, *gone, 1000);
  gone.reset();
  ConnectorPtr next = make();  // likely at the same address
  EXPECT_EQ(Http2Pool::existing(*dispatcher_, *next), nullptr);
}

}  // namespace
}  // namespace gw::proxy
