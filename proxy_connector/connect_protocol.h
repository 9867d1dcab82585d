#pragma once

// Pure pieces of the CONNECT protocol and of the connector's error reporting:
// the request bytes, the Proxy-Authorization value, the pool key, and the
// ConnectFailure (status, message, detail) for each way a set-up can fail.
// Messages and details name what to change and never contain a password or a
// Basic token.
//
// Thread-safety: pure functions.

#include <chrono>
#include <string>

#include "proxy_connector/connector.h"

namespace gw::proxy {

// "host:port" of the proxy, IPv6 literals bracketed.
std::string proxyAuthority(const ProxyServer& proxy);

// "Basic base64(user:pass)", or "" when no username is set.
std::string basicProxyAuthorization(const ProxyServer& proxy);

// The complete CONNECT request head, blank line included.
std::string connectRequestHead(const Target& target, const ProxyServer& proxy);

// True when a plain-http target goes to the proxy as absolute-form requests.
bool usesAbsoluteForm(const ConnectRequest& request);

// Pool key: (proxy, username, hash of password, target, tls, absolute-form).
std::string poolKey(const ConnectRequest& request);

// For logs: "api:443 (tls) via proxy 127.0.0.1:3128", "api:80 direct".
std::string describeRoute(const ConnectRequest& request);

// Label of microgw_proxy_tunnel_failures_total{reason=...}.
const char* failureMetricLabel(FailureReason reason);

// The proxy answered CONNECT with a non-2xx status.
ConnectFailure proxyRejectedFailure(const ConnectRequest& request, int status,
                                    const std::string& reason_phrase,
                                    const std::string& proxy_authenticate);
// The proxy's answer was not HTTP, or too large; `why` says which.
ConnectFailure proxyProtocolFailure(const ConnectRequest& request, const std::string& why);
// The proxy closed the connection before answering CONNECT.
ConnectFailure proxyClosedFailure(const ConnectRequest& request);
// TCP connect (to the proxy when there is one) failed. `dns_error` is a
// getaddrinfo error (0 = none), `socket_error` an errno value.
ConnectFailure tcpFailure(const ConnectRequest& request, int dns_error, int socket_error);
// The connection dropped during the TLS handshake or before set-up completed.
ConnectFailure resetFailure(const ConnectRequest& request, const std::string& during);
// The set-up did not finish in time; `phase` says what was being waited for.
ConnectFailure timeoutFailure(const ConnectRequest& request, const std::string& phase,
                              std::chrono::milliseconds timeout);
// TLS failed: `verify_result` is SSL_get_verify_result() (X509_V_OK = not a
// verification failure), `ssl_error` OpenSSL's error text.
ConnectFailure tlsFailure(const ConnectRequest& request, const TlsOptions& tls,
                          long verify_result, const std::string& ssl_error);

}  // namespace gw::proxy
