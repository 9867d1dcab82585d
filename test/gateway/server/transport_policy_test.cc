#include "gateway/server/transport_policy.h"

#include <gtest/gtest.h>

#include <memory>

namespace gw::server {
namespace {

// "MIIB" + "abc=" split over PEM lines.
constexpr char kPem[] = "-----BEGIN CERTIFICATE-----\nMIIB\nabc=\n-----END CERTIFICATE-----\n";

struct Api {
  std::shared_ptr<const router::RouteTable> routes;
  router::RouteMatch match;
};

Api route(bool mandatory, bool http, bool https) {
  conf::ApiDefinition a;
  a.title = "Pets";
  a.base_path = "/pets";
  a.mutual_ssl_mandatory = mandatory;
  a.transport_http = http;
  a.transport_https = https;
  conf::Operation op;
  op.path_template = "/";
  op.method = "GET";
  op.disable_security = true;
  a.operations.push_back(op);
  Api out;
  out.routes = *router::RouteTable::build({std::move(a)});
  out.match = out.routes->match("GET", "/pets/");
  return out;
}

DownstreamTransport tlsWithCert() {
  DownstreamTransport t;
  t.tls = true;
  t.client_cert_pem = kPem;
  t.client_cert_verified = true;
  return t;
}

TEST(TransportPolicy, ForgedHeaderIsRemovedAndTheVerifiedCertificateAdded) {
  conf::ListenerTlsConfig tls;
  Api api = route(false, true, true);
  http::HeaderMap headers;
  headers.add("X-WSO2-Client-Certificate", "forged");
  EXPECT_FALSE(applyTransportPolicy(api.match, DownstreamTransport{}, tls, headers));
  EXPECT_FALSE(headers.has("x-wso2-client-certificate"));

  headers.add("x-wso2-client-certificate", "forged");
  EXPECT_FALSE(applyTransportPolicy(api.match, tlsWithCert(), tls, headers));
  ASSERT_EQ(headers.count("x-wso2-client-certificate"), 1u);
  EXPECT_EQ(*headers.get("x-wso2-client-certificate"), "MIIBabc=");

  // Another header name, and no API matched: still removed and added.
  tls.certificate_header_name = "X-Client-Cert";
  router::RouteMatch none;
  headers.clear();
  headers.add("x-client-cert", "forged");
  EXPECT_FALSE(applyTransportPolicy(none, tlsWithCert(), tls, headers));
  EXPECT_EQ(*headers.get("x-client-cert"), "MIIBabc=");
}

TEST(TransportPolicy, MandatoryMutualSslNeedsAVerifiedCertificateOverTls) {
  conf::ListenerTlsConfig tls;
  Api api = route(true, true, true);
  http::HeaderMap headers;
  auto refused = applyTransportPolicy(api.match, DownstreamTransport{}, tls, headers);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_NE(refused->description.find("x-wso2-mutual-ssl: mandatory"), std::string::npos);
  DownstreamTransport anonymous;
  anonymous.tls = true;
  EXPECT_TRUE(applyTransportPolicy(api.match, anonymous, tls, headers));
  DownstreamTransport unverified = tlsWithCert();
  unverified.client_cert_verified = false;
  EXPECT_TRUE(applyTransportPolicy(api.match, unverified, tls, headers));
  EXPECT_FALSE(applyTransportPolicy(api.match, tlsWithCert(), tls, headers));
}

TEST(TransportPolicy, TransportsTheApiDoesNotListAreRefused) {
  conf::ListenerTlsConfig tls;
  http::HeaderMap headers;
  Api https_only = route(false, false, true);
  auto refused = applyTransportPolicy(https_only.match, DownstreamTransport{}, tls, headers);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_NE(refused->description.find("served over https only"), std::string::npos);
  EXPECT_NE(refused->description.find("httpsPort"), std::string::npos);
  EXPECT_FALSE(applyTransportPolicy(https_only.match, tlsWithCert(), tls, headers));
  Api http_only = route(false, true, false);
  refused = applyTransportPolicy(http_only.match, tlsWithCert(), tls, headers);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->description.find("served over http only"), std::string::npos);
  EXPECT_FALSE(applyTransportPolicy(http_only.match, DownstreamTransport{}, tls, headers));
}

TEST(CertificateHeaderValue, IsThePemBodyOnOneLine) {
  EXPECT_EQ(certificateHeaderValue(kPem), "MIIBabc=");
  EXPECT_EQ(certificateHeaderValue("not a certificate"), "");
  EXPECT_EQ(certificateHeaderValue("-----BEGIN CERTIFICATE-----\nMIIB"), "");
}

}  // namespace
}  // namespace gw::server
