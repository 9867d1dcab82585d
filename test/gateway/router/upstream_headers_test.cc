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

// The fields as HTTP/1 header lines, to compare in one string.
std::string lines(const http::HeaderMap& fields) {
  std::string out;
  for (const auto& [n, v] : fields.entries()) out += n + ": " + v + "\r\n";
  return out;
}

TEST(UpstreamHeaders, UpstreamQuery) {
  EXPECT_EQ(upstreamQuery("", ""), "");
  EXPECT_EQ(upstreamQuery("", "?a=1"), "?a=1");
  EXPECT_EQ(upstreamQuery("k=v", ""), "?k=v");
  EXPECT_EQ(upstreamQuery("k=v", "?"), "?k=v");
  EXPECT_EQ(upstreamQuery("k=v", "?a=1&b"), "?k=v&a=1&b");
}

TEST(UpstreamHeaders, HopByHopTable) {
  struct Case {
    const char* name;
    bool hop;
  } cases[] = {{"Connection", true},
               {"keep-alive", true},
               {"TE", true},
               {"Trailer", true},
               {"Upgrade", true},
               {"Transfer-Encoding", true},
               {"Content-Length", true},
               {"Expect", true},
               {"Host", true},
               {"Proxy-Authorization", true},
               {"proxy-connection", true},
               {"Proxy-Foo", true},
               {"Authorization", false},
               {"Accept", false},
               {"X-Proxy", false},
               {"Proxy", false}};
  for (const Case& c : cases) EXPECT_EQ(isRequestHopByHop(c.name), c.hop) << c.name;
}

TEST(UpstreamHeaders, ResponseHopByHopTable) {
  struct Case {
    const char* name;
    bool hop;
  } cases[] = {{"Connection", true},
               {"KEEP-ALIVE", true},
               {"te", true},
               {"Trailer", true},
               {"upgrade", true},
               {"Transfer-Encoding", true},
               {"Proxy-Connection", true},
               {"Proxy-Authenticate", true},
               // kept: the backend's framing is re-stated, not dropped, and only
               // these proxy fields are hop-by-hop in a response
               {"Content-Length", false},
               {"Proxy-Status", false},
               {"Host", false},
               {"Set-Cookie", false},
               {"Tf", false},
               {"Connectionx", false},
               {"Transfer-Encodinx", false},
               {"", false}};
  for (const Case& c : cases) EXPECT_EQ(isResponseHopByHop(c.name), c.hop) << c.name;
}

TEST(UpstreamHeaders, ForwardedBlock) {
  http::RequestHeaders r = request({{"Host", "gw.example"},
                                    {"Connection", "keep-alive"},
                                    {"Proxy-Authorization", "Basic Y2xpZW50OmM="},
                                    {"X-Forwarded-For", "1.1.1.1"},
                                    {"X-Forwarded-Proto", "spoofed"},
                                    {"Accept", "*/*"},
                                    {"Content-Length", "3"}});
  std::string block = lines(forwardedHeaders(r, "10.0.0.7", /*downstream_tls=*/true, false));
  EXPECT_EQ(block,
            "Accept: */*\r\n"
            "X-Forwarded-For: 1.1.1.1, 10.0.0.7\r\n"
            "X-Forwarded-Proto: https\r\n"
            "X-Forwarded-Host: gw.example\r\n"
            "Content-Length: 3\r\n");
  // A chunked body's framing is the upstream codec's: no Transfer-Encoding
  // here, and no Content-Length a client sent beside it.
  std::string chunked = lines(forwardedHeaders(
      request({{"Transfer-Encoding", "chunked"}, {"Content-Length", "9"}}), "c", false,
      /*chunked=*/true));
  EXPECT_EQ(chunked, "X-Forwarded-For: c\r\nX-Forwarded-Proto: http\r\n");
}

TEST(UpstreamHeaders, Authority) {
  conf::EndpointUrl a{"http://b:80/", "http", "b", 80, ""};
  conf::EndpointUrl b{"https://[::1]:8443/", "https", "::1", 8443, ""};
  conf::EndpointUrl c{"https://api:443/", "https", "api", 443, ""};
  EXPECT_EQ(authority(a), "b");
  EXPECT_EQ(authority(b), "[::1]:8443");
  EXPECT_EQ(authority(c), "api");
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

TEST(UpstreamHeaders, FieldNameTable) {
  struct Case {
    const char* name;
    bool ok;
  } cases[] = {{"Content-Length", true},
               {"x_y", true},
               {"!#$%&'*+-.^_`|~09aZ", true},
               {"", false},
               {"Content-Length ", false},
               {" Host", false},
               {"a b", false},
               {"a:b", false},
               {"a\tb", false},
               {"a\"b", false},
               {"caf\xc3\xa9", false},
               {"(x)", false}};
  for (const Case& c : cases) EXPECT_EQ(isFieldName(c.name), c.ok) << c.name;
}

TEST(UpstreamHeaders, ForbiddenTrailerTable) {
  struct Case {
    const char* name;
    bool forbidden;
  } cases[] = {// hop-by-hop and Proxy-*
               {"Connection", true},
               {"Keep-Alive", true},
               {"Upgrade", true},
               {"Proxy-Authorization", true},
               {"proxy-connection", true},
               {"Proxy-Authenticate", true},
               // stated by the gateway
               {"X-Forwarded-For", true},
               {"x-forwarded-proto", true},
               {"X-Forwarded-Host", true},
               {"Forwarded", true},
               {"Via", true},
               {"X-Request-Id", true},
               // framing, routing, control
               {"Content-Length", true},
               {"Transfer-Encoding", true},
               {"Trailer", true},
               {"Host", true},
               {"Cache-Control", true},
               {"Expect", true},
               {"Max-Forwards", true},
               {"TE", true},
               {"Pragma", true},
               {"Range", true},
               {"If-None-Match", true},
               // authentication
               {"Authorization", true},
               {"Cookie", true},
               {"Set-Cookie", true},
               {"WWW-Authenticate", true},
               {"Authentication-Info", true},
               // response control and payload processing
               {"Age", true},
               {"Date", true},
               {"Location", true},
               {"Retry-After", true},
               {"Vary", true},
               {"Content-Type", true},
               {"Content-Encoding", true},
               {"Content-Range", true},
               // ordinary trailers
               {"X-Checksum", false},
               {"Server-Timing", false},
               {"Digest", false},
               {"grpc-status", false},
               {"X-Forwarded", false},
               {"Proxy", false}};
  for (const Case& c : cases) EXPECT_EQ(isForbiddenTrailer(c.name), c.forbidden) << c.name;
}

TEST(UpstreamHeaders, ForwardedTrailersDropForbiddenBadAndConnectionNamed) {
  http::HeaderMap in;
  in.add("X-Checksum", "1");
  in.add("Proxy-Authorization", "Basic c2VjcmV0");
  in.add("X-Forwarded-For", "6.6.6.6");
  in.add("Content-Length ", "5");
  in.add("X-Named", "hop");
  in.add("Server-Timing", "db;dur=5");
  http::HeaderMap out = forwardedTrailers(in, "keep-alive, x-named");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out.entries()[0], (http::HeaderMap::Entry{"X-Checksum", "1"}));
  EXPECT_EQ(out.entries()[1], (http::HeaderMap::Entry{"Server-Timing", "db;dur=5"}));
}

TEST(UpstreamHeaders, ConnectionOptionsJoined) {
  http::HeaderMap h;
  EXPECT_EQ(connectionOptions(h), "");
  h.add("Connection", "keep-alive");
  h.add("X", "y");
  h.add("connection", "X-A, X-B");
  EXPECT_EQ(connectionOptions(h), "keep-alive, X-A, X-B");
}

// The client's options go before any filter runs; Host and framing stay.
TEST(UpstreamHeaders, DropConnectionOptionsKeepsHostAndFraming) {
  http::HeaderMap h;
  h.add("Host", "gw");
  h.add("Connection",
        "X-Request-Id, X-Gateway, Host, Content-Length, Transfer-Encoding, Connection");
  h.add("X-Request-Id", "client-chosen");
  h.add("x-gateway", "1");
  h.add("X-Gateway", "2");
  h.add("Content-Length", "3");
  h.add("Accept", "*/*");
  EXPECT_EQ(dropConnectionOptions(h), 3u);
  EXPECT_FALSE(h.has("X-Request-Id"));
  EXPECT_FALSE(h.has("X-Gateway"));
  EXPECT_TRUE(h.has("Host"));
  EXPECT_TRUE(h.has("Content-Length"));
  EXPECT_TRUE(h.has("Connection"));
  EXPECT_TRUE(h.has("Accept"));
  http::HeaderMap none;
  none.add("X-A", "1");
  EXPECT_EQ(dropConnectionOptions(none), 0u);
  EXPECT_TRUE(none.has("X-A"));
}

// Headers the gateway's filters add after the client's options were applied
// are forwarded even when a Connection header names them.
TEST(UpstreamHeaders, ForwardedBlockKeepsHeadersNamedByConnection) {
  http::RequestHeaders r = request(
      {{"Host", "gw"}, {"Connection", "X-Request-Id, X-Forwarded-For"}, {"X-Request-Id", "gw-1"}});
  EXPECT_EQ(lines(forwardedHeaders(r, "10.0.0.7", false, false)),
            "X-Request-Id: gw-1\r\n"
            "X-Forwarded-For: 10.0.0.7\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: gw\r\n");
}

}  // namespace
}  // namespace gw::router
