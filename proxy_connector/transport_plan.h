#pragma once

// The transports a connection set-up stacks, in order, each with its own peer
// and options:
//
//   TCP -> [TLS to the proxy] -> [CONNECT] -> [TLS to the backend] -> HTTP/1
//
// TCP dials the proxy when there is one, else the backend. TLS to the proxy
// runs when the proxy's scheme is https (SNI and name check: the proxy's
// host, trust: proxyTrustStorePath or the system CAs). CONNECT runs through a
// proxy unless plain-http targets go as absolute-form requests. TLS to the
// backend runs for https targets (SNI and name check: the target host, trust:
// httpClients.trustStorePath, ALPN: kBackendAlpn), inside the tunnel and so
// inside the proxy's TLS when both apply (TLS in TLS). Model: Envoy's
// http_11_proxy transport socket wrapping an inner one.
//
// Example:
//   for (const TransportStep& step : planTransport(request)) { ... run step ... }
//
// Thread-safety: pure functions and constants.

#include <cstdint>
#include <string>
#include <vector>

#include "proxy_connector/connector.h"

namespace gw::proxy {

// The application protocols offered to https backends by ALPN, most preferred
// first: HTTP/1.1 for every client of the connector, and "h2" first for the
// requests that ask for it (ConnectRequest::offer_http2: the router, whose
// HTTP/2 pool takes the connections that negotiate h2).
inline const std::vector<std::string>& backendAlpn() {
  static const std::vector<std::string> kProtocols{"http/1.1"};
  return kProtocols;
}
inline const std::vector<std::string>& backendAlpnWithHttp2() {
  static const std::vector<std::string> kProtocols{"h2", "http/1.1"};
  return kProtocols;
}
// What the gateway speaks to the proxy itself (CONNECT or absolute-form): HTTP/1.1.
inline const std::vector<std::string>& proxyAlpn() {
  static const std::vector<std::string> kProtocols{"http/1.1"};
  return kProtocols;
}

// The protocol a connection carries, for the pool key: the negotiated ALPN
// name, or "http/1.1" when nothing was negotiated (plain TCP, or a server
// without ALPN).
std::string carriedProtocol(const std::string& negotiated_alpn);

enum class StepKind {
  Tcp,         // TCP connect to `host`:`port`
  ProxyTls,    // TLS handshake with the proxy
  Connect,     // CONNECT target, wait for the proxy's 2xx
  BackendTls,  // TLS handshake with the backend
};

struct TransportStep {
  StepKind kind = StepKind::Tcp;
  std::string host;  // Tcp: whom to dial; TLS: SNI and the name verified; Connect: target host
  uint16_t port = 0;
};

std::vector<TransportStep> planTransport(const ConnectRequest& request);

// "TCP", "TLS to the proxy", "CONNECT", "TLS to the backend".
const char* stepName(StepKind kind);

}  // namespace gw::proxy
