#pragma once

// TLS session resumption for client connections: remembers the last session
// (TLS 1.2 session or TLS 1.3 ticket) each peer gave, keyed by the caller's
// string (e.g. "api.example.com:443 via proxy:3128"), and offers it on the
// next handshake to that peer, so that a new pooled connection to a backend
// skips the certificate exchange and verification.
//
// Example:
//   gw::tls::ClientSessionCache cache(ctx.get());   // before any SSL of ctx
//   gw::tls::SslPtr ssl = gw::tls::makeClientSsl(ctx.get(), host, options);
//   cache.attach(ssl.get(), "api.example.com:443");  // before the handshake
//
// Lifetime: one cache per SSL_CTX; it must outlive every SSL attached to it.
// Thread-safety: none; the SSL_CTX's thread only (one per connector).

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <string>

namespace gw::tls {

class ClientSessionCache {
 public:
  static constexpr size_t kMaxEntries = 1024;

  // Registers itself as `ctx`'s new-session callback.
  explicit ClientSessionCache(SSL_CTX* ctx);
  ~ClientSessionCache();
  ClientSessionCache(const ClientSessionCache&) = delete;
  ClientSessionCache& operator=(const ClientSessionCache&) = delete;

  // Offers the session cached for `key` (if any, and still resumable) and
  // files the sessions `ssl` receives under `key`.
  void attach(SSL* ssl, const std::string& key);
  // Drops the session for `key` (e.g. after a failed handshake).
  void forget(const std::string& key);
  size_t size() const { return sessions_.size(); }

 private:
  struct SessionFree {
    void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
  };
  using SessionPtr = std::unique_ptr<SSL_SESSION, SessionFree>;

  static int onNewSession(SSL* ssl, SSL_SESSION* session);

  SSL_CTX* ctx_;
  std::map<std::string, SessionPtr> sessions_;
};

}  // namespace gw::tls
