#include "gateway/router/upstream_headers.h"

#include <gtest/gtest.h>

namespace gw::router {
namespace {

http::RequestHeaders request(std::vector<std::pair<std::string, std::string>> headers) {
  http::RequestHeaders r;
  r.method = "POST";
  r.path = "/p";
  for (auto& [n, v] : headers) r.headers.add(n, v);
  return r;
}

TEST(UpstreamHeaders, HopByHopTable) {
  struct Case {
    const char* name;
    bool hop;
  } cases[] = {{"Connection", true},        {"keep-alive", true},     {"TE", true},
               {"Trailer", true},           {"Upgrade", true},        {"Transfer-Encoding", true},
               {"Content-Length", true},    {"Expect", true},         {"Host", true},
               {"Proxy-Authorization", true}, {"proxy-connection", true}, {"Proxy-Foo", true},
               {"Authorization", false},    {"Accept", false},        {"X-Proxy", false},
               {"Proxy", false}};
  for (const Case& c : cases) EXPECT_EQ(isRequestHopByHop(c.name), c.hop) << c.name;
}

TEST(UpstreamHeaders, ForwardedBlock) {
  http::RequestHeaders r = request({{"Host", "gw.example"},
                                    {"Connection", "keep-alive, X-Secret"},
                                    {"X-Secret", "s"},
                                    {"Proxy-Authorization", "Basic Y2xpZW50OmM="},
                                    {"X-Forwarded-For", "1.1.1.1"},
                                    {"X-Forwarded-Proto", "spoofed"},
                                    {"Accept", "*/*"},
                                    {"Content-Length", "3"}});
  std::string block = forwardedHeaderBlock(r, "10.0.0.7", /*downstream_tls=*/true, false);
  EXPECT_EQ(block,
            "Accept: */*\r\n"
            "X-Forwarded-For: 1.1.1.1, 10.0.0.7\r\n"
            "X-Forwarded-Proto: https\r\n"
            "X-Forwarded-Host: gw.example\r\n"
            "Content-Length: 3\r\n");
  std::string chunked = forwardedHeaderBlock(request({{"Transfer-Encoding", "chunked"}}), "c",
                                             false, /*chunked=*/true);
  EXPECT_EQ(chunked, "X-Forwarded-For: c\r\nX-Forwarded-Proto: http\r\nTransfer-Encoding: chunked\r\n");
}

TEST(UpstreamHeaders, RequestHeadAndAuthority) {
  conf::EndpointUrl a{"http://b:80/", "http", "b", 80, ""};
  conf::EndpointUrl b{"https://[::1]:8443/", "https", "::1", 8443, ""};
  conf::EndpointUrl c{"https://api:443/", "https", "api", 443, ""};
  EXPECT_EQ(authority(a), "b");
  EXPECT_EQ(authority(b), "[::1]:8443");
  EXPECT_EQ(authority(c), "api");
  EXPECT_EQ(requestHead("GET", "/x", "b", "A: 1\r\n", ""), "GET /x HTTP/1.1\r\nHost: b\r\nA: 1\r\n\r\n");
  EXPECT_EQ(requestHead("GET", "http://b/x", "b", "", "Basic dTpw"),
            "GET http://b/x HTTP/1.1\r\nHost: b\r\nProxy-Authorization: Basic dTpw\r\n\r\n");
}

TEST(UpstreamHeaders, ResponseHeaders) {
  http::HeaderMap in;
  in.add("Content-Type", "text/plain");
  in.add("Connection", "close, X-Hop");
  in.add("X-Hop", "1");
  in.add("Transfer-Encoding", "chunked");
  in.add("Proxy-Authenticate", "Basic");
  in.add("Content-Length", "5");
  http::HeaderMap out = forwardedResponseHeaders(in);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(*out.get("content-type"), "text/plain");
  EXPECT_EQ(*out.get("content-length"), "5");
}

}  // namespace
}  // namespace gw::router
