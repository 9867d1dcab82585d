// The router and etcd service discovery: an endpoint written
// etcd(<key>, <defaultUrl>) goes where the discovery store says, per request.

#include "gateway/discovery/endpoint_store.h"
#include "test/gateway/router/router_filter_test_fixture.h"

namespace gw::router {
namespace {

class RouterDiscoveryTest : public RouterFilterTest {
 protected:
  RouterDiscoveryTest() {
    conf::EndpointUrl fallback = url("default.internal", 8080, "/api");
    fallback.etcd_key = "petstore";
    useApi({fallback});
    config_->discovery = &discovered_;
  }

  void discover(std::string host, uint16_t port, std::string base_path) {
    auto u =
        std::make_shared<const conf::EndpointUrl>(url(std::move(host), port, std::move(base_path)));
    discovered_.publish(std::make_shared<const discovery::DiscoveredUrls>(
        discovery::DiscoveredUrls{{"petstore", u}}));
  }

  // Sends GET /petstore/v1/pets and answers it; returns the upstream head.
  Head roundTrip() {
    start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
    Head h = upstreamHead(connector_.requests.size() - 1);
    backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", connector_.requests.size() - 1);
    filter_->onDestroy();
    filter_.reset();
    return h;
  }

  discovery::EndpointStore discovered_;
};

TEST_F(RouterDiscoveryTest, DefaultUrlUntilEtcdGivesOne) {
  Head h = roundTrip();
  ASSERT_EQ(connector_.requests.size(), 1u);
  EXPECT_EQ(connector_.requests[0].target.host, "default.internal");
  EXPECT_EQ(h.request_line, "GET /api/pets HTTP/1.1");
}

TEST_F(RouterDiscoveryTest, EachRequestGoesToTheCurrentUrl) {
  discover("a.internal", 9001, "/v1");
  Head first = roundTrip();
  EXPECT_EQ(connector_.requests[0].target.host, "a.internal");
  EXPECT_EQ(connector_.requests[0].target.port, 9001);
  EXPECT_EQ(first.request_line, "GET /v1/pets HTTP/1.1");
  EXPECT_EQ(first.get("Host"), "a.internal:9001");

  discover("b.internal", 9002, "");  // the key changed: no restart, the next request moves
  Head second = roundTrip();
  EXPECT_EQ(connector_.requests[1].target.host, "b.internal");
  EXPECT_EQ(second.request_line, "GET /pets HTTP/1.1");

  discovered_.publish(nullptr);  // the key was deleted: back to the default URL
  roundTrip();
  EXPECT_EQ(connector_.requests[2].target.host, "default.internal");
}

TEST_F(RouterDiscoveryTest, ARequestInFlightKeepsItsUrl) {
  discover("a.internal", 9001, "/v1");
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  discover("b.internal", 9002, "/v2");  // published while the request waits for its backend
  Head h = upstreamHead();
  EXPECT_EQ(h.request_line, "GET /v1/pets HTTP/1.1");
  EXPECT_EQ(h.get("Host"), "a.internal:9001");
}

TEST_F(RouterDiscoveryTest, WithoutAStoreTheDefaultServes) {
  config_->discovery = nullptr;
  discover("a.internal", 9001, "/v1");
  roundTrip();
  EXPECT_EQ(connector_.requests[0].target.host, "default.internal");
}

}  // namespace
}  // namespace gw::router
