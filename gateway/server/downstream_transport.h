#pragma once

// What the transport under a downstream connection negotiated: plain TCP, or
// TLS with its ALPN protocol, the server name the client asked for, and the
// client's certificate. Filled in by the worker once the TLS handshake is
// done, before the connection manager exists; immutable after that.

#include <string>

namespace gw::server {

struct DownstreamTransport {
  bool tls = false;
  std::string alpn;  // the protocol selected by ALPN ("http/1.1"), "" when none was offered
  std::string sni;   // the server name the client sent, "" when none
  // The client's certificate, PEM; "" when it sent none.
  std::string client_cert_pem;
  // The certificate chained to listenerConfig.trustStorePath (always true
  // when sent: an untrusted one fails the handshake).
  bool client_cert_verified = false;
};

}  // namespace gw::server
