// The router's HTTP/2 upstream: requests become streams on a pooled
// connection (the test's nghttp2 server session plays the backend on the
// fake connector's bufferevent pair).

#include "test/gateway/http/fake_h2_server.h"
#include "test/gateway/router/router_filter_test_fixture.h"

namespace gw::router {
namespace {

using http::test::FakeH2Server;

class RouterHttp2Test : public RouterFilterTest {
 protected:
  RouterHttp2Test() {
    http2_ = true;
    useApi({url("backend.internal", 8080, "/api/v3")});
  }

  void TearDown() override {
    RouterFilterTest::TearDown();
    // The backend hangs up, so the pool drops its connections before the
    // dispatcher and the connector go.
    for (size_t i = 0; i < connector_.peers.size(); ++i) backendClose(i);
    pump(50);
  }

  // Moves bytes between connection `i` and `server` until both are quiet.
  void exchange(FakeH2Server& server, size_t i = 0) {
    int quiet = 0;
    for (int round = 0; round < 200 && quiet < 3; ++round) {
      std::string up = i < connector_.peers.size() ? upstreamBytes(i) : std::string();
      if (!up.empty()) server.recv(up);
      std::string down = server.send();
      if (!down.empty()) backendWrite(down, i);
      quiet = up.empty() && down.empty() ? quiet + 1 : 0;
    }
  }
};

TEST_F(RouterHttp2Test, RequestBecomesAStreamAndTrailersPassThrough) {
  start("GET", "/petstore/v1/pets?limit=2", {{"X-Trace", "t1"}});
  pumpUntil([&] { return !connector_.peers.empty(); });
  FakeH2Server server;
  exchange(server);
  ASSERT_EQ(server.requests.count(1), 1u);
  auto& req = server.requests[1];
  EXPECT_EQ(req.headers[":method"], "GET");
  EXPECT_EQ(req.headers[":path"], "/api/v3/pets?limit=2");
  EXPECT_EQ(req.headers[":authority"], "backend.internal:8080");
  EXPECT_EQ(req.headers["x-trace"], "t1");
  EXPECT_EQ(req.headers.count("host"), 0u);
  server.respond(1, {{":status", "200"}, {"content-type", "text/plain"}}, "pets",
                 {{"x-checksum", "7"}});
  exchange(server);
  ASSERT_TRUE(cb_.response);
  EXPECT_EQ(cb_.response->status, 200);
  EXPECT_EQ(cb_.body, "pets");
  ASSERT_TRUE(cb_.trailers);
  EXPECT_EQ(*cb_.trailers->get("x-checksum"), "7");
  EXPECT_TRUE(cb_.ended);
  EXPECT_NE(cb_.upstream.find("(h2)"), std::string::npos) << cb_.upstream;
}

TEST_F(RouterHttp2Test, SecondRequestSharesTheConnection) {
  start("GET", "/petstore/v1/pets");
  pumpUntil([&] { return !connector_.peers.empty(); });
  FakeH2Server server;
  exchange(server);
  // A second request while the first is open: a stream on the same connection.
  FakeCallbacks cb2{*dispatcher_, connector_, store_};
  RouteMatch match2 = table_->match("GET", "/petstore/v1/pets/1");
  cb2.route_ = &match2;
  auto filter2 = std::make_unique<RouterFilter>(config_);
  filter2->setDecoderFilterCallbacks(cb2);
  http::RequestHeaders req2;
  req2.method = "GET";
  req2.path = "/petstore/v1/pets/1";
  filter2->decodeHeaders(req2, true);
  exchange(server);
  EXPECT_EQ(connector_.requests.size(), 1u);
  ASSERT_EQ(server.requests.count(3), 1u);
  EXPECT_EQ(server.requests[3].headers[":path"], "/api/v3/pets/1");
  server.respond(3, {{":status", "200"}}, "one");
  server.respond(1, {{":status", "200"}}, "all");
  exchange(server);
  EXPECT_EQ(cb_.body, "all");
  EXPECT_EQ(cb2.body, "one");
  filter2->onDestroy();
}

TEST_F(RouterHttp2Test, BackendResetIs502) {
  start("GET", "/petstore/v1/pets");
  pumpUntil([&] { return !connector_.peers.empty(); });
  FakeH2Server server;
  exchange(server);
  server.rst(1, NGHTTP2_INTERNAL_ERROR);
  exchange(server);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 502);
  EXPECT_EQ(cb_.local_replies[0].message, "Upstream stream reset");
  EXPECT_NE(cb_.local_replies[0].description.find("INTERNAL_ERROR"), std::string::npos)
      << cb_.local_replies[0].description;
}

TEST_F(RouterHttp2Test, GoawayRefusedIdempotentRequestGoesToANewConnection) {
  start("GET", "/petstore/v1/pets");
  pumpUntil([&] { return !connector_.peers.empty(); });
  FakeH2Server first;
  exchange(first);
  first.goaway(0);  // stream 1 was never processed
  exchange(first);
  pumpUntil([&] { return connector_.peers.size() == 2; });
  ASSERT_EQ(connector_.requests.size(), 2u);
  FakeH2Server second;
  exchange(second, 1);
  ASSERT_EQ(second.requests.count(1), 1u);
  second.respond(1, {{":status", "200"}}, "again");
  exchange(second, 1);
  EXPECT_TRUE(cb_.local_replies.empty());
  EXPECT_EQ(cb_.body, "again");
}

TEST_F(RouterHttp2Test, GoawayRefusedPostIs502) {
  start("POST", "/petstore/v1/pets", {{"Content-Length", "2"}}, false);
  pumpUntil([&] { return !connector_.peers.empty(); });
  std::string body = "{}";
  filter_->decodeData(body, true);
  FakeH2Server server;
  exchange(server);
  EXPECT_EQ(server.requests[1].body, "{}");
  server.goaway(0);
  exchange(server);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 502);
  EXPECT_NE(cb_.local_replies[0].description.find("GOAWAY"), std::string::npos)
      << cb_.local_replies[0].description;
}

TEST_F(RouterHttp2Test, EarlyResponseEndsTheUpload) {
  start("POST", "/petstore/v1/pets", {{"Content-Length", "100"}}, false);
  pumpUntil([&] { return !connector_.peers.empty(); });
  std::string part = "partial";
  filter_->decodeData(part, false);
  FakeH2Server server;
  exchange(server);
  server.respond(1, {{":status", "413"}}, "too big");
  exchange(server);
  EXPECT_EQ(cb_.response->status, 413);
  EXPECT_TRUE(cb_.ended);
  // The stream is cancelled rather than left half open on the shared connection.
  EXPECT_TRUE(server.requests[1].reset);
}

// gRPC servers refuse a call without "te: trailers": TE is hop-by-hop, but
// that one value goes on to an HTTP/2 backend. A trailers-only answer (one
// HEADERS with END_STREAM, carrying grpc-status) ends the client's stream
// with those headers, not with a DATA frame after them.
TEST_F(RouterHttp2Test, GrpcCallKeepsTeTrailersAndATrailersOnlyAnswer) {
  start("POST", "/petstore/v1/pets",
        {{"Content-Type", "application/grpc"}, {"TE", "trailers"}, {"Content-Length", "5"}}, false);
  std::string message("\0\0\0\0\0", 5);
  filter_->decodeData(message, true);
  pumpUntil([&] { return !connector_.peers.empty(); });
  FakeH2Server server;
  exchange(server);
  ASSERT_EQ(server.requests.count(1), 1u);
  EXPECT_EQ(server.requests[1].headers["te"], "trailers");
  server.headersOnly(
      1, {{":status", "200"}, {"content-type", "application/grpc"}, {"grpc-status", "5"}}, true);
  exchange(server);
  ASSERT_TRUE(cb_.response);
  EXPECT_EQ(*cb_.response->headers.get("grpc-status"), "5");
  EXPECT_TRUE(cb_.headers_ended);
  EXPECT_EQ(cb_.encode_headers_calls, 1);
}

TEST_F(RouterHttp2Test, TeOtherThanTrailersIsNotForwarded) {
  start("GET", "/petstore/v1/pets", {{"TE", "gzip"}});
  pumpUntil([&] { return !connector_.peers.empty(); });
  FakeH2Server server;
  exchange(server);
  ASSERT_EQ(server.requests.count(1), 1u);
  EXPECT_EQ(server.requests[1].headers.count("te"), 0u);
}

// gRPC needs HTTP/2 to the backend: an h2c endpoint without prior knowledge
// is HTTP/1.1, so the call is refused (501) and no connection is made.
using RouterGrpcTest = RouterFilterTest;

TEST_F(RouterGrpcTest, CallToAnHttp1EndpointIsRefused) {
  start("POST", "/petstore/v1/pets", {{"Content-Type", "application/grpc+proto"}});
  pump();
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 501);
  EXPECT_NE(cb_.local_replies[0].description.find("http2: prior-knowledge"), std::string::npos)
      << cb_.local_replies[0].description;
  EXPECT_TRUE(connector_.requests.empty());
}

}  // namespace
}  // namespace gw::router
