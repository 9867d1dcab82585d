#include "gateway/tls/server_context.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <cstdlib>
#include <string>

#include "test/conf/test_stores.h"

namespace gw::tls {
namespace {

using conf::testing::makeTestStores;
using conf::testing::TestStores;

std::string tempDir() {
  const char* t = std::getenv("TEST_TMPDIR");
  return t != nullptr ? t : "/tmp";
}

conf::ListenerTlsConfig keyStoreConfig(const TestStores& s) {
  conf::ListenerTlsConfig tls;
  tls.key_store_path = s.key_p12;
  tls.key_store_password = s.password;
  tls.verify_client = conf::ClientCertMode::None;
  return tls;
}

// Drives a client and a server SSL over an in-memory BIO pair until both
// finish the handshake (true) or one fails (false).
bool handshake(SSL* client, SSL* server) {
  BIO* c = nullptr;
  BIO* s = nullptr;
  BIO_new_bio_pair(&c, 0, &s, 0);
  SSL_set_bio(client, c, c);
  SSL_set_bio(server, s, s);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);
  bool client_done = false, server_done = false;
  for (int i = 0; i < 50 && !(client_done && server_done); ++i) {
    for (auto [ssl, done] :
         {std::pair<SSL*, bool*>{client, &client_done}, {server, &server_done}}) {
      if (*done) continue;
      const int rc = SSL_do_handshake(ssl);
      if (rc == 1) {
        *done = true;
        continue;
      }
      const int err = SSL_get_error(ssl, rc);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return false;
      }
    }
  }
  // TLS 1.3 tickets arrive after the handshake: let the client read them.
  char buf[1];
  SSL_read(client, buf, sizeof(buf));
  ERR_clear_error();
  return client_done && server_done;
}

struct Client {
  SslCtxPtr ctx{SSL_CTX_new(TLS_client_method())};
  SslPtr ssl;
  explicit Client(int max_version = 0) {
    if (max_version != 0) SSL_CTX_set_max_proto_version(ctx.get(), max_version);
    ssl.reset(SSL_new(ctx.get()));
    static const unsigned char kAlpn[] = "\x02h2\x08http/1.1";
    SSL_set_alpn_protos(ssl.get(), kAlpn, sizeof(kAlpn) - 1);
  }
};

class ServerContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = makeTestStores(tempDir(), "gateway", "Store-Pa55");
    client_ = makeTestStores(tempDir(), "client", "Client-Pa55");
  }
  ServerContextPtr make(const conf::ListenerTlsConfig& tls,
                        std::shared_ptr<TicketKeyRing> ring = std::make_shared<TicketKeyRing>(),
                        const std::string& trust = "", const std::string& trust_password = "") {
    absl::StatusOr<ServerContextPtr> ctx =
        ServerContext::create(tls, trust, trust_password, ring, /*http2=*/true);
    EXPECT_TRUE(ctx.ok()) << ctx.status();
    return ctx.ok() ? *ctx : nullptr;
  }
  TestStores server_, client_;
};

TEST_F(ServerContextTest, Pkcs12KeyStoreServesTls13WithHttp11ByAlpn) {
  ServerContextPtr ctx = make(keyStoreConfig(server_));
  ASSERT_NE(ctx, nullptr);
  Client client;
  SslPtr server(SSL_new(ctx->get()));
  ASSERT_TRUE(handshake(client.ssl.get(), server.get()));
  EXPECT_EQ(SSL_version(server.get()), TLS1_3_VERSION);
  const unsigned char* alpn = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(client.ssl.get(), &alpn, &length);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(alpn), length), "h2")
      << "h2 is offered first when HTTP/2 is on";
  X509* peer = SSL_get0_peer_certificate(client.ssl.get());
  ASSERT_NE(peer, nullptr);
  EXPECT_NE(ctx->describeCertificate().find("CN=gateway"), std::string::npos)
      << ctx->describeCertificate();
}

TEST_F(ServerContextTest, PemPairServesTls12) {
  conf::ListenerTlsConfig tls;
  tls.certificate_file = server_.cert_pem;
  tls.key_file = server_.key_pem;
  tls.verify_client = conf::ClientCertMode::None;
  ServerContextPtr ctx = make(tls);
  ASSERT_NE(ctx, nullptr);
  Client client(TLS1_2_VERSION);
  SslPtr server(SSL_new(ctx->get()));
  ASSERT_TRUE(handshake(client.ssl.get(), server.get()));
  EXPECT_EQ(SSL_version(server.get()), TLS1_2_VERSION);
}

TEST_F(ServerContextTest, ProtocolVersionsAreEnforced) {
  conf::ListenerTlsConfig tls = keyStoreConfig(server_);
  tls.min_version = tls.max_version = TLS1_3_VERSION;
  ServerContextPtr ctx = make(tls);
  ASSERT_NE(ctx, nullptr);
  Client client(TLS1_2_VERSION);
  SslPtr server(SSL_new(ctx->get()));
  EXPECT_FALSE(handshake(client.ssl.get(), server.get()));
}

TEST_F(ServerContextTest, WrongPasswordNamesTheFileNotThePassword) {
  conf::ListenerTlsConfig tls = keyStoreConfig(server_);
  tls.key_store_password = "Not-The-Pa55";
  absl::StatusOr<ServerContextPtr> ctx =
      ServerContext::create(tls, "", "", std::make_shared<TicketKeyRing>(), /*http2=*/true);
  ASSERT_FALSE(ctx.ok());
  const std::string message(ctx.status().message());
  EXPECT_NE(message.find(server_.key_p12), std::string::npos) << message;
  EXPECT_NE(message.find("password"), std::string::npos) << message;
  EXPECT_EQ(message.find("Not-The-Pa55"), std::string::npos) << message;
}

// Tickets sealed by one context open in another built with the same ring (a
// certificate reload), but not in one with another ring.
TEST_F(ServerContextTest, TicketsResumeAcrossContextsSharingTheRing) {
  auto ring = std::make_shared<TicketKeyRing>();
  for (int max_version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(max_version);
    ServerContextPtr first = make(keyStoreConfig(server_), ring);
    ServerContextPtr reloaded = make(keyStoreConfig(server_), ring);
    ServerContextPtr stranger = make(keyStoreConfig(server_));
    ASSERT_TRUE(first && reloaded && stranger);
    Client client(max_version);
    SslPtr server(SSL_new(first->get()));
    ASSERT_TRUE(handshake(client.ssl.get(), server.get()));
    SSL_SESSION* session = SSL_get1_session(client.ssl.get());
    ASSERT_NE(session, nullptr);
    ASSERT_TRUE(SSL_SESSION_is_resumable(session));

    Client again(max_version);
    SSL_set_session(again.ssl.get(), session);
    SslPtr server2(SSL_new(reloaded->get()));
    ASSERT_TRUE(handshake(again.ssl.get(), server2.get()));
    EXPECT_TRUE(SSL_session_reused(server2.get()));

    Client third(max_version);
    SSL_set_session(third.ssl.get(), session);
    SslPtr server3(SSL_new(stranger->get()));
    ASSERT_TRUE(handshake(third.ssl.get(), server3.get()));
    EXPECT_FALSE(SSL_session_reused(server3.get()));
    SSL_SESSION_free(session);
  }
}

TEST_F(ServerContextTest, RequiredClientCertificateIsVerified) {
  conf::ListenerTlsConfig tls = keyStoreConfig(server_);
  tls.verify_client = conf::ClientCertMode::Require;
  ServerContextPtr ctx =
      make(tls, std::make_shared<TicketKeyRing>(), client_.trust_p12, client_.password);
  ASSERT_NE(ctx, nullptr);
  {
    Client anonymous;
    SslPtr server(SSL_new(ctx->get()));
    EXPECT_FALSE(handshake(anonymous.ssl.get(), server.get()));
  }
  {
    Client with_cert(TLS1_2_VERSION);
    ASSERT_EQ(SSL_CTX_use_certificate_chain_file(with_cert.ctx.get(), client_.key_pem.c_str()), 1);
    ASSERT_EQ(
        SSL_CTX_use_PrivateKey_file(with_cert.ctx.get(), client_.key_pem.c_str(), SSL_FILETYPE_PEM),
        1);
    with_cert.ssl.reset(SSL_new(with_cert.ctx.get()));
    SslPtr server(SSL_new(ctx->get()));
    ASSERT_TRUE(handshake(with_cert.ssl.get(), server.get()));
    EXPECT_NE(SSL_get0_peer_certificate(server.get()), nullptr);
    EXPECT_EQ(SSL_get_verify_result(server.get()), X509_V_OK);
  }
  {
    // A certificate the trust store does not know fails the handshake.
    Client stranger;
    ASSERT_EQ(SSL_CTX_use_certificate_chain_file(stranger.ctx.get(), server_.key_pem.c_str()), 1);
    ASSERT_EQ(
        SSL_CTX_use_PrivateKey_file(stranger.ctx.get(), server_.key_pem.c_str(), SSL_FILETYPE_PEM),
        1);
    stranger.ssl.reset(SSL_new(stranger.ctx.get()));
    SslPtr server(SSL_new(ctx->get()));
    EXPECT_FALSE(handshake(stranger.ssl.get(), server.get()));
    EXPECT_NE(SSL_get_verify_result(server.get()), X509_V_OK);
  }
}

TEST_F(ServerContextTest, ValidityWarningForExpiredOrFutureCertificates) {
  ServerContextPtr ctx = make(keyStoreConfig(server_));
  ASSERT_NE(ctx, nullptr);
  const std::time_t now = std::time(nullptr);
  EXPECT_EQ(ctx->validityWarning(now), "");
  const std::string expired = ctx->validityWarning(now + 7200);
  EXPECT_NE(expired.find("expired"), std::string::npos) << expired;
  EXPECT_NE(expired.find(server_.key_p12), std::string::npos) << expired;
  const std::string future = ctx->validityWarning(now - 7200);
  EXPECT_NE(future.find("not valid before"), std::string::npos) << future;
}

TEST(SelectAlpn, PrefersTheServersListAndIgnoresUnknownOnes) {
  const unsigned char both[] = "\x08http/1.1\x02h2";
  EXPECT_EQ(selectAlpn(both, sizeof(both) - 1, /*http2=*/true), "h2");
  EXPECT_EQ(selectAlpn(both, sizeof(both) - 1, /*http2=*/false), "http/1.1");
  const unsigned char h2_only[] = "\x02h2";
  EXPECT_EQ(selectAlpn(h2_only, sizeof(h2_only) - 1, /*http2=*/false), "");
  EXPECT_EQ(selectAlpn(h2_only, sizeof(h2_only) - 1, /*http2=*/true), "h2");
  const unsigned char truncated[] = "\x09http/1.1";
  EXPECT_EQ(selectAlpn(truncated, sizeof(truncated) - 1, /*http2=*/true), "");
  EXPECT_EQ(serverAlpnProtocols(true).front(), "h2");
  EXPECT_EQ(serverAlpnProtocols(false).front(), "http/1.1");
}

}  // namespace
}  // namespace gw::tls
