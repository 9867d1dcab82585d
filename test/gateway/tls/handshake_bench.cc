// Full TLS 1.3 handshakes in memory against the listener's SSL_CTX, with the
// session-ticket callback (ticket_keys.h) and with OpenSSL's built-in ticket
// keys, to find what a handshake costs and where (not a test; prints
// microseconds per handshake):
//   bazel run -c opt //test/gateway/tls:handshake_bench

#include <openssl/err.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "gateway/tls/server_context.h"
#include "test/conf/test_stores.h"

namespace {

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
    if (!client_done) client_done = SSL_do_handshake(client) == 1;
    if (!server_done) server_done = SSL_do_handshake(server) == 1;
  }
  char buf[1];
  SSL_read(client, buf, sizeof(buf));  // the tickets
  ERR_clear_error();
  return client_done && server_done;
}

double microsPerHandshake(SSL_CTX* server_ctx, int n) {
  gw::tls::SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    gw::tls::SslPtr client(SSL_new(client_ctx.get()));
    gw::tls::SslPtr server(SSL_new(server_ctx));
    if (!handshake(client.get(), server.get())) std::abort();
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  return std::chrono::duration<double, std::micro>(elapsed).count() / n;
}

}  // namespace

int main() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  auto stores = gw::conf::testing::makeTestStores(tmp != nullptr ? tmp : "/tmp", "bench", "pw");
  gw::conf::ListenerTlsConfig tls;
  tls.key_store_path = stores.key_p12;
  tls.key_store_password = stores.password;
  tls.verify_client = gw::conf::ClientCertMode::None;
  auto with_ring =
      gw::tls::ServerContext::create(tls, "", "", std::make_shared<gw::tls::TicketKeyRing>(),
                                     /*http2=*/false);
  auto builtin =
      gw::tls::ServerContext::create(tls, "", "", std::make_shared<gw::tls::TicketKeyRing>(),
                                     /*http2=*/false);
  if (!with_ring.ok() || !builtin.ok()) return 1;
  // OpenSSL's own ticket keys: no callback.
  SSL_CTX_set_tlsext_ticket_key_evp_cb((*builtin)->get(), nullptr);
  const int n = 400;
  for (int round = 0; round < 3; ++round) {
    std::printf("rotating ticket keys: %.0f us/handshake; built-in keys: %.0f us/handshake\n",
                microsPerHandshake((*with_ring)->get(), n),
                microsPerHandshake((*builtin)->get(), n));
  }
  return 0;
}
