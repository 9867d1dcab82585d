#include "proxy_connector/no_proxy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gw::proxy {
namespace {

struct Case {
  std::string no_proxy;
  std::string host;
  uint16_t port;
  bool want;
};

class NoProxyTableTest : public ::testing::TestWithParam<Case> {};

TEST_P(NoProxyTableTest, Matches) {
  const Case& c = GetParam();
  NoProxyMatcher m = NoProxyMatcher::parse(c.no_proxy);
  EXPECT_EQ(m.matches(c.host, c.port), c.want)
      << "NO_PROXY=\"" << c.no_proxy << "\" host=" << c.host << " port=" << c.port;
}

INSTANTIATE_TEST_SUITE_P(Table, NoProxyTableTest,
                         ::testing::ValuesIn(std::vector<Case>{
                             // Empty list: nothing bypasses.
                             {"", "example.com", 443, false},
                             // '*' matches everything.
                             {"*", "anything.org", 80, true},
                             {"foo.com, *", "10.0.0.1", 80, true},
                             // Exact host, case-insensitive, trailing dot ignored.
                             {"localhost", "localhost", 80, true},
                             {"LocalHost", "LOCALHOST", 80, true},
                             {"localhost", "localhost.", 80, true},
                             {"localhost", "notlocalhost", 80, false},
                             // Domain: itself and subdomains, not suffix look-alikes.
                             {"example.com", "example.com", 443, true},
                             {"example.com", "sub.example.com", 443, true},
                             {"example.com", "a.b.example.com", 443, true},
                             {"example.com", "badexample.com", 443, false},
                             {"example.com", "example.com.evil.org", 443, false},
                             // Leading dot: subdomains, and (as curl) the domain itself.
                             {".example.com", "sub.example.com", 443, true},
                             {".example.com", "example.com", 443, true},
                             {".example.com", "badexample.com", 443, false},
                             // Java-style wildcard.
                             {"*.example.com", "x.example.com", 443, true},
                             // Whitespace trimmed; several separators.
                             {"  foo.com ,\tbar.com  ", "bar.com", 80, true},
                             {"foo.com|bar.com", "foo.com", 80, true},
                             {"foo.com bar.com", "baz.com", 80, false},
                             // IP literals: exact, no prefix matching by string.
                             {"10.1.2.3", "10.1.2.3", 80, true},
                             {"10.1.2.3", "10.1.2.30", 80, false},
                             {"127.0.0.1", "localhost", 80, false},
                             // CIDR, IPv4.
                             {"10.0.0.0/8", "10.200.3.4", 80, true},
                             {"10.0.0.0/8", "11.0.0.1", 80, false},
                             {"192.168.1.0/24", "192.168.1.255", 80, true},
                             {"192.168.1.0/24", "192.168.2.1", 80, false},
                             {"172.16.0.0/12", "172.31.255.1", 80, true},
                             {"172.16.0.0/12", "172.32.0.1", 80, false},
                             {"0.0.0.0/0", "8.8.8.8", 80, true},
                             {"10.0.0.0/8", "ten.example", 80, false},
                             // IPv6: bare, bracketed, CIDR, target with brackets.
                             {"::1", "::1", 80, true},
                             {"[::1]", "::1", 80, true},
                             {"::1", "[::1]", 80, true},
                             {"2001:db8::1", "2001:DB8:0:0::1", 80, true},
                             {"2001:db8::/32", "2001:db8:ffff::5", 443, true},
                             {"2001:db8::/32", "2001:db9::5", 443, false},
                             {"[2001:db8::]/32", "2001:db8::5", 443, true},
                             {"fe80::/10", "fe80::1", 80, true},
                             {"::1", "127.0.0.1", 80, false},
                             {"127.0.0.0/8", "::1", 80, false},
                             // Port-restricted entries.
                             {"example.com:8080", "example.com", 8080, true},
                             {"example.com:8080", "example.com", 443, false},
                             {"example.com:8080", "api.example.com", 8080, true},
                             {"10.0.0.1:443", "10.0.0.1", 443, true},
                             {"10.0.0.1:443", "10.0.0.1", 80, false},
                             {"[::1]:8443", "::1", 8443, true},
                             {"[::1]:8443", "::1", 443, false},
                             // Malformed entries are ignored, others still apply.
                             {"10.0.0.0/99, foo.com", "10.0.0.1", 80, false},
                             {"host:notaport, foo.com", "foo.com", 80, true},
                             {"host:notaport", "host", 80, false},
                         }));

TEST(NoProxyMatcher, ReportsInvalidEntries) {
  NoProxyMatcher m = NoProxyMatcher::parse("good.com,10.0.0.0/99,host:0,[::1");
  EXPECT_EQ(m.invalid(), (std::vector<std::string>{"10.0.0.0/99", "host:0", "[::1"}));
  EXPECT_FALSE(m.empty());
}

TEST(NoProxyMatcher, VectorConstructor) {
  NoProxyMatcher m(std::vector<std::string>{" .corp.local ", "127.0.0.1"});
  EXPECT_TRUE(m.matches("svc.corp.local", 443));
  EXPECT_TRUE(m.matches("127.0.0.1", 9000));
  EXPECT_FALSE(m.matches("example.com", 443));
  EXPECT_TRUE(NoProxyMatcher().empty());
}

}  // namespace
}  // namespace gw::proxy
