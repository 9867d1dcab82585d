#pragma once

// RAII owners for the libevent and OpenSSL objects the connector uses, and the
// client-side TLS set-up: one SSL_CTX per connector, one SSL per connection.
//
// Thread-safety: the helpers are pure; an SSL_CTX may be shared by the SSLs of
// one thread (the connector never shares it across threads).

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "gateway/tls/openssl_ptr.h"
#include "proxy_connector/connector.h"

namespace gw::proxy {

struct BevDeleter {
  void operator()(bufferevent* b) const { bufferevent_free(b); }
};
using BevPtr = std::unique_ptr<bufferevent, BevDeleter>;

using tls::SslCtxPtr;
using tls::SslPtr;

struct EvdnsBaseDeleter {
  // 1: pending requests fail with their callbacks run (bufferevents cancel theirs first).
  void operator()(evdns_base* b) const { evdns_base_free(b, 1); }
};
using EvdnsBasePtr = std::unique_ptr<evdns_base, EvdnsBaseDeleter>;

bool isIpLiteral(const std::string& host);

// Takes and clears OpenSSL's error queue as one line ("" when empty).
std::string takeSslErrors();

// The connector's client SSL_CTX: TLS 1.2+, peer verification against
// `tls.trust_store_path` (system default paths when empty) unless
// disable_verification. Null with `*error` set when the trust store cannot be loaded.
SslCtxPtr makeClientSslCtx(const TlsOptions& tls, std::string* error);

// A client SSL for `host`: SNI when `host` is a name; hostname or IP check when
// verify_hostname (and verification is on).
SslPtr makeClientSsl(SSL_CTX* ctx, const std::string& host, const TlsOptions& tls);

}  // namespace gw::proxy
