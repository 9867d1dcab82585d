// Router filter: what it refuses or filters from either side (issue 6):
// trailers, response header names, status codes, Connection options.

#include "test/gateway/router/router_filter_test_fixture.h"

namespace gw::router {
namespace {

using RouterHardeningTest = RouterFilterTest;

// Clears what the callbacks recorded, for the next request of a table test.
void forget(FakeCallbacks& cb) {
  cb.local_replies.clear();
  cb.encode_headers_calls = 0;
  cb.response.reset();
  cb.body.clear();
  cb.ended = false;
  cb.trailers.reset();
}

// --- trailers ------------------------------------------------------------------

TEST_F(RouterHardeningTest, RequestTrailersGetTheHeaderRulesAndRfc9110Rules) {
  start("POST", "/petstore/v1/pets",
        {{"Host", "gw"}, {"Transfer-Encoding", "chunked"}, {"Connection", "X-Hop-Trailer"}}, false);
  Head h = upstreamHead();
  http::HeaderMap trailers;
  for (const char* name :
       {"Proxy-Authorization", "X-Forwarded-For", "X-Forwarded-Proto", "Host", "Content-Length",
        "Transfer-Encoding", "Authorization", "Cookie", "Cache-Control", "Expect", "Max-Forwards",
        "TE", "Trailer", "Connection", "Keep-Alive", "X-Request-Id", "X-Hop-Trailer"}) {
    trailers.add(name, "x");
  }
  trailers.add("X-Checksum", "900150983cd24fb0");
  filter_->decodeTrailers(trailers);
  EXPECT_EQ(h.rest + upstreamBytes(), "0\r\nX-Checksum: 900150983cd24fb0\r\n\r\n");
}

TEST_F(RouterHardeningTest, ResponseTrailersFilteredAndBadNamesDropped) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: X-Hop\r\n\r\n"
      "2\r\nok\r\n0\r\n"
      "Set-Cookie: s=1\r\nContent-Length: 9\r\nX-Forwarded-For: 1.2.3.4\r\n"
      "WWW-Authenticate: Basic\r\nX-Hop: 1\r\nTransfer-Encoding : chunked\r\n"
      "X-Checksum: abc\r\n\r\n");
  EXPECT_TRUE(cb_.local_replies.empty());
  ASSERT_TRUE(cb_.trailers.has_value());
  ASSERT_EQ(cb_.trailers->size(), 1u);
  EXPECT_EQ(*cb_.trailers->get("X-Checksum"), "abc");
  EXPECT_EQ(cb_.body, "ok");
  EXPECT_TRUE(cb_.ended);
}

TEST_F(RouterHardeningTest, ResponseWhoseTrailersAreAllDroppedEndsWithData) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nHost: evil\r\n\r\n");
  EXPECT_FALSE(cb_.trailers.has_value());
  EXPECT_TRUE(cb_.ended);
}

// --- response head ----------------------------------------------------------------

TEST_F(RouterHardeningTest, ResponseHeaderNameWithSpaceIs502NamingTheBackend) {
  for (const char* head :
       {"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n"}) {
    SCOPED_TRACE(head);
    forget(cb_);
    start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
    upstreamHead(connector_.peers.size());
    backendWrite(head, connector_.peers.size() - 1);
    EXPECT_EQ(cb_.encode_headers_calls, 0);
    ASSERT_EQ(cb_.local_replies.size(), 1u);
    EXPECT_EQ(cb_.local_replies[0].status, 502);
    EXPECT_NE(cb_.local_replies[0].description.find("http://backend.internal:8080/api/v3"),
              std::string::npos)
        << cb_.local_replies[0].description;
    EXPECT_NE(cb_.local_replies[0].description.find("not a token"), std::string::npos)
        << cb_.local_replies[0].description;
    EXPECT_EQ(connector_.released.back(), false);
    filter_->onDestroy();
    filter_.reset();
  }
}

TEST_F(RouterHardeningTest, StatusOutside100To599Is502) {
  for (const char* status : {"000", "20", "600", "999", "099"}) {
    SCOPED_TRACE(status);
    forget(cb_);
    start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
    upstreamHead(connector_.peers.size());
    backendWrite(gw::cat("HTTP/1.1 ", status, " Weird\r\nContent-Length: 0\r\n\r\n"),
                 connector_.peers.size() - 1);
    EXPECT_EQ(cb_.encode_headers_calls, 0);
    ASSERT_EQ(cb_.local_replies.size(), 1u);
    EXPECT_EQ(cb_.local_replies[0].status, 502);
    filter_->onDestroy();
    filter_.reset();
  }
}

TEST_F(RouterHardeningTest, StatusesAtTheEdgesPass) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("HTTP/1.1 599 Edge\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(cb_.response.has_value());
  EXPECT_EQ(cb_.response->status, 599);
  EXPECT_TRUE(cb_.local_replies.empty());
}

TEST_F(RouterHardeningTest, NoContentAndNotModifiedLoseContentLength) {
  for (const char* status : {"204", "304"}) {
    SCOPED_TRACE(status);
    forget(cb_);
    start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
    upstreamHead(connector_.peers.size());
    backendWrite(gw::cat("HTTP/1.1 ", status, " X\r\nContent-Length: 5\r\nETag: \"a\"\r\n\r\n"),
                 connector_.peers.size() - 1);
    EXPECT_EQ(responseHeader("Content-Length"), "<absent>");
    EXPECT_EQ(responseHeader("ETag"), "\"a\"");
    EXPECT_EQ(cb_.body, "");
    EXPECT_TRUE(cb_.ended);
    filter_->onDestroy();
    filter_.reset();
  }
}

// A client that sits on a full buffer for the stall limit is cut off, as the
// client's doing (408 is the cause the chain turns into aborted=client).
TEST_F(RouterHardeningTest, ClientOnAFullBufferTooLongIsCutOff) {
  useApi({url("backend.internal", 8080)}, conf::EndpointType::LoadBalance, /*timeout_ms=*/60000);
  config_->client_stall_timeout_ms = 100;
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nab");
  filter_->onAboveWriteBufferHighWatermark();
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }, 5.0));
  EXPECT_EQ(cb_.local_replies[0].status, 408);
  EXPECT_NE(cb_.local_replies[0].description.find("idleTimeoutInMillis"), std::string::npos)
      << cb_.local_replies[0].description;
  EXPECT_EQ(connector_.released, std::vector<bool>{false});
}

// Draining below the low watermark in time resets the stall limit.
TEST_F(RouterHardeningTest, ClientThatKeepsDrainingIsNotCutOff) {
  useApi({url("backend.internal", 8080)}, conf::EndpointType::LoadBalance, /*timeout_ms=*/60000);
  config_->client_stall_timeout_ms = 300;
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nab");
  for (int i = 0; i < 3; ++i) {
    filter_->onAboveWriteBufferHighWatermark();
    EXPECT_FALSE(pumpUntil([&] { return !cb_.local_replies.empty(); }, 0.15));
    filter_->onBelowWriteBufferLowWatermark();
  }
  backendWrite("cdef");
  ASSERT_TRUE(pumpUntil([&] { return cb_.ended; }));
  EXPECT_EQ(cb_.body, "abcdef");
  EXPECT_TRUE(cb_.local_replies.empty());
}

// Found by router_response_fuzz: an interim response never has a body, so its
// "body" is the start of the next response, never bytes for the client.
TEST_F(RouterHardeningTest, InterimResponseBodyNeverReachesTheClient) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite(
      "HTTP/1.1 103 Early Hints\r\nContent-Length: 7\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_TRUE(cb_.local_replies.empty());
  ASSERT_TRUE(cb_.response.has_value());
  EXPECT_EQ(cb_.response->status, 200);
  EXPECT_EQ(cb_.body, "ok");
  EXPECT_TRUE(cb_.ended);
}

// --- Connection options ------------------------------------------------------------

// The client's options were removed before the filters ran; what the router
// still sees was set by the gateway and is forwarded even when named.
TEST_F(RouterHardeningTest, ConnectionOptionNeverRemovesGatewayHeaders) {
  start("GET", "/petstore/v1/pets",
        {{"Host", "gw"},
         {"Connection", "X-Request-Id, X-Gateway, X-Forwarded-For, Host"},
         {"X-Request-Id", "set-by-filter"},
         {"X-Gateway", "set-by-filter"}});
  Head h = upstreamHead();
  EXPECT_EQ(h.get("X-Request-Id"), "set-by-filter");
  EXPECT_EQ(h.get("X-Gateway"), "set-by-filter");
  EXPECT_EQ(h.get("X-Forwarded-For"), "192.0.2.7");
  EXPECT_EQ(h.all("Host"), std::vector<std::string>{"backend.internal:8080"});
  EXPECT_FALSE(h.has("Connection"));
}

// --- a slow reader ------------------------------------------------------------------

// Time spent waiting for the client to read is not backend silence.
TEST_F(RouterHardeningTest, BackendTimerPausedWhileClientBufferIsFull) {
  useApi({url("backend.internal", 8080)}, conf::EndpointType::LoadBalance, /*timeout_ms=*/100);
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nab");
  ASSERT_EQ(cb_.body, "ab");
  filter_->onAboveWriteBufferHighWatermark();
  backendWrite("cd");  // waits in the socket: the router does not read while paused
  // Several timeouts' worth of waiting for the client.
  EXPECT_FALSE(pumpUntil([&] { return !cb_.local_replies.empty(); }, 0.5));
  EXPECT_TRUE(cb_.local_replies.empty());
  EXPECT_EQ(cb_.body, "ab");
  filter_->onBelowWriteBufferLowWatermark();
  ASSERT_TRUE(pumpUntil([&] { return cb_.body == "abcd"; }));
  // Reading resumed, and so did the timer: real silence still ends it.
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }, 5.0));
  EXPECT_EQ(cb_.local_replies[0].status, 504);
  EXPECT_FALSE(cb_.ended);
}

TEST_F(RouterHardeningTest, ResponseCompletesAfterAPause) {
  useApi({url("backend.internal", 8080)}, conf::EndpointType::LoadBalance, /*timeout_ms=*/100);
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
  filter_->onAboveWriteBufferHighWatermark();
  backendWrite("cd");
  EXPECT_FALSE(pumpUntil([&] { return !cb_.local_replies.empty(); }, 0.3));
  filter_->onBelowWriteBufferLowWatermark();
  ASSERT_TRUE(pumpUntil([&] { return cb_.ended; }));
  EXPECT_EQ(cb_.body, "abcd");
  EXPECT_TRUE(cb_.local_replies.empty());
  // Nothing fires after the end.
  EXPECT_FALSE(pumpUntil([&] { return !cb_.local_replies.empty(); }, 0.3));
}

}  // namespace
}  // namespace gw::router
