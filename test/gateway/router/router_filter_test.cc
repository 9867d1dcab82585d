// Router filter: what it sends upstream and how it streams the response back.

#include "test/gateway/router/router_filter_test_fixture.h"

namespace gw::router {
namespace {

// --- request head ----------------------------------------------------------

TEST_F(RouterFilterTest, RequestHeadRewritesTargetAndForwardingHeaders) {
  EXPECT_EQ(start("GET", "/petstore/v1/pets/7?limit=2&x=y",
                  {{"Host", "gw.example.com"},
                   {"X-Forwarded-For", "203.0.113.9"},
                   {"X-Forwarded-Proto", "https"},
                   {"X-Forwarded-Host", "spoofed.example"},
                   {"Accept", "application/json"},
                   {"User-Agent", "unit-test"}}),
            FilterStatus::Continue);
  Head h = upstreamHead();
  ASSERT_EQ(connector_.requests.size(), 1u);
  EXPECT_EQ(connector_.requests[0].target.scheme, "http");
  EXPECT_EQ(connector_.requests[0].target.host, "backend.internal");
  EXPECT_EQ(connector_.requests[0].target.port, 8080);
  EXPECT_FALSE(connector_.requests[0].proxy.has_value());
  EXPECT_EQ(cb_.upstream, "fake-backend");

  EXPECT_EQ(h.request_line, "GET /api/v3/pets/7?limit=2&x=y HTTP/1.1");
  EXPECT_EQ(h.all("Host"), std::vector<std::string>{"backend.internal:8080"});
  EXPECT_EQ(h.all("X-Forwarded-For"), std::vector<std::string>{"203.0.113.9, 192.0.2.7"});
  EXPECT_EQ(h.all("X-Forwarded-Proto"), std::vector<std::string>{"http"});
  EXPECT_EQ(h.all("X-Forwarded-Host"), std::vector<std::string>{"gw.example.com"});
  EXPECT_EQ(h.get("Accept"), "application/json");
  EXPECT_EQ(h.get("User-Agent"), "unit-test");
  EXPECT_FALSE(h.has("Content-Length"));
  EXPECT_FALSE(h.has("Transfer-Encoding"));
  EXPECT_EQ(h.rest, "");
}

// A filter before the router may change the query (api_key removes its
// parameter): the upstream target carries the query as the filters left it.
TEST_F(RouterFilterTest, RequestHeadUsesTheQueryAsFiltersLeftIt) {
  match_ = table_->match("GET", "/petstore/v1/pets/7?apikey=secret&limit=2");
  cb_.route_ = &match_;
  http::RequestHeaders req;
  req.method = "GET";
  req.path = "/petstore/v1/pets/7?limit=2";
  filter_ = std::make_unique<RouterFilter>(config_);
  filter_->setDecoderFilterCallbacks(cb_);
  EXPECT_EQ(filter_->decodeHeaders(req, true), FilterStatus::Continue);
  EXPECT_EQ(upstreamHead().request_line, "GET /api/v3/pets/7?limit=2 HTTP/1.1");
}

// An endpoint URL's query goes first, then the request's (WSO2's order).
TEST_F(RouterFilterTest, RequestHeadPutsTheEndpointQueryBeforeTheRequests) {
  conf::EndpointUrl with_query = url("backend.internal", 8080, "/api/v3");
  with_query.query = "key=abc";
  useApi({with_query});
  start("GET", "/petstore/v1/pets?limit=2");
  EXPECT_EQ(upstreamHead().request_line, "GET /api/v3/pets?key=abc&limit=2 HTTP/1.1");
}

TEST_F(RouterFilterTest, RequestHeadForwardedProtoHttpsForTlsClientsAndXffStartsWithClient) {
  cb_.tls = true;
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  Head h = upstreamHead();
  EXPECT_EQ(h.request_line, "GET /api/v3/pets HTTP/1.1");
  EXPECT_EQ(h.get("X-Forwarded-For"), "192.0.2.7");
  EXPECT_EQ(h.get("X-Forwarded-Proto"), "https");
}

TEST_F(RouterFilterTest, HopByHopRequestHeadersRemoved) {
  start("GET", "/petstore/v1/pets",
        {{"Host", "gw"},
         {"Connection", "keep-alive"},
         {"Keep-Alive", "timeout=5"},
         {"TE", "trailers"},
         {"Trailer", "X-Checksum"},
         {"Upgrade", "websocket"},
         {"Proxy-Authorization", "Basic Y2xpZW50OnNlY3JldA=="},
         {"Proxy-Connection", "keep-alive"},
         {"Proxy-Foo", "bar"},
         {"Expect", "100-continue"},
         {"X-Kept", "yes"}});
  Head h = upstreamHead();
  for (const char* name : {"Connection", "Keep-Alive", "TE", "Trailer", "Upgrade",
                           "Proxy-Authorization", "Proxy-Connection", "Proxy-Foo", "Expect"}) {
    EXPECT_FALSE(h.has(name)) << name << " reached the backend";
  }
  EXPECT_EQ(h.get("X-Kept"), "yes");
  EXPECT_EQ(h.all("Host"), std::vector<std::string>{"backend.internal:8080"});
}

TEST_F(RouterFilterTest, AbsoluteFormTargetCarriesGatewayProxyAuthorization) {
  useApi({url("backend.internal", 80, "/api")});
  Outcome o;
  o.absolute_form = true;
  o.proxy_authorization = "Basic Z3c6cHc=";
  connector_.script.push_back(o);
  start("GET", "/petstore/v1/pets?q=1",
        {{"Host", "gw"}, {"Proxy-Authorization", "Basic Y2xpZW50OmNsaWVudA=="}});
  Head h = upstreamHead();
  EXPECT_EQ(h.request_line, "GET http://backend.internal/api/pets?q=1 HTTP/1.1");
  EXPECT_EQ(h.all("Host"), std::vector<std::string>{"backend.internal"});
  EXPECT_EQ(h.all("Proxy-Authorization"), std::vector<std::string>{"Basic Z3c6cHc="});
}

TEST_F(RouterFilterTest, OriginFormNeverCarriesProxyAuthorization) {
  Outcome o;
  o.proxy_authorization = "Basic Z3c6cHc=";  // a tunnel: credentials went on the CONNECT
  connector_.script.push_back(o);
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  Head h = upstreamHead();
  EXPECT_EQ(h.request_line, "GET /api/v3/pets HTTP/1.1");
  EXPECT_FALSE(h.has("Proxy-Authorization"));
}

// --- request body ----------------------------------------------------------

TEST_F(RouterFilterTest, ChunkedRequestBodyReframedChunked) {
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Transfer-Encoding", "chunked"}},
        /*end_stream=*/false);
  std::string early = "hello";  // arrives before the connection
  EXPECT_EQ(filter_->decodeData(early, false), FilterStatus::StopIteration);
  Head h = upstreamHead();
  EXPECT_EQ(h.request_line, "POST /api/v3/pets HTTP/1.1");
  EXPECT_EQ(h.all("Transfer-Encoding"), std::vector<std::string>{"chunked"});
  EXPECT_FALSE(h.has("Content-Length"));
  std::string more = " world!";
  filter_->decodeData(more, false);
  std::string last;
  filter_->decodeData(last, true);
  EXPECT_EQ(h.rest + upstreamBytes(), "5\r\nhello\r\n7\r\n world!\r\n0\r\n\r\n");
}

TEST_F(RouterFilterTest, ChunkedRequestTrailersForwarded) {
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Transfer-Encoding", "chunked"}}, false);
  Head h = upstreamHead();
  std::string data = "abc";
  filter_->decodeData(data, false);
  http::HeaderMap trailers;
  trailers.add("X-Checksum", "900150983cd24fb0");
  EXPECT_EQ(filter_->decodeTrailers(trailers), FilterStatus::StopIteration);
  EXPECT_EQ(h.rest + upstreamBytes(), "3\r\nabc\r\n0\r\nX-Checksum: 900150983cd24fb0\r\n\r\n");
}

TEST_F(RouterFilterTest, ContentLengthBodyForwardedAsIs) {
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Content-Length", "11"}}, false);
  std::string a = "hello";
  filter_->decodeData(a, false);
  Head h = upstreamHead();
  std::string b = " world";
  filter_->decodeData(b, true);
  EXPECT_EQ(h.all("Content-Length"), std::vector<std::string>{"11"});
  EXPECT_FALSE(h.has("Transfer-Encoding"));
  EXPECT_EQ(h.rest + upstreamBytes(), "hello world");
}

TEST_F(RouterFilterTest, LargeBodyBeforeConnectionStopsReadingDownstream) {
  connector_.script.push_back(Outcome::hang());
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Content-Length", "2097152"}}, false);
  std::string mb(1 << 20, 'x');
  filter_->decodeData(mb, false);
  EXPECT_TRUE(cb_.read_disable.empty());
  std::string more(1 << 20, 'y');
  filter_->decodeData(more, false);
  EXPECT_EQ(cb_.read_disable, std::vector<bool>{true});
}

TEST_F(RouterFilterTest, DownstreamReadResumesOnceBufferedBodyDrainsUpstream) {
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Content-Length", "2097152"}}, false);
  std::string body(2 << 20, 'z');
  filter_->decodeData(body, false);  // before the connection: buffered
  EXPECT_EQ(cb_.read_disable, std::vector<bool>{true});
  std::string received;
  ASSERT_TRUE(pumpUntil([&] {
    if (!connector_.peers.empty()) received += upstreamBytes();
    return cb_.read_disable.size() == 2;
  }));
  EXPECT_EQ(cb_.read_disable, (std::vector<bool>{true, false}));
  std::string last;
  filter_->decodeData(last, true);
  pumpUntil([&] {
    received += upstreamBytes();
    return received.size() >= (2u << 20);
  });
  Head h = parseHead(received);
  EXPECT_EQ(h.rest.size(), 2u << 20);
}

// --- response ----------------------------------------------------------------

TEST_F(RouterFilterTest, ResponseStreamedWithHopByHopHeadersRemoved) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite(
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/plain\r\n"
      "Content-Length: 10\r\n"
      "Connection: keep-alive, X-Hop\r\n"
      "Keep-Alive: timeout=5\r\n"
      "X-Hop: 1\r\n"
      "Proxy-Authenticate: Basic realm=x\r\n"
      "Proxy-Connection: keep-alive\r\n"
      "Upgrade: h2c\r\n"
      "X-Kept: yes\r\n"
      "\r\n"
      "01234");
  ASSERT_TRUE(cb_.response.has_value());
  EXPECT_EQ(cb_.response->status, 200);
  EXPECT_EQ(responseHeader("Content-Type"), "text/plain");
  EXPECT_EQ(responseHeader("Content-Length"), "10");
  EXPECT_EQ(responseHeader("X-Kept"), "yes");
  for (const char* name :
       {"Connection", "Keep-Alive", "X-Hop", "Proxy-Authenticate", "Proxy-Connection", "Upgrade"}) {
    EXPECT_EQ(responseHeader(name), "<absent>") << name;
  }
  EXPECT_EQ(cb_.body, "01234");  // streamed, not buffered to the end
  EXPECT_FALSE(cb_.ended);
  backendWrite("56789");
  EXPECT_EQ(cb_.body, "0123456789");
  EXPECT_TRUE(cb_.ended);
  EXPECT_TRUE(cb_.local_replies.empty());
  EXPECT_EQ(connector_.released, std::vector<bool>{true});
}

TEST_F(RouterFilterTest, HeadResponseHasNoBody) {
  start("HEAD", "/petstore/v1/pets", {{"Host", "gw"}});
  Head h = upstreamHead();
  EXPECT_EQ(h.request_line, "HEAD /api/v3/pets HTTP/1.1");
  backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/plain\r\n\r\n");
  ASSERT_TRUE(cb_.response.has_value());
  EXPECT_EQ(responseHeader("Content-Length"), "1234");
  EXPECT_EQ(cb_.body, "");
  EXPECT_TRUE(cb_.ended);
  EXPECT_EQ(connector_.released, std::vector<bool>{true});
}

TEST_F(RouterFilterTest, InterimResponsesSkipped) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite(
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(cb_.encode_headers_calls, 1);
  ASSERT_TRUE(cb_.response.has_value());
  EXPECT_EQ(cb_.response->status, 201);
  EXPECT_EQ(responseHeader("Link"), "<absent>");
  EXPECT_EQ(cb_.body, "ok");
  EXPECT_TRUE(cb_.ended);
}

TEST_F(RouterFilterTest, ChunkedResponseTrailersEncoded) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n");
  EXPECT_EQ(cb_.body, "hello world");
  EXPECT_FALSE(cb_.ended);
  EXPECT_EQ(responseHeader("Transfer-Encoding"), "<absent>");
  backendWrite("0\r\nX-Checksum: abc\r\nX-Count: 2\r\n\r\n");
  ASSERT_TRUE(cb_.trailers.has_value());
  ASSERT_EQ(cb_.trailers->size(), 2u);
  EXPECT_EQ(*cb_.trailers->get("X-Checksum"), "abc");
  EXPECT_EQ(*cb_.trailers->get("X-Count"), "2");
  EXPECT_TRUE(cb_.ended);
  EXPECT_EQ(connector_.released, std::vector<bool>{true});
}

TEST_F(RouterFilterTest, ConnectionCloseResponseNotReusable) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(cb_.body, "ok");
  EXPECT_TRUE(cb_.ended);
  EXPECT_EQ(responseHeader("Connection"), "<absent>");
  EXPECT_EQ(connector_.released, std::vector<bool>{false});
}

TEST_F(RouterFilterTest, CloseDelimitedResponseEndsAtEof) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nabc");
  EXPECT_EQ(cb_.body, "abc");
  EXPECT_FALSE(cb_.ended);
  backendWrite("def");
  backendClose();
  EXPECT_EQ(cb_.body, "abcdef");
  EXPECT_TRUE(cb_.ended);
  EXPECT_TRUE(cb_.local_replies.empty());
  EXPECT_EQ(connector_.released, std::vector<bool>{false});
}

TEST_F(RouterFilterTest, BackendClosesMidResponseFailsStream) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf");
  backendClose();
  EXPECT_FALSE(cb_.ended);
  ASSERT_EQ(cb_.local_replies.size(), 1u);  // the chain turns this into a reset
  EXPECT_EQ(cb_.local_replies[0].status, 502);
  EXPECT_EQ(connector_.requests.size(), 1u);  // bytes were seen: never retried
  EXPECT_EQ(connector_.released, std::vector<bool>{false});
}

TEST_F(RouterFilterTest, MalformedResponseIs502) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("SSH-2.0-OpenSSH_9.2\r\n\r\n");
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 502);
  EXPECT_NE(cb_.local_replies[0].description.find("malformed"), std::string::npos)
      << cb_.local_replies[0].description;
}

// The HTTP/1 codec frames a body without a length: a chunked request whose
// (empty) body ended before the connection goes with no body at all.
TEST_F(RouterFilterTest, ChunkedRequestEndedBeforeTheConnectionGoesWithoutABody) {
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Transfer-Encoding", "chunked"}}, false);
  std::string last;
  filter_->decodeData(last, true);
  Head h = upstreamHead();
  EXPECT_EQ(h.request_line, "POST /api/v3/pets HTTP/1.1");
  EXPECT_FALSE(h.has("Transfer-Encoding"));
  EXPECT_FALSE(h.has("Content-Length"));
  EXPECT_EQ(h.rest + upstreamBytes(), "");
}

// Bytes after a complete response belong to no request: the connection is
// not pooled, and the client still gets its whole response.
TEST_F(RouterFilterTest, BytesAfterTheResponseKeepTheConnectionOutOfThePool) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n");
  EXPECT_EQ(cb_.body, "ok");
  EXPECT_TRUE(cb_.ended);
  EXPECT_TRUE(cb_.local_replies.empty());
  EXPECT_EQ(connector_.released, std::vector<bool>{false});
}

}  // namespace
}  // namespace gw::router
