// TLS to a fake backend, direct and inside a CONNECT tunnel, with a PKI
// generated at test time.

#include "test/proxy_connector/connector_test_util.h"
#include "test/proxy_connector/test_certs.h"

namespace gw::proxy {
namespace {

class ConnectorTlsTest : public ConnectorTest {
 protected:
  ConnectorTlsTest()
      : pki_(testing::makeTestPki("microgw test CA", "DNS:localhost,IP:127.0.0.1")),
        other_(testing::makeTestPki("some other CA", "DNS:localhost")),
        ca_file_(testing::writeTempFile("ca.pem", pki_.ca_pem)),
        other_ca_file_(testing::writeTempFile("other-ca.pem", other_.ca_pem)),
        backend_(dispatcher_->base(), pki_.server_ctx.get()),
        proxy_(dispatcher_->base()) {
    proxy_.upstream_port = backend_.port();
    proxy_.required_auth = basicAuth();
  }

  ConnectorOptions withCa(const std::string& path) {
    ConnectorOptions o;
    o.tls.trust_store_path = path;
    o.connect_timeout = milliseconds(2000);
    return o;
  }

  testing::TestPki pki_;
  testing::TestPki other_;
  std::string ca_file_;
  std::string other_ca_file_;
  EchoServer backend_;
  FakeProxy proxy_;
};

TEST_F(ConnectorTlsTest, ThroughProxyVerified) {
  ConnectorPtr c = make(withCa(ca_file_));
  Recorder rec;
  connect(*c, viaProxy(proxy_, "https", "localhost", backend_.port()), rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  EXPECT_NE(rec.conn->describe().find("(tls)"), std::string::npos);
  EXPECT_EQ(roundTrip(rec, "over tls"), "over tls");
  ASSERT_EQ(proxy_.heads.size(), 1u);
  EXPECT_EQ(proxy_.heads[0].rfind("CONNECT localhost:" + std::to_string(backend_.port()), 0), 0u);

  // The TLS stream is pooled like any other.
  c->release(std::move(rec.conn), true);
  Recorder again;
  connect(*c, viaProxy(proxy_, "https", "localhost", backend_.port()), again);
  ASSERT_TRUE(again.conn);
  EXPECT_TRUE(again.conn->reused());
  EXPECT_EQ(roundTrip(again, "still tls"), "still tls");
  EXPECT_EQ(proxy_.accepted(), 1);
}

TEST_F(ConnectorTlsTest, IpLiteralVerifiedAgainstIpSan) {
  ConnectorPtr c = make(withCa(ca_file_));
  Recorder rec;
  connect(*c, viaProxy(proxy_, "https", "127.0.0.1", backend_.port()), rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  EXPECT_EQ(roundTrip(rec, "ip"), "ip");
}

TEST_F(ConnectorTlsTest, DirectVerified) {
  ConnectorPtr c = make(withCa(ca_file_));
  Recorder rec;
  ConnectRequest req;
  req.target = {"https", "127.0.0.1", backend_.port()};
  connect(*c, req, rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  EXPECT_EQ(roundTrip(rec, "direct tls"), "direct tls");
}

TEST_F(ConnectorTlsTest, WrongCaFailsVerification) {
  ConnectorPtr c = make(withCa(other_ca_file_));
  Recorder rec;
  connect(*c, viaProxy(proxy_, "https", "localhost", backend_.port()), rec);
  ASSERT_TRUE(rec.failure.has_value());
  EXPECT_EQ(rec.failure->reason, FailureReason::TlsVerify) << rec.failure->detail;
  EXPECT_EQ(rec.failure->http_status, 502);
  EXPECT_NE(rec.failure->detail.find("unable to get local issuer certificate"), std::string::npos)
      << rec.failure->detail;
  EXPECT_NE(rec.failure->detail.find(other_ca_file_), std::string::npos);
  EXPECT_EQ(rec.failure->detail.find(kPassword), std::string::npos);
  EXPECT_EQ(counter("microgw_proxy_tunnel_failures_total", {{"reason", "tls"}}), 1u);
}

TEST_F(ConnectorTlsTest, HostnameMismatchFails) {
  ConnectorPtr c = make(withCa(ca_file_));
  Recorder rec;
  // The fake proxy relays to the backend whatever the name; the cert has no such IP.
  connect(*c, viaProxy(proxy_, "https", "127.0.0.2", backend_.port()), rec);
  ASSERT_TRUE(rec.failure.has_value());
  EXPECT_EQ(rec.failure->reason, FailureReason::TlsVerify) << rec.failure->detail;
  EXPECT_NE(rec.failure->detail.find("mismatch"), std::string::npos) << rec.failure->detail;
}

TEST_F(ConnectorTlsTest, DisabledVerificationAcceptsAnyCert) {
  ConnectorOptions o = withCa(other_ca_file_);
  o.tls.disable_verification = true;
  ConnectorPtr c = make(o);
  Recorder rec;
  connect(*c, viaProxy(proxy_, "https", "127.0.0.2", backend_.port()), rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  EXPECT_EQ(roundTrip(rec, "unverified"), "unverified");
}

TEST_F(ConnectorTlsTest, UnreadableTrustStore) {
  ConnectorPtr c = make(withCa("/nonexistent/ca.pem"));
  Recorder rec;
  connect(*c, viaProxy(proxy_, "https", "localhost", backend_.port()), rec);
  ASSERT_TRUE(rec.failure.has_value());
  EXPECT_EQ(rec.failure->reason, FailureReason::TlsHandshake);
  EXPECT_NE(rec.failure->detail.find("/nonexistent/ca.pem"), std::string::npos)
      << rec.failure->detail;
}

}  // namespace
}  // namespace gw::proxy
