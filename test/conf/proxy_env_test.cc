#include "conf/proxy_env.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "conf/loader.h"
#include "conf/url.h"

namespace gw::conf {
namespace {

struct EnvCase {
  const char* name;
  std::map<std::string, std::string> env;
  std::string host;
  uint16_t port;
  std::string username;
  std::string password;
  std::vector<std::string> non_proxy_hosts;
  std::string source;
  std::string scheme = "https";  // whose proxy is checked: proxyFor(scheme)
};

TEST(ProxyFromEnvironment, UsedWhenSectionAbsent) {
  const EnvCase cases[] = {
      {"full URL, decoded credentials",
       {{"HTTPS_PROXY", "http://us%40er:p%3Ass%25@proxy.corp:8080/"}},
       "proxy.corp",
       8080,
       "us@er",
       "p:ss%",
       {},
       "environment (HTTPS_PROXY)"},
      {"no port: curl's 1080",
       {{"https_proxy", "http://squid"}},
       "squid",
       1080,
       "",
       "",
       {},
       "environment (https_proxy)"},
      {"no scheme",
       {{"HTTP_PROXY", "squid:3128"}},
       "squid",
       3128,
       "",
       "",
       {},
       "environment (HTTP_PROXY)",
       "http"},
      {"https targets use HTTPS_PROXY",
       {{"HTTP_PROXY", "http://a:1"}, {"HTTPS_PROXY", "http://b:2"}},
       "b",
       2,
       "",
       "",
       {},
       "environment (HTTPS_PROXY)"},
      {"http targets use HTTP_PROXY",
       {{"HTTP_PROXY", "http://a:1"}, {"HTTPS_PROXY", "http://b:2"}},
       "a",
       1,
       "",
       "",
       {},
       "environment (HTTP_PROXY)",
       "http"},
      {"upper case first",
       {{"https_proxy", "http://a:1"}, {"HTTPS_PROXY", "http://b:2"}},
       "b",
       2,
       "",
       "",
       {},
       "environment (HTTPS_PROXY)"},
      {"empty value skipped",
       {{"HTTP_PROXY", ""}, {"http_proxy", "http://c:3"}},
       "c",
       3,
       "",
       "",
       {},
       "environment (http_proxy)",
       "http"},
      {"IPv6 literal",
       {{"HTTPS_PROXY", "http://[::1]:3128"}},
       "::1",
       3128,
       "",
       "",
       {},
       "environment (HTTPS_PROXY)"},
      {"user without password",
       {{"HTTPS_PROXY", "http://bob@h:1"}},
       "h",
       1,
       "bob",
       "",
       {},
       "environment (HTTPS_PROXY)"},
      {"NO_PROXY split and trimmed",
       {{"HTTPS_PROXY", "http://h:1"}, {"NO_PROXY", " localhost, .corp,,10.0.0.0/8 "}},
       "h",
       1,
       "",
       "",
       {"localhost", ".corp", "10.0.0.0/8"},
       "environment (HTTPS_PROXY)"},
      {"no_proxy lower case",
       {{"HTTPS_PROXY", "http://h:1"}, {"no_proxy", "*"}},
       "h",
       1,
       "",
       "",
       {"*"},
       "environment (HTTPS_PROXY)"},
  };
  for (const EnvCase& c : cases) {
    absl::StatusOr<Config> config =
        loadConfigFromString("[httpClients]\n", "micro-gw.conf", Environment::fromMap(c.env));
    ASSERT_TRUE(config.ok()) << c.name << ": " << config.status();
    const ProxyConfig& proxy = config->http_clients.proxyFor(c.scheme);
    EXPECT_TRUE(proxy.enabled) << c.name;
    EXPECT_TRUE(proxy.enable_internal_services) << c.name;
    EXPECT_EQ(proxy.host, c.host) << c.name;
    EXPECT_EQ(proxy.port, c.port) << c.name;
    EXPECT_EQ(proxy.username, c.username) << c.name;
    EXPECT_EQ(proxy.password, c.password) << c.name;
    EXPECT_EQ(proxy.non_proxy_hosts, c.non_proxy_hosts) << c.name;
    EXPECT_EQ(proxy.http_mode, HttpProxyMode::Connect) << c.name;
    EXPECT_EQ(proxy.source, c.source) << c.name;
  }
}

// As curl and Go: a scheme whose variable is unset goes direct.
TEST(ProxyFromEnvironment, UnsetSchemeGoesDirect) {
  absl::StatusOr<Config> only_https = loadConfigFromString(
      "", "micro-gw.conf", Environment::fromMap({{"HTTPS_PROXY", "http://s:1"}}));
  ASSERT_TRUE(only_https.ok()) << only_https.status();
  EXPECT_TRUE(only_https->http_clients.proxyFor("https").enabled);
  EXPECT_FALSE(only_https->http_clients.proxyFor("http").enabled);
  absl::StatusOr<Config> only_http = loadConfigFromString(
      "", "micro-gw.conf", Environment::fromMap({{"http_proxy", "http://p:2"}}));
  ASSERT_TRUE(only_http.ok()) << only_http.status();
  EXPECT_FALSE(only_http->http_clients.proxyFor("https").enabled);
  EXPECT_EQ(only_http->http_clients.proxyFor("http").host, "p");
  EXPECT_TRUE(only_http->http_clients.proxyFor("http").enabled);
}

TEST(ProxyFromEnvironment, IgnoredWhenSectionPresentOrUnset) {
  absl::StatusOr<Config> config =
      loadConfigFromString("[httpClients.proxy]\nhost = \"conf\"\n", "micro-gw.conf",
                           Environment::fromMap({{"HTTPS_PROXY", "http://env:1"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->http_clients.proxy.host, "conf");
  EXPECT_FALSE(config->http_clients.proxy.enabled);
  EXPECT_FALSE(config->http_clients.plain_http_proxy.has_value());
  config = loadConfigFromString("", "micro-gw.conf", Environment::fromMap({{"NO_PROXY", "x"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->http_clients.proxy.enabled);
  EXPECT_EQ(config->http_clients.proxy.host, "");
  EXPECT_TRUE(config->http_clients.proxy.non_proxy_hosts.empty());
}

TEST(ProxyFromEnvironment, HttpsProxyUrl) {
  absl::StatusOr<Config> config = loadConfigFromString(
      "", "micro-gw.conf", Environment::fromMap({{"HTTPS_PROXY", "https://u:Secr3t@px.corp"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  const ProxyConfig& p = config->http_clients.proxy;
  EXPECT_EQ(p.protocol, "https");
  EXPECT_EQ(p.host, "px.corp");
  EXPECT_EQ(p.port, 443);  // curl's default for https:// proxies
  EXPECT_EQ(p.proxy_trust_store_path, "");
  config = loadConfigFromString("", "micro-gw.conf",
                                Environment::fromMap({{"HTTPS_PROXY", "http://px.corp:3128"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->http_clients.proxy.protocol, "http");
}

struct BadUrlCase {
  const char* url;
  const char* reason;
};

TEST(ProxyFromEnvironment, MalformedUrlNamesVariableNotValue) {
  const BadUrlCase cases[] = {
      {"http://user:Secr3t@host:99999", "invalid port (expected 1..65535)"},
      {"http://user:Secr3t@host:abc", "invalid port (expected 1..65535)"},
      {"http://user:Secr3t", "invalid port (expected 1..65535)"},
      {"socks5://user:Secr3t@host:1080", "unsupported scheme (expected http or https)"},
      {"http://user:Secr3t@", "missing host"},
      {"http://user:Secr3t@[::1", "unterminated IPv6 literal (missing ']')"},
      {"http://user:Secr3t@host/path", "unexpected path, query or fragment"},
      {"http://user:Secr3t%zz@host", "malformed percent escape in password"},
      {"http://us%2xer:Secr3t@host", "malformed percent escape in user name"},
      {"http://user:Secr3t@ho st", "invalid character in host"},
  };
  for (const BadUrlCase& c : cases) {
    absl::StatusOr<Config> config =
        loadConfigFromString("", "micro-gw.conf", Environment::fromMap({{"HTTPS_PROXY", c.url}}));
    ASSERT_FALSE(config.ok()) << c.url;
    EXPECT_EQ(config.status().message(),
              std::string("micro-gw.conf: no [httpClients.proxy] section, and environment "
                          "variable 'HTTPS_PROXY': malformed proxy URL: ") +
                  c.reason)
        << c.url;
    EXPECT_EQ(config.status().message().find("Secr3t"), std::string::npos);
  }
}

TEST(ParseUrl, Parts) {
  absl::StatusOr<ParsedUrl> url = parseUrl("HTTPS://[2001:db8::1]:8443/a/b?q=1");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "2001:db8::1");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->path, "/a/b");
  EXPECT_TRUE(url->has_query_or_fragment);
  EXPECT_FALSE(url->has_userinfo);
  url = parseUrl("http://a:b:c@h");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->user, "a");
  EXPECT_EQ(url->password, "b:c");
  EXPECT_EQ(url->port, std::nullopt);
}

TEST(SplitNoProxy, Table) {
  EXPECT_EQ(splitNoProxy(""), std::vector<std::string>{});
  EXPECT_EQ(splitNoProxy("a"), std::vector<std::string>{"a"});
  EXPECT_EQ(splitNoProxy(" a , b ,"), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace gw::conf
