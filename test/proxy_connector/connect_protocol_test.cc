#include "proxy_connector/connect_protocol.h"

#include <gtest/gtest.h>
#include <netdb.h>
#include <openssl/x509_vfy.h>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

namespace gw::proxy {
namespace {

constexpr char kPassword[] = "pa55-w0rd!";

ConnectRequest proxied(std::string scheme, std::string host, uint16_t port,
                       std::string user = "gw") {
  ConnectRequest r;
  r.target = {std::move(scheme), std::move(host), port};
  ProxyServer p;
  p.host = "127.0.0.1";
  p.port = 3128;
  p.username = std::move(user);
  p.password = kPassword;
  r.proxy = p;
  return r;
}

TEST(ConnectProtocol, RequestHeadWithAuth) {
  ConnectRequest r = proxied("https", "api.example.com", 8443, "user");
  r.proxy->password = "pass";
  EXPECT_EQ(connectRequestHead(r.target, *r.proxy),
            "CONNECT api.example.com:8443 HTTP/1.1\r\nHost: api.example.com:8443\r\n"
            "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n");
}

TEST(ConnectProtocol, RequestHeadIpv6NoAuth) {
  ConnectRequest r = proxied("https", "2001:db8::1", 443, "");
  EXPECT_EQ(connectRequestHead(r.target, *r.proxy),
            "CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n");
}

TEST(ConnectProtocol, BasicAuthorization) {
  ProxyServer p;
  p.username = "Aladdin";
  p.password = "open sesame";
  EXPECT_EQ(basicProxyAuthorization(p), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  p.username.clear();
  EXPECT_EQ(basicProxyAuthorization(p), "");
}

TEST(ConnectProtocol, PoolKey) {
  ConnectRequest a = proxied("https", "api", 443);
  ConnectRequest b = a;
  b.proxy->password = "other";
  ConnectRequest c = a;
  c.target.scheme = "http";
  ConnectRequest d = a;
  d.proxy.reset();
  ConnectRequest e = c;
  e.proxy->connect_for_http = false;
  const std::vector<std::string> keys = {poolKey(a), poolKey(b), poolKey(c), poolKey(d),
                                         poolKey(e)};
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(keys[i].find(kPassword), std::string::npos);
    for (size_t j = i + 1; j < keys.size(); ++j) EXPECT_NE(keys[i], keys[j]) << i << " " << j;
  }
  EXPECT_EQ(poolKey(a), poolKey(proxied("https", "api", 443)));
}

TEST(ConnectProtocol, WithPoolKeyFillsOnlyTheKey) {
  const ConnectRequest r = proxied("https", "api", 443);
  EXPECT_TRUE(r.pool_key.empty());
  const ConnectRequest keyed = withPoolKey(r);
  EXPECT_EQ(keyed.pool_key, poolKey(r));
  EXPECT_EQ(keyed.target.authority(), r.target.authority());
  EXPECT_EQ(keyed.proxy->username, r.proxy->username);
  // The key is of the request's own fields: the key field does not feed it.
  EXPECT_EQ(poolKey(keyed), poolKey(r));
}

TEST(ConnectProtocol, AbsoluteFormOnlyForPlainHttpWithoutConnect) {
  ConnectRequest r = proxied("http", "api", 80);
  EXPECT_FALSE(usesAbsoluteForm(r));
  r.proxy->connect_for_http = false;
  EXPECT_TRUE(usesAbsoluteForm(r));
  r.target.scheme = "https";
  EXPECT_FALSE(usesAbsoluteForm(r));
  EXPECT_EQ(describeRoute(r), "api:80 (tls) via proxy 127.0.0.1:3128");
}

struct RejectCase {
  int status;
  FailureReason reason;
  int http_status;
  std::string metric;
  std::vector<std::string> detail_has;
};

class RejectTableTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(RejectTableTest, Maps) {
  const RejectCase& c = GetParam();
  ConnectRequest r = proxied("http", "backend.local", 8080);
  ConnectFailure f = proxyRejectedFailure(r, c.status, "Reason", "Basic realm=\"squid\"");
  EXPECT_EQ(f.reason, c.reason);
  EXPECT_EQ(f.http_status, c.http_status);
  EXPECT_EQ(f.proxy_status, c.status);
  EXPECT_EQ(failureMetricLabel(f.reason), c.metric);
  EXPECT_FALSE(f.message.empty());
  for (const std::string& s : c.detail_has)
    EXPECT_NE(f.detail.find(s), std::string::npos) << f.detail;
  EXPECT_EQ(f.detail.find(kPassword), std::string::npos);
  EXPECT_EQ(f.message.find(kPassword), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Table, RejectTableTest,
    ::testing::Values(
        RejectCase{407,
                   FailureReason::ProxyAuth,
                   502,
                   "auth",
                   {"127.0.0.1:3128", "407", "httpClients.proxy.username/password",
                    "Basic realm=\"squid\""}},
        RejectCase{403,
                   FailureReason::ProxyForbidden,
                   502,
                   "forbidden",
                   {"port 8080", "http_access deny CONNECT !SSL_ports", "backend.local:8080"}},
        RejectCase{502, FailureReason::ProxyUnavailable, 502, "unavailable", {"backend.local"}},
        RejectCase{503, FailureReason::ProxyUnavailable, 502, "unavailable", {"503"}},
        RejectCase{504, FailureReason::ProxyTimeout, 504, "timeout", {"504"}},
        RejectCase{418, FailureReason::ProxyOther, 502, "other", {"418"}}));

TEST(ConnectProtocol, AuthMessageText) {
  ConnectFailure f = proxyRejectedFailure(proxied("https", "a", 443), 407, "Auth", "");
  EXPECT_EQ(f.message, "proxy authentication failed");
}

TEST(ConnectProtocol, TcpFailures) {
  ConnectFailure f = tcpFailure(proxied("https", "a", 443), 0, ECONNREFUSED);
  EXPECT_EQ(f.reason, FailureReason::Refused);
  EXPECT_EQ(f.http_status, 502);
  EXPECT_NE(f.detail.find("proxy 127.0.0.1:3128"), std::string::npos) << f.detail;
  EXPECT_NE(f.detail.find("refused"), std::string::npos) << f.detail;
  f = tcpFailure(proxied("https", "a", 443), EAI_NONAME, 0);
  EXPECT_EQ(f.reason, FailureReason::Resolve);
  ConnectRequest direct;
  direct.target = {"http", "b", 81};
  f = tcpFailure(direct, 0, ECONNREFUSED);
  EXPECT_NE(f.detail.find("backend b:81"), std::string::npos) << f.detail;
}

TEST(ConnectProtocol, TlsAndTimeoutFailures) {
  TlsOptions tls;
  tls.trust_store_path = "/etc/ca.pem";
  ConnectFailure f =
      tlsFailure(proxied("https", "a", 443), tls, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, "");
  EXPECT_EQ(f.reason, FailureReason::TlsVerify);
  EXPECT_NE(f.detail.find("unable to get local issuer certificate"), std::string::npos) << f.detail;
  EXPECT_NE(f.detail.find("/etc/ca.pem"), std::string::npos);
  f = tlsFailure(proxied("https", "a", 443), tls, X509_V_OK, "bad record");
  EXPECT_EQ(f.reason, FailureReason::TlsHandshake);
  f = timeoutFailure(proxied("https", "a", 443), "waiting", std::chrono::milliseconds(250));
  EXPECT_EQ(f.reason, FailureReason::Timeout);
  EXPECT_EQ(f.http_status, 504);
  EXPECT_NE(f.detail.find("250 ms"), std::string::npos);
}

using Headers = std::map<std::string, std::string>;

Connector::HeaderLookup lookup(const Headers& h) {
  return [&h](const std::string& name) {
    auto it = h.find(name);
    return it == h.end() ? std::string() : it->second;
  };
}

struct ForwardCase {
  const char* name;
  int status;
  Headers headers;
  bool from_proxy;
};

class ForwardAnswerTest : public ::testing::TestWithParam<ForwardCase> {};

TEST_P(ForwardAnswerTest, TellsProxyFromBackend) {
  const ForwardCase& c = GetParam();
  EXPECT_EQ(forwardAnswerFromProxy(c.status, lookup(c.headers)), c.from_proxy) << c.name;
}

// Header sets as Squid 5.7 and tinyproxy 1.11 send them (captured on loopback).
INSTANTIATE_TEST_SUITE_P(
    Table, ForwardAnswerTest,
    ::testing::Values(
        ForwardCase{"squid_407",
                    407,
                    {{"server", "squid/5.7"},
                     {"x-squid-error", "ERR_CACHE_ACCESS_DENIED 0"},
                     {"proxy-authenticate", "Basic realm=\"x\""},
                     {"via", "1.1 h (squid/5.7)"}},
                    true},
        ForwardCase{"bare_407", 407, {}, true},
        ForwardCase{"squid_connect_fail_503",
                    503,
                    {{"server", "squid/5.7"},
                     {"x-squid-error", "ERR_CONNECT_FAIL 111"},
                     {"via", "1.1 h (squid/5.7)"}},
                    true},
        ForwardCase{"squid_acl_403", 403, {{"x-squid-error", "ERR_ACCESS_DENIED 0"}}, true},
        ForwardCase{"backend_503_via_squid",
                    503,
                    {{"server", "mgw-test-backend"}, {"via", "1.1 h (squid/5.7)"}},
                    false},
        ForwardCase{"backend_403", 403, {{"server", "nginx"}}, false},
        ForwardCase{"tinyproxy_500", 500, {{"server", "tinyproxy/1.11.1"}}, true},
        ForwardCase{"backend_503_via_tinyproxy",
                    503,
                    {{"server", "mgw-test-backend"}, {"via", "1.1 vm (tinyproxy/1.11.1)"}},
                    false},
        ForwardCase{
            "proxy_status_error", 502, {{"proxy-status", "envoy; error=connection_refused"}}, true},
        ForwardCase{
            "proxy_status_no_error", 502, {{"proxy-status", "envoy; received-status=502"}}, false},
        ForwardCase{"squid_header_on_2xx", 200, {{"x-squid-error", "x"}}, false}),
    [](const ::testing::TestParamInfo<ForwardCase>& i) { return std::string(i.param.name); });

// Regression (issue 6): forward mode must give the client the same status and
// message as CONNECT mode for the same refusal.
TEST(ConnectProtocol, ForwardRefusalsMatchConnectRefusals) {
  ConnectRequest r = proxied("http", "backend.local", 8080);
  const Headers squid = {{"x-squid-error", "ERR_CONNECT_FAIL 111"},
                         {"proxy-authenticate", "Basic realm=\"corp\""}};
  for (int status : {407, 403, 500, 502, 503, 504, 418}) {
    ConnectFailure fwd = forwardRefusedFailure(r, status, lookup(squid));
    ConnectFailure con = proxyRejectedFailure(r, status == 500 ? 502 : status, "R", "x");
    EXPECT_EQ(fwd.reason, con.reason) << status;
    EXPECT_EQ(fwd.http_status, con.http_status) << status;
    EXPECT_EQ(fwd.message, con.message) << status;
    EXPECT_EQ(fwd.proxy_status, status);
    EXPECT_NE(fwd.detail.find("proxy 127.0.0.1:3128"), std::string::npos) << fwd.detail;
    EXPECT_NE(fwd.detail.find("ERR_CONNECT_FAIL 111"), std::string::npos) << fwd.detail;
    EXPECT_EQ(fwd.detail.find(kPassword), std::string::npos);
  }
  ConnectFailure auth = forwardRefusedFailure(r, 407, lookup(squid));
  EXPECT_NE(auth.detail.find("httpClients.proxy.username/password"), std::string::npos);
}

TEST(ConnectProtocol, SilentHopNamesTheHop) {
  using std::chrono::milliseconds;
  ConnectRequest r = proxied("https", "api", 443);
  ConnectFailure f = silentHopFailure(r, SetupPhase::ProxyAnswer, milliseconds(300),
                                      "advanceEndpointConfig.timeoutInMillis", milliseconds(5000));
  EXPECT_EQ(f.http_status, 504);
  EXPECT_NE(f.detail.find("proxy 127.0.0.1:3128 accepted the connection but did not answer the "
                          "CONNECT api:443 within 300 ms"),
            std::string::npos)
      << f.detail;
  f = silentHopFailure(r, SetupPhase::Tcp, milliseconds(300), "x", milliseconds(5000));
  EXPECT_NE(f.detail.find("proxy 127.0.0.1:3128 did not accept"), std::string::npos) << f.detail;
  f = silentHopFailure(r, SetupPhase::Tls, milliseconds(300), "x", milliseconds(5000));
  EXPECT_NE(f.detail.find("backend api:443 did not complete the TLS handshake"), std::string::npos)
      << f.detail;
  ConnectRequest d;
  d.target = {"http", "b", 81};
  f = silentHopFailure(d, SetupPhase::Tcp, milliseconds(300), "x", milliseconds(5000));
  EXPECT_NE(f.detail.find("backend b:81 did not accept"), std::string::npos) << f.detail;
  f = poolExhaustedFailure(d, 4, milliseconds(30000));
  EXPECT_EQ(f.http_status, 503);
  EXPECT_NE(f.detail.find("all 4 connections to b:81"), std::string::npos) << f.detail;
}

}  // namespace
}  // namespace gw::proxy
