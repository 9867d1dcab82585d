#pragma once

// What a TLS client step needs to know besides the host it talks to: whom to
// trust, whether to check the name, which application protocols to offer.
// Base layer: plain data, no OpenSSL, includes nothing from gateway/ or
// proxy_connector/.
//
// Example:
//   gw::tls::TlsOptions backend;
//   backend.trust_store_path = "/etc/microgw/ca.pem";
//   backend.trust_store_key = "httpClients.trustStorePath";
//   backend.alpn = {"http/1.1"};

#include <string>
#include <vector>

namespace gw::tls {

struct TlsOptions {
  std::string trust_store_path;      // PEM CA bundle or PKCS#12 store; empty = system CAs
  std::string trust_store_password;  // PKCS#12 only; never logged
  bool verify_hostname = true;
  bool disable_verification = false;
  // The config key that set trust_store_path, for error messages.
  std::string trust_store_key = "httpClients.trustStorePath";
  // ALPN protocols to offer, most preferred first; empty = no ALPN extension.
  std::vector<std::string> alpn;
};

}  // namespace gw::tls
