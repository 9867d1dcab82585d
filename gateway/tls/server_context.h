#pragma once

// The TLS listener's SSL_CTX: the key and certificate chain from a key store
// (PKCS#12 or PEM), TLS 1.2 and 1.3, session tickets from a shared
// TicketKeyRing, ALPN, and client certificates checked against a trust store
// when asked for. Immutable once built; SSL_new() on it is safe from any
// thread. A certificate reload (SIGHUP) builds a new ServerContext: new
// handshakes use it, connections already up keep the SSL_CTX they started on
// (each SSL holds a reference).
//
// Example:
//   auto ring = std::make_shared<TicketKeyRing>();
//   absl::StatusOr<ServerContextPtr> ctx = ServerContext::create(config.listener.tls,
//       config.listener.trust_store_path, config.listener.trust_store_password, ring);
//   SSL* ssl = SSL_new((*ctx)->get());

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "conf/config.h"
#include "gateway/tls/openssl_ptr.h"
#include "gateway/tls/ticket_keys.h"

namespace gw::tls {

// The application protocols the TLS listener offers in ALPN, in order of
// preference: "h2" first when HTTP/2 is on ([http2] enable), then "http/1.1".
const std::vector<std::string>& serverAlpnProtocols(bool http2);

// The protocol of `serverAlpnProtocols(http2)` to speak with a client that
// offered `client_list` (ALPN wire format: length-prefixed names), or "" for
// none in common. A client that sends no ALPN gets HTTP/1.1.
std::string selectAlpn(const unsigned char* client_list, unsigned int length, bool http2);

class ServerContext;
using ServerContextPtr = std::shared_ptr<const ServerContext>;

class ServerContext {
 public:
  // Fails with a message that names the file (never the password) when the
  // key store does not load, or the trust store does not when client
  // certificates are asked for.
  static absl::StatusOr<ServerContextPtr> create(const conf::ListenerTlsConfig& tls,
                                                 const std::string& trust_store_path,
                                                 const std::string& trust_store_password,
                                                 std::shared_ptr<TicketKeyRing> tickets,
                                                 bool http2);

  SSL_CTX* get() const { return ctx_.get(); }
  // Whether "h2" is offered in ALPN.
  bool http2() const { return http2_; }
  // The key store's file, for log lines.
  const std::string& source() const { return source_; }
  // "CN=gw.example.com, valid 2026-01-01 to 2027-01-01" (no key material).
  std::string describeCertificate() const;
  // A start-up warning when the certificate is expired or not yet valid at
  // `now`, else "".
  std::string validityWarning(std::time_t now) const;

 private:
  ServerContext() = default;

  SslCtxPtr ctx_;
  X509Ptr certificate_;
  std::string source_;
  bool http2_ = false;  // "h2" is offered in ALPN
};

}  // namespace gw::tls
