#pragma once

// Client-side TLS set-up shared by every layer that dials out over TLS (the
// connector's TLS to a forward proxy and to backends): one SSL_CTX per trust
// configuration, one SSL per connection. Base layer: includes nothing from
// gateway/ above it or proxy_connector/.
//
// Example:
//   std::string error;
//   gw::tls::SslCtxPtr ctx = gw::tls::makeClientSslCtx(options, &error);
//   gw::tls::SslPtr ssl = gw::tls::makeClientSsl(ctx.get(), "api.example.com", options);
//
// Thread-safety: the helpers are pure; an SSL_CTX may be shared by the SSLs of
// one thread (callers never share one across threads).

#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "gateway/tls/client_options.h"
#include "gateway/tls/openssl_ptr.h"

namespace gw::tls {

bool isIpLiteral(const std::string& host);

// Takes and clears OpenSSL's error queue as one line ("" when empty).
std::string takeSslErrors();

// A client SSL_CTX: TLS 1.2+, peer verification against
// `tls.trust_store_path` (system default paths when empty) unless
// disable_verification, client session caching on (see ClientSessionCache).
// Null with `*error` set when the trust store cannot be loaded; the error
// names tls.trust_store_key.
SslCtxPtr makeClientSslCtx(const TlsOptions& tls, std::string* error);

// A client SSL for `host`: SNI when `host` is a name; hostname or IP check when
// verify_hostname (and verification is on); tls.alpn offered when not empty.
// Null when OpenSSL refuses the settings.
SslPtr makeClientSsl(SSL_CTX* ctx, const std::string& host, const TlsOptions& tls);

// ALPN wire format (length-prefixed names) of `protocols`; "" when empty or
// a name is empty or longer than 255 bytes.
std::string alpnWireFormat(const std::vector<std::string>& protocols);

// The protocol the server selected by ALPN, "" when none was negotiated.
std::string negotiatedAlpn(const SSL* ssl);

}  // namespace gw::tls
