#include "proxy_connector/http_url.h"

#include <gtest/gtest.h>

namespace gw::proxy {
namespace {

ParsedHttpUrl parse(const std::string& url) {
  ParsedHttpUrl u;
  EXPECT_TRUE(parseHttpUrl(url, &u)) << url;
  return u;
}

TEST(HttpUrlTest, SchemesHostsPortsAndPaths) {
  ParsedHttpUrl u = parse("https://km.example:9443/oauth2/introspect?x=1#frag");
  EXPECT_EQ(u.target.scheme, "https");
  EXPECT_EQ(u.target.host, "km.example");
  EXPECT_EQ(u.target.port, 9443);
  EXPECT_EQ(u.path, "/oauth2/introspect?x=1");
  u = parse("HTTP://127.0.0.1");
  EXPECT_EQ(u.target.scheme, "http");
  EXPECT_EQ(u.target.port, 80);
  EXPECT_EQ(u.path, "/");
  u = parse("https://host?q");
  EXPECT_EQ(u.target.port, 443);
  EXPECT_EQ(u.path, "/?q");
  u = parse("https://[::1]:8443/a");
  EXPECT_EQ(u.target.host, "::1");
  EXPECT_EQ(u.target.port, 8443);
  EXPECT_EQ(u.path, "/a");
}

TEST(HttpUrlTest, Refused) {
  ParsedHttpUrl u;
  for (const char* bad : {"ftp://host/", "host/path", "https://", "https://:80/",
                          "https://user@host/", "https://host:0/", "https://host:65536/",
                          "https://host:8x/", "https://[::1/", "https://[::1]x/"}) {
    EXPECT_FALSE(parseHttpUrl(bad, &u)) << bad;
  }
}

}  // namespace
}  // namespace gw::proxy
