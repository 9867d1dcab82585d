#include "proxy_connector/proxy_resolver.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gw::proxy {
namespace {

using Mode = conf::EndpointProxy::Mode;

conf::ProxyConfig global(bool enabled, bool internal_services) {
  conf::ProxyConfig p;
  p.enabled = enabled;
  p.enable_internal_services = internal_services;
  p.host = "squid.corp";
  p.port = 3128;
  p.username = "gw";
  p.password = "s3cret";
  p.non_proxy_hosts = {"localhost", ".internal", "10.0.0.0/8"};
  return p;
}

conf::EndpointProxy endpoint(Mode mode) {
  conf::EndpointProxy e;
  e.mode = mode;
  e.custom.enabled = true;
  e.custom.host = "edge-proxy";
  e.custom.port = 8080;
  e.custom.non_proxy_hosts = {"direct.example"};
  e.custom.http_mode = conf::HttpProxyMode::Forward;
  return e;
}

struct Case {
  std::string name;
  conf::ProxyConfig global;
  conf::EndpointProxy endpoint;
  bool internal;
  std::string host;
  uint16_t port;
  std::string want_host;  // "" = direct
  uint16_t want_port;
  bool want_connect_for_http;
};

std::vector<Case> cases() {
  conf::ProxyConfig no_host = global(true, true);
  no_host.host.clear();
  conf::ProxyConfig forward = global(true, true);
  forward.http_mode = conf::HttpProxyMode::Forward;
  conf::ProxyConfig no_list = global(true, false);
  no_list.non_proxy_hosts.clear();
  return {
      {"inherit_enabled", global(true, false), endpoint(Mode::Inherit), false, "api.example.com",
       443, "squid.corp", 3128, true},
      {"inherit_disabled", global(false, true), endpoint(Mode::Inherit), false, "api.example.com",
       443, "", 0, false},
      {"internal_uses_enable_internal", global(false, true), endpoint(Mode::Inherit), true,
       "km.example.com", 443, "squid.corp", 3128, true},
      {"internal_disabled_even_if_enabled", global(true, false), endpoint(Mode::Inherit), true,
       "km.example.com", 443, "", 0, false},
      {"non_proxy_host_exact", global(true, true), endpoint(Mode::Inherit), false, "localhost",
       8080, "", 0, false},
      {"non_proxy_host_domain", global(true, true), endpoint(Mode::Inherit), true, "etcd.internal",
       2379, "", 0, false},
      {"non_proxy_host_cidr", global(true, true), endpoint(Mode::Inherit), false, "10.9.8.7", 80,
       "", 0, false},
      {"no_list", no_list, endpoint(Mode::Inherit), false, "localhost", 80, "squid.corp", 3128,
       true},
      {"empty_host_is_no_proxy", no_host, endpoint(Mode::Inherit), false, "api.example.com", 443,
       "", 0, false},
      {"forward_mode", forward, endpoint(Mode::Inherit), false, "api.example.com", 80, "squid.corp",
       3128, false},
      {"endpoint_none", global(true, true), endpoint(Mode::None), false, "api.example.com", 443, "",
       0, false},
      {"endpoint_custom", global(false, false), endpoint(Mode::Custom), false, "api.example.com",
       443, "edge-proxy", 8080, false},
      {"endpoint_custom_own_non_proxy", global(true, true), endpoint(Mode::Custom), false,
       "direct.example", 443, "", 0, false},
      {"endpoint_custom_ignores_global_list", global(true, true), endpoint(Mode::Custom), false,
       "localhost", 443, "edge-proxy", 8080, false},
  };
}

class ResolverTableTest : public ::testing::TestWithParam<Case> {};

TEST_P(ResolverTableTest, Resolves) {
  const Case& c = GetParam();
  std::optional<ProxyServer> got = resolveProxy(c.global, c.endpoint, c.internal, c.host, c.port);
  if (c.want_host.empty()) {
    EXPECT_FALSE(got.has_value()) << got->host;
    return;
  }
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->host, c.want_host);
  EXPECT_EQ(got->port, c.want_port);
  EXPECT_EQ(got->connect_for_http, c.want_connect_for_http);
}

INSTANTIATE_TEST_SUITE_P(Table, ResolverTableTest, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

TEST(ResolveProxy, CopiesCredentials) {
  std::optional<ProxyServer> got = resolveInternalProxy(global(false, true), "km", 443);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->username, "gw");
  EXPECT_EQ(got->password, "s3cret");
}

}  // namespace
}  // namespace gw::proxy
