#pragma once

// Test helper: makes a self-signed certificate and key at test time and
// writes them as PEM files and PKCS#12 stores (a key store with the key and
// certificate, a trust store with the certificate only).

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <cstdio>
#include <functional>
#include <string>

namespace gw::conf::testing {

struct TestStores {
  std::string cert_pem;   // the certificate
  std::string key_pem;    // the key and the certificate
  std::string key_p12;    // key store: key + certificate, `password`
  std::string trust_p12;  // trust store: the certificate, `password`
  std::string password;
};

inline bool writeWith(const std::string& path, const std::function<int(FILE*)>& write) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const int ok = write(f);
  std::fclose(f);
  return ok == 1;
}

// Writes the files as `<dir>/<name>.{crt.pem,key.pem,key.p12,trust.p12}`.
inline TestStores makeTestStores(const std::string& dir, const std::string& name,
                                 const std::string& password) {
  TestStores out{dir + "/" + name + ".crt.pem", dir + "/" + name + ".key.pem",
                 dir + "/" + name + ".key.p12", dir + "/" + name + ".trust.p12", password};
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_NAME* subject = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, subject);
  X509_set_pubkey(cert, key);
  X509_sign(cert, key, EVP_sha256());
  writeWith(out.cert_pem, [&](FILE* f) { return PEM_write_X509(f, cert); });
  writeWith(out.key_pem, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) &&
           PEM_write_X509(f, cert);
  });
  PKCS12* ks = PKCS12_create(password.c_str(), name.c_str(), key, cert, nullptr, 0, 0, 0, 0, 0);
  writeWith(out.key_p12, [&](FILE* f) { return i2d_PKCS12_fp(f, ks); });
  PKCS12_free(ks);
  // The trust store's entry is named like the file (its alias, WSO2's certificateAlias).
  X509_alias_set1(cert, reinterpret_cast<const unsigned char*>(name.c_str()), -1);
  STACK_OF(X509)* ca = sk_X509_new_null();
  sk_X509_push(ca, cert);
  PKCS12* ts = PKCS12_create(password.c_str(), nullptr, nullptr, nullptr, ca, 0, 0, 0, 0, 0);
  writeWith(out.trust_p12, [&](FILE* f) { return i2d_PKCS12_fp(f, ts); });
  PKCS12_free(ts);
  sk_X509_free(ca);
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace gw::conf::testing
