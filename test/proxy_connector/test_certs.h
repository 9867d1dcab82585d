#pragma once

// Test PKI generated in-process with OpenSSL: a CA and a server certificate it
// signs, plus a server SSL_CTX using them.

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

namespace gw::proxy::testing {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};

struct TestPki {
  std::string ca_pem;  // the CA certificate, PEM
  std::unique_ptr<SSL_CTX, SslCtxFree> server_ctx;
};

// `subject_alt_names` in OpenSSL config syntax: "DNS:localhost,IP:127.0.0.1".
TestPki makeTestPki(const std::string& ca_name, const std::string& subject_alt_names);

// Writes `content` to a file under TEST_TMPDIR (or /tmp) and returns its path.
std::string writeTempFile(const std::string& name, const std::string& content);

}  // namespace gw::proxy::testing
