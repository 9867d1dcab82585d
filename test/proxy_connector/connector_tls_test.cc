// TLS to a fake backend, direct and inside a CONNECT tunnel, with a PKI
// generated at test time.

#include "gateway/common/bev_write.h"
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

  // Straight to the TLS backend, no proxy.
  ConnectRequest direct() const {
    ConnectRequest req;
    req.target = {"https", "127.0.0.1", backend_.port()};
    return req;
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
  connect(*c, direct(), rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  EXPECT_EQ(roundTrip(rec, "direct tls"), "direct tls");
}

// A TLS connection to a backend is written like a plain socket: flushOutput()
// calls SSL_write at once and leaves no write event armed; what the socket
// does not take goes out through libevent once it drains (onOutputDrained()
// disarms EV_WRITE again), in order and whole.
TEST_F(ConnectorTlsTest, FlushOutputWritesTlsAtOnce) {
  ConnectorPtr c = make(withCa(ca_file_));
  Recorder rec;
  const ConnectRequest req = direct();
  connect(*c, req, rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  bufferevent* bev = rec.conn->bev();
  const gw::net::WritePath path = gw::net::writePathOf(bev);
  ASSERT_TRUE(path.direct());
  bufferevent_setcb(
      bev, &Recorder::readCb,
      [](bufferevent* b, void*) { gw::net::onOutputDrained(b, gw::net::writePathOf(b)); }, nullptr,
      &rec);
  bufferevent_enable(bev, EV_READ);
  bufferevent_disable(bev, EV_WRITE);

  evbuffer* out = bufferevent_get_output(bev);
  evbuffer_add(out, "GET / HTTP/1.1\r\n", 16);
  evbuffer_add(out, "\r\n", 2);  // a second chunk: one record for both
  gw::net::flushOutput(bev, path);
  EXPECT_EQ(evbuffer_get_length(out), 0u);  // written before the loop ran again
  EXPECT_EQ(bufferevent_get_enabled(bev) & EV_WRITE, 0);
  ASSERT_TRUE(runUntil([&] { return rec.received.size() >= 18; }));
  EXPECT_EQ(rec.received, "GET / HTTP/1.1\r\n\r\n");

  std::string big(8 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 23);
  rec.received.clear();
  evbuffer_add(out, big.data(), big.size());
  gw::net::flushOutput(bev, path);
  EXPECT_GT(evbuffer_get_length(out), 0u);  // more than the socket takes at once
  EXPECT_NE(bufferevent_get_enabled(bev) & EV_WRITE, 0);
  ASSERT_TRUE(runUntil([&] { return rec.received.size() >= big.size(); }, milliseconds(20000)));
  EXPECT_TRUE(rec.received == big);
  EXPECT_EQ(evbuffer_get_length(out), 0u);
  EXPECT_EQ(bufferevent_get_enabled(bev) & EV_WRITE, 0);

  // Pooled and taken again: still written at once.
  bufferevent_setcb(bev, nullptr, nullptr, nullptr, nullptr);
  c->release(std::move(rec.conn), true);
  Recorder again;
  connect(*c, req, again);
  ASSERT_TRUE(again.conn);
  EXPECT_TRUE(again.conn->reused());
  bev = again.conn->bev();
  bufferevent_setcb(bev, &Recorder::readCb, nullptr, nullptr, &again);
  bufferevent_enable(bev, EV_READ);
  bufferevent_disable(bev, EV_WRITE);
  evbuffer_add(bufferevent_get_output(bev), "again", 5);
  gw::net::flushOutput(bev, path);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 0u);
  ASSERT_TRUE(runUntil([&] { return again.received.size() >= 5; }));
  EXPECT_EQ(again.received, "again");
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
