// The transport steps a set-up stacks, per kind of route (table-driven).

#include "proxy_connector/transport_plan.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy_connector/connect_protocol.h"

namespace gw::proxy {
namespace {

std::string plan(const ConnectRequest& r) {
  std::string out;
  for (const TransportStep& s : planTransport(r)) {
    if (!out.empty()) out += " -> ";
    out += std::string(stepName(s.kind)) + "(" + s.host + ":" + std::to_string(s.port) + ")";
  }
  return out;
}

ConnectRequest route(const std::string& scheme, const std::string& proxy_scheme,
                     bool connect_for_http = true) {
  ConnectRequest r;
  r.target = {scheme, "api", 8443};
  if (!proxy_scheme.empty()) {
    ProxyServer p;
    p.host = "px";
    p.port = 3129;
    p.scheme = proxy_scheme;
    p.connect_for_http = connect_for_http;
    r.proxy = p;
  }
  return r;
}

TEST(TransportPlan, StepsPerRoute) {
  struct Case {
    ConnectRequest request;
    std::string want;
  };
  const std::vector<Case> cases = {
      {route("http", ""), "TCP(api:8443)"},
      {route("https", ""), "TCP(api:8443) -> TLS to the backend(api:8443)"},
      {route("http", "http"), "TCP(px:3129) -> CONNECT(api:8443)"},
      {route("https", "http"), "TCP(px:3129) -> CONNECT(api:8443) -> TLS to the backend(api:8443)"},
      {route("http", "https"), "TCP(px:3129) -> TLS to the proxy(px:3129) -> CONNECT(api:8443)"},
      {route("https", "https"),
       "TCP(px:3129) -> TLS to the proxy(px:3129) -> CONNECT(api:8443) -> TLS to the "
       "backend(api:8443)"},
      // Forward (absolute-form) mode: no CONNECT for plain-http targets.
      {route("http", "http", false), "TCP(px:3129)"},
      {route("http", "https", false), "TCP(px:3129) -> TLS to the proxy(px:3129)"},
      {route("https", "https", false),
       "TCP(px:3129) -> TLS to the proxy(px:3129) -> CONNECT(api:8443) -> TLS to the "
       "backend(api:8443)"},
  };
  for (const Case& c : cases) EXPECT_EQ(plan(c.request), c.want) << describeRoute(c.request);
}

TEST(TransportPlan, OfferedProtocolsAndPoolKey) {
  ASSERT_FALSE(backendAlpn().empty());
  EXPECT_EQ(backendAlpn().front(), "http/1.1");
  EXPECT_EQ(carriedProtocol(""), "http/1.1");
  EXPECT_EQ(carriedProtocol("h2"), "h2");
  // The proxy's scheme and the carried protocol are part of the pool key.
  const ConnectRequest plain = route("https", "http");
  const ConnectRequest tls = route("https", "https");
  EXPECT_NE(poolKey(plain), poolKey(tls));
  EXPECT_NE(poolKey(tls, "http/1.1"), poolKey(tls, "h2"));
  EXPECT_EQ(poolKey(tls), poolKey(tls, "http/1.1"));
  EXPECT_EQ(describeRoute(tls), "api:8443 (tls) via https proxy px:3129");
}

}  // namespace
}  // namespace gw::proxy
