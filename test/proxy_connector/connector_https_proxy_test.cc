// TLS to the proxy: an https FakeProxy, with http and https (TLS in TLS)
// targets behind it, a wrong proxy CA, credentials only inside TLS, and TLS
// session resumption to backends.

#include <event2/bufferevent_ssl.h>

#include "test/proxy_connector/connector_test_util.h"
#include "test/proxy_connector/test_certs.h"

namespace gw::proxy {
namespace {

class ConnectorHttpsProxyTest : public ConnectorTest {
 protected:
  ConnectorHttpsProxyTest()
      : backend_pki_(testing::makeTestPki("backend CA", "DNS:localhost,IP:127.0.0.1")),
        proxy_pki_(testing::makeTestPki("proxy CA", "DNS:localhost,IP:127.0.0.1")),
        backend_ca_(testing::writeTempFile("backend-ca.pem", backend_pki_.ca_pem)),
        proxy_ca_(testing::writeTempFile("proxy-ca.pem", proxy_pki_.ca_pem)),
        tls_backend_(dispatcher_->base(), backend_pki_.server_ctx.get()),
        plain_backend_(dispatcher_->base()),
        proxy_(dispatcher_->base(), proxy_pki_.server_ctx.get()) {
    proxy_.required_auth = basicAuth();
  }

  ConnectorOptions options() {
    ConnectorOptions o;
    o.tls.trust_store_path = backend_ca_;
    o.connect_timeout = milliseconds(2000);
    return o;
  }

  ConnectRequest viaTlsProxy(std::string scheme, uint16_t port, std::string ca) {
    ConnectRequest r = viaProxy(proxy_, std::move(scheme), "localhost", port);
    r.proxy->host = "localhost";
    r.proxy->scheme = "https";
    r.proxy->trust_store_path = std::move(ca);
    return r;
  }

  testing::TestPki backend_pki_;
  testing::TestPki proxy_pki_;
  std::string backend_ca_;
  std::string proxy_ca_;
  EchoServer tls_backend_;
  EchoServer plain_backend_;
  FakeProxy proxy_;
};

TEST_F(ConnectorHttpsProxyTest, PlainBackendThroughTlsProxy) {
  proxy_.upstream_port = plain_backend_.port();
  ConnectorPtr c = make(options());
  Recorder rec;
  connect(*c, viaTlsProxy("http", plain_backend_.port(), proxy_ca_), rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  EXPECT_EQ(roundTrip(rec, "over proxy tls"), "over proxy tls");
  // The proxy saw the credentials, so they came through its TLS.
  ASSERT_EQ(proxy_.heads.size(), 1u);
  EXPECT_NE(proxy_.heads[0].find("Proxy-Authorization: " + basicAuth()), std::string::npos);
  // TLS to the proxy runs on the socket itself: one layer.
  EXPECT_NE(bufferevent_openssl_get_ssl(rec.conn->bev()), nullptr);
  EXPECT_EQ(bufferevent_get_underlying(rec.conn->bev()), nullptr);
  EXPECT_EQ(rec.conn->negotiatedProtocol(), "");  // no ALPN on a plain target
}

TEST_F(ConnectorHttpsProxyTest, TlsInTlsAndPooled) {
  proxy_.upstream_port = tls_backend_.port();
  ConnectorPtr c = make(options());
  Recorder rec;
  connect(*c, viaTlsProxy("https", tls_backend_.port(), proxy_ca_), rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  EXPECT_EQ(roundTrip(rec, "tls in tls"), "tls in tls");
  // The backend's TLS filter over the proxy's TLS on the socket.
  ASSERT_NE(bufferevent_openssl_get_ssl(rec.conn->bev()), nullptr);
  bufferevent* proxy_layer = bufferevent_get_underlying(rec.conn->bev());
  ASSERT_NE(proxy_layer, nullptr);
  ASSERT_NE(bufferevent_openssl_get_ssl(proxy_layer), nullptr);
  EXPECT_NE(bufferevent_openssl_get_ssl(proxy_layer), bufferevent_openssl_get_ssl(rec.conn->bev()));
  EXPECT_EQ(bufferevent_get_underlying(proxy_layer), nullptr);
  c->release(std::move(rec.conn), true);
  Recorder again;
  connect(*c, viaTlsProxy("https", tls_backend_.port(), proxy_ca_), again);
  ASSERT_TRUE(again.conn);
  EXPECT_TRUE(again.conn->reused());
  EXPECT_EQ(roundTrip(again, "pooled tls in tls"), "pooled tls in tls");
  EXPECT_EQ(proxy_.accepted(), 1);
}

TEST_F(ConnectorHttpsProxyTest, WrongProxyCaNamesProxyTrustStore) {
  proxy_.upstream_port = plain_backend_.port();
  ConnectorPtr c = make(options());
  Recorder rec;
  // The backend's CA does not sign the proxy's certificate.
  connect(*c, viaTlsProxy("http", plain_backend_.port(), backend_ca_), rec);
  ASSERT_TRUE(rec.failure.has_value());
  EXPECT_EQ(rec.failure->reason, FailureReason::TlsVerify) << rec.failure->detail;
  EXPECT_EQ(rec.failure->http_status, 502);
  EXPECT_EQ(rec.failure->message, "proxy certificate verification failed");
  EXPECT_NE(rec.failure->detail.find("proxyTrustStorePath " + backend_ca_), std::string::npos)
      << rec.failure->detail;
  EXPECT_EQ(rec.failure->detail.find(kPassword), std::string::npos);
  // The CONNECT and its credentials were never sent.
  EXPECT_TRUE(proxy_.heads.empty());
}

TEST_F(ConnectorHttpsProxyTest, PlainProxyPortFailsTheTlsStep) {
  // A plain proxy takes the ClientHello for the start of a request head and
  // waits for the rest: the TLS step, not TCP, is named as the silent hop.
  FakeProxy plain_proxy(dispatcher_->base());
  plain_proxy.upstream_port = plain_backend_.port();
  ConnectorOptions o = options();
  o.connect_timeout = milliseconds(300);
  ConnectorPtr c = make(o);
  Recorder rec;
  ConnectRequest r = viaTlsProxy("http", plain_backend_.port(), proxy_ca_);
  r.proxy->port = plain_proxy.port();
  connect(*c, r, rec);
  ASSERT_TRUE(rec.failure.has_value());
  EXPECT_EQ(rec.failure->reason, FailureReason::Timeout) << rec.failure->detail;
  EXPECT_NE(rec.failure->detail.find("did not complete the TLS handshake"), std::string::npos)
      << rec.failure->detail;
  EXPECT_NE(rec.failure->detail.find("httpClients.proxy.protocol"), std::string::npos)
      << rec.failure->detail;
  EXPECT_TRUE(plain_proxy.heads.empty());  // no plaintext CONNECT reached it
}

TEST_F(ConnectorHttpsProxyTest, RefusedProxyIsATcpFailure) {
  ConnectorPtr c = make(options());
  Recorder rec;
  ConnectRequest r = viaTlsProxy("https", tls_backend_.port(), proxy_ca_);
  r.proxy->host = "127.0.0.1";
  r.proxy->port = testing::closedPort();
  connect(*c, r, rec);
  ASSERT_TRUE(rec.failure.has_value());
  EXPECT_EQ(rec.failure->reason, FailureReason::Refused) << rec.failure->detail;
  EXPECT_EQ(rec.failure->message, "proxy unreachable");
}

TEST_F(ConnectorHttpsProxyTest, UnreadableProxyTrustStore) {
  ConnectorPtr c = make(options());
  Recorder rec;
  connect(*c, viaTlsProxy("http", plain_backend_.port(), "/nonexistent/proxy-ca.pem"), rec);
  ASSERT_TRUE(rec.failure.has_value());
  EXPECT_EQ(rec.failure->reason, FailureReason::TlsHandshake);
  EXPECT_NE(rec.failure->detail.find("httpClients.proxy.proxyTrustStorePath"), std::string::npos)
      << rec.failure->detail;
  EXPECT_EQ(proxy_.accepted(), 0);
}

// A server-side ALPN choice: the first protocol the client offers that is in
// `arg` (a wire-format list).
int selectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void* arg) {
  const auto* supported = static_cast<const std::string*>(arg);
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(
          &chosen, outlen, reinterpret_cast<const unsigned char*>(supported->data()),
          static_cast<unsigned int>(supported->size()), in, inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

TEST_F(ConnectorHttpsProxyTest, NegotiatedProtocolReportedInsideTunnel) {
  static const std::string kServerProtocols = std::string("\x02h2\x08http/1.1", 12);
  SSL_CTX_set_alpn_select_cb(backend_pki_.server_ctx.get(), &selectAlpn,
                             const_cast<std::string*>(&kServerProtocols));
  proxy_.upstream_port = tls_backend_.port();
  ConnectorPtr c = make(options());
  Recorder rec;
  connect(*c, viaTlsProxy("https", tls_backend_.port(), proxy_ca_), rec);
  ASSERT_TRUE(rec.conn) << rec.failure->detail;
  // Only http/1.1 is offered (backendAlpn()), although the server prefers h2.
  EXPECT_EQ(rec.conn->negotiatedProtocol(), "http/1.1");
  EXPECT_EQ(roundTrip(rec, "alpn"), "alpn");
  c->release(std::move(rec.conn), true);
  Recorder again;
  connect(*c, viaTlsProxy("https", tls_backend_.port(), proxy_ca_), again);
  ASSERT_TRUE(again.conn);
  EXPECT_TRUE(again.conn->reused());
  EXPECT_EQ(again.conn->negotiatedProtocol(), "http/1.1");
}

TEST_F(ConnectorHttpsProxyTest, BackendSessionResumed) {
  ConnectorOptions o = options();
  o.pool_idle_timeout = milliseconds(0);  // no pooling: every connect handshakes
  ConnectorPtr c = make(o);
  ConnectRequest r;
  r.target = {"https", "localhost", tls_backend_.port()};
  bool resumed = false;
  for (int i = 0; i < 3 && !resumed; ++i) {
    Recorder rec;
    connect(*c, r, rec);
    ASSERT_TRUE(rec.conn) << rec.failure->detail;
    // A round trip lets the TLS 1.3 ticket arrive before the next handshake.
    EXPECT_EQ(roundTrip(rec, "resume"), "resume");
    SSL* ssl = bufferevent_openssl_get_ssl(rec.conn->bev());
    ASSERT_NE(ssl, nullptr);
    if (i > 0) resumed = SSL_session_reused(ssl) == 1;
    c->release(std::move(rec.conn), false);
  }
  EXPECT_TRUE(resumed);
}

}  // namespace
}  // namespace gw::proxy
