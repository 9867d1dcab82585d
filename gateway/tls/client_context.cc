#include "gateway/tls/client_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "conf/tls_store.h"

namespace gw::tls {

bool isIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string takeSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

SslCtxPtr makeClientSslCtx(const TlsOptions& tls, std::string* error) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) {
    *error = "SSL_CTX_new failed: " + takeSslErrors();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // Keep the 16 KB + 16 KB record buffers of a pooled connection instead of
  // freeing and reallocating them around every idle period.
  SSL_CTX_clear_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  // Sessions are cached by ClientSessionCache (keyed per backend), not OpenSSL's internal cache.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
  if (tls.disable_verification) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
  }
  if (tls.trust_store_path.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
      *error = "could not load the trust store (system default paths): " + takeSslErrors();
      return nullptr;
    }
  } else if (absl::Status s = conf::addTrustStore(SSL_CTX_get_cert_store(ctx.get()),
                                                  tls.trust_store_path, tls.trust_store_password);
             !s.ok()) {
    *error =
        "could not load the trust store " + tls.trust_store_key + " " + std::string(s.message());
    return nullptr;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

SslPtr makeClientSsl(SSL_CTX* ctx, const std::string& host, const TlsOptions& tls) {
  SslPtr ssl(SSL_new(ctx));
  if (!ssl) return nullptr;
  const bool ip = isIpLiteral(host);
  if (!ip) SSL_set_tlsext_host_name(ssl.get(), host.c_str());
  if (!tls.disable_verification && tls.verify_hostname) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                      : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    if (ok != 1) return nullptr;
  }
  if (!tls.alpn.empty()) {
    const std::string wire = alpnWireFormat(tls.alpn);
    // SSL_set_alpn_protos returns 0 on success.
    if (wire.empty() ||
        SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned int>(wire.size())) != 0) {
      return nullptr;
    }
  }
  return ssl;
}

std::string alpnWireFormat(const std::vector<std::string>& protocols) {
  std::string out;
  for (const std::string& p : protocols) {
    if (p.empty() || p.size() > 255) return "";
    out += static_cast<char>(p.size());
    out += p;
  }
  return out;
}

std::string negotiatedAlpn(const SSL* ssl) {
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl, &data, &len);
  return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data), len);
}

}  // namespace gw::tls
