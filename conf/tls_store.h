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

#include "absl/status/status.h"
#include "absl/status/statusor.h"

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

// The certificate stored under `alias` (the PKCS#12 friendlyName, compared
// case-insensitively as Java's keytool lowercases aliases) in the trust store,
// as PEM text. NotFound when the store has no such entry.
absl::StatusOr<std::string> certificatePemByAlias(const std::string& path,
                                                  const std::string& password,
                                                  const std::string& alias);

}  // namespace gw::conf
