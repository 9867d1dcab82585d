#pragma once

// Trust stores and key stores as micro-gw.conf names them: PEM files (what
// microgw always read) or PKCS#12 files with a password (what WSO2 API
// Microgateway 3.2 ships: ballerinaTruststore.p12, ballerinaKeystore.p12).
// The format is found from the content, not the file name. Messages name the
// path and the reason and never contain the password. Thread-safe (no state).
//
// Example:
//   absl::Status s = gw::conf::addTrustStore(SSL_CTX_get_cert_store(ctx), path, password);

#include <openssl/x509.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gateway/tls/openssl_ptr.h"

namespace gw::conf {

enum class StoreFormat { Pem, Pkcs12 };

// Adds every certificate of the trust store at `path` to `store`. Fails when
// the file cannot be read, a PKCS#12 file does not open with `password`, a
// Java KeyStore (JKS) is given, or there is no certificate in it.
absl::Status addTrustStore(X509_STORE* store, const std::string& path, const std::string& password);

// Checks that the trust store loads (addTrustStore into a scratch store).
absl::Status checkTrustStore(const std::string& path, const std::string& password);

// Checks that the key store at `path` loads: a PKCS#12 file that opens with
// `password` and holds a private key and its certificate, or a PEM file with
// a private key and a certificate.
absl::Status checkKeyStore(const std::string& path, const std::string& password);

// A key store's private key, its certificate (the one that matches the key)
// and the rest of the chain, in file order.
struct KeyStoreContents {
  tls::EvpPkeyPtr key;
  tls::X509Ptr certificate;
  std::vector<tls::X509Ptr> chain;
};

// Loads the key store at `path` (see checkKeyStore), or a PEM certificate
// chain at `path` with its PEM private key in `key_path` (when not empty).
// Fails when the key matches none of the certificates.
absl::StatusOr<KeyStoreContents> loadKeyStore(const std::string& path, const std::string& password,
                                              const std::string& key_path = "");

// WSO2's cipher names (IANA: TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) as an
// OpenSSL cipher list for TLS 1.2 ("ECDHE-RSA-AES128-GCM-SHA256:..."); OpenSSL's
// own names are accepted too. Names OpenSSL does not offer go to `unknown`.
std::string openSslCipherList(const std::vector<std::string>& names,
                              std::vector<std::string>& unknown);

// The certificate stored under `alias` (the PKCS#12 friendlyName, compared
// case-insensitively as Java's keytool lowercases aliases) in the trust store,
// as PEM text. NotFound when the store has no such entry.
absl::StatusOr<std::string> certificatePemByAlias(const std::string& path,
                                                  const std::string& password,
                                                  const std::string& alias);

}  // namespace gw::conf
