#include "gateway/tls/server_context.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"
#include "conf/tls_store.h"

namespace gw::tls {
namespace {

// Every ServerContext shares it: a session resumed after a reload still
// belongs to "the microgw listener" (OpenSSL refuses a session whose context
// id differs, and requires one when client certificates are asked for).
constexpr unsigned char kSessionIdContext[] = "microgw-listener";

std::string sslError() {
  unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

std::string asn1Time(const ASN1_TIME* t) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || ASN1_TIME_print(bio.get(), t) != 1) return "?";
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string subjectText(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
    return "?";
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

int onAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
           unsigned int inlen, void* arg) {
  const std::string chosen = selectAlpn(in, inlen, static_cast<const ServerContext*>(arg)->http2());
  if (chosen.empty()) return SSL_TLSEXT_ERR_ALERT_FATAL;
  // Point into the client's list, which OpenSSL keeps for the callback's duration.
  for (unsigned int i = 0; i < inlen; i += 1u + in[i]) {
    if (in[i] == chosen.size() && i + 1u + in[i] <= inlen &&
        std::string(reinterpret_cast<const char*>(in + i + 1), in[i]) == chosen) {
      *out = in + i + 1;
      *outlen = in[i];
      return SSL_TLSEXT_ERR_OK;
    }
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

absl::Status useKeyStore(SSL_CTX* ctx, const conf::ListenerTlsConfig& tls, X509Ptr& certificate) {
  const std::string& path =
      tls.certificate_file.empty() ? tls.key_store_path : tls.certificate_file;
  absl::StatusOr<conf::KeyStoreContents> store =
      conf::loadKeyStore(path, tls.key_store_password, tls.key_file);
  if (!store.ok()) return store.status();
  if (SSL_CTX_use_certificate(ctx, store->certificate.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, store->key.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the listener cannot use this key and certificate: ", sslError()));
  }
  for (X509Ptr& extra : store->chain) {
    // SSL_CTX_add1_chain_cert takes its own reference.
    if (SSL_CTX_add1_chain_cert(ctx, extra.get()) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": cannot add a chain certificate: ", sslError()));
    }
  }
  certificate = std::move(store->certificate);
  return absl::OkStatus();
}

// Client certificates: verified against the trust store, whose certificates
// are also named to clients as acceptable issuers.
absl::Status useTrustStore(SSL_CTX* ctx, const conf::ListenerTlsConfig& tls,
                           const std::string& path, const std::string& password) {
  if (tls.verify_client == conf::ClientCertMode::None) return absl::OkStatus();
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  if (absl::Status s = conf::addTrustStore(store, path, password); !s.ok()) return s;
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    X509* cert = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i));
    if (cert != nullptr) sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(cert)));
  }
  SSL_CTX_set_client_CA_list(ctx, names);
  int mode = SSL_VERIFY_PEER;
  if (tls.verify_client == conf::ClientCertMode::Require) {
    mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  SSL_CTX_set_verify(ctx, mode, nullptr);
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& serverAlpnProtocols(bool http2) {
  static const auto* with_h2 = new std::vector<std::string>{"h2", "http/1.1"};
  static const auto* http1_only = new std::vector<std::string>{"http/1.1"};
  return http2 ? *with_h2 : *http1_only;
}

std::string selectAlpn(const unsigned char* client_list, unsigned int length, bool http2) {
  for (const std::string& ours : serverAlpnProtocols(http2)) {
    for (unsigned int i = 0; i < length; i += 1u + client_list[i]) {
      const unsigned int n = client_list[i];
      if (i + 1u + n > length) break;
      if (std::string(reinterpret_cast<const char*>(client_list + i + 1), n) == ours) return ours;
    }
  }
  return "";
}

absl::StatusOr<ServerContextPtr> ServerContext::create(const conf::ListenerTlsConfig& tls,
                                                       const std::string& trust_store_path,
                                                       const std::string& trust_store_password,
                                                       std::shared_ptr<TicketKeyRing> tickets,
                                                       bool http2) {
  std::shared_ptr<ServerContext> out(new ServerContext());
  out->http2_ = http2;
  out->source_ = tls.certificate_file.empty() ? tls.key_store_path : tls.certificate_file;
  out->ctx_.reset(SSL_CTX_new(TLS_server_method()));
  SSL_CTX* ctx = out->ctx_.get();
  if (ctx == nullptr) return absl::InternalError("cannot create a TLS context: " + sslError());
  SSL_CTX_set_min_proto_version(ctx, tls.min_version);
  SSL_CTX_set_max_proto_version(ctx, tls.max_version);
  if (!tls.cipher_list.empty() && SSL_CTX_set_cipher_list(ctx, tls.cipher_list.c_str()) != 1) {
    return absl::InvalidArgumentError("mutualSSLConfig.ciphers: " + sslError());
  }
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // Resumption by ticket only: a per-context session cache would neither span
  // the workers' shared contexts' reloads nor stay bounded.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof(kSessionIdContext) - 1);
  installTicketKeys(ctx, std::move(tickets));
  SSL_CTX_set_alpn_select_cb(ctx, &onAlpn, out.get());
  if (absl::Status s = useKeyStore(ctx, tls, out->certificate_); !s.ok()) return s;
  if (absl::Status s = useTrustStore(ctx, tls, trust_store_path, trust_store_password); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("listenerConfig.trustStorePath: ", s.message()));
  }
  return ServerContextPtr(std::move(out));
}

std::string ServerContext::describeCertificate() const {
  X509* cert = certificate_.get();
  return absl::StrCat(subjectText(cert), ", valid ", asn1Time(X509_get0_notBefore(cert)), " to ",
                      asn1Time(X509_get0_notAfter(cert)));
}

std::string ServerContext::validityWarning(std::time_t now) const {
  X509* cert = certificate_.get();
  if (X509_cmp_time(X509_get0_notAfter(cert), &now) < 0) {
    return absl::StrCat(source_, ": the TLS listener's certificate (", subjectText(cert),
                        ") expired on ", asn1Time(X509_get0_notAfter(cert)),
                        "; clients will refuse it: renew it and send SIGHUP");
  }
  if (X509_cmp_time(X509_get0_notBefore(cert), &now) > 0) {
    return absl::StrCat(source_, ": the TLS listener's certificate (", subjectText(cert),
                        ") is not valid before ", asn1Time(X509_get0_notBefore(cert)),
                        "; clients will refuse it until then (check the clock, or the "
                        "certificate's dates)");
  }
  return "";
}

}  // namespace gw::tls
