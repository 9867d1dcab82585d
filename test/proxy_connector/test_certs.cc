#include "test/proxy_connector/test_certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <fstream>

namespace gw::proxy::testing {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;

void addExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

CertPtr makeCert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                 long serial) {
  CertPtr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(cert.get(), key);
  (void)issuer_key;
  return cert;
}

}  // namespace

TestPki makeTestPki(const std::string& ca_name, const std::string& subject_alt_names) {
  KeyPtr ca_key(EVP_EC_gen("P-256"));
  CertPtr ca = makeCert(ca_name, ca_key.get(), nullptr, nullptr, 1);
  addExt(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  addExt(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  addExt(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  X509_sign(ca.get(), ca_key.get(), EVP_sha256());

  KeyPtr key(EVP_EC_gen("P-256"));
  CertPtr leaf = makeCert("test server", key.get(), ca.get(), ca_key.get(), 2);
  addExt(leaf.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  addExt(leaf.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  addExt(leaf.get(), ca.get(), NID_subject_alt_name, subject_alt_names);
  X509_sign(leaf.get(), ca_key.get(), EVP_sha256());

  TestPki pki;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, ca.get());
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  pki.ca_pem.assign(data, static_cast<size_t>(len));
  BIO_free(bio);

  pki.server_ctx.reset(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_use_certificate(pki.server_ctx.get(), leaf.get());
  SSL_CTX_use_PrivateKey(pki.server_ctx.get(), key.get());
  return pki;
}

std::string writeTempFile(const std::string& name, const std::string& content) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

}  // namespace gw::proxy::testing
