#include "proxy_connector/connect_protocol.h"

#include <netdb.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstring>
#include <functional>

#include "absl/strings/str_cat.h"

namespace gw::proxy {
namespace {

// Proxy-supplied text (reason phrase, challenge) made safe for one log line.
std::string printable(const std::string& s, size_t max = 200) {
  std::string out;
  for (char c : s.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

std::string connectLine(const ConnectRequest& r) {
  return absl::StrCat("proxy ", proxyAuthority(*r.proxy), " answered CONNECT ",
                      r.target.authority());
}

ConnectFailure failure(FailureReason reason, int http_status, std::string message,
                       std::string detail) {
  ConnectFailure f;
  f.reason = reason;
  f.http_status = http_status;
  f.message = std::move(message);
  f.detail = std::move(detail);
  return f;
}

}  // namespace

std::string proxyAuthority(const ProxyServer& proxy) {
  return Target{"http", proxy.host, proxy.port}.authority();
}

std::string basicProxyAuthorization(const ProxyServer& proxy) {
  if (proxy.username.empty()) return "";
  const std::string plain = proxy.username + ":" + proxy.password;
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()),
                                static_cast<int>(plain.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return "Basic " + out;
}

std::string connectRequestHead(const Target& target, const ProxyServer& proxy) {
  const std::string authority = target.authority();
  std::string head = absl::StrCat("CONNECT ", authority, " HTTP/1.1\r\nHost: ", authority, "\r\n");
  const std::string auth = basicProxyAuthorization(proxy);
  if (!auth.empty()) absl::StrAppend(&head, "Proxy-Authorization: ", auth, "\r\n");
  head += "\r\n";
  return head;
}

bool usesAbsoluteForm(const ConnectRequest& r) {
  return r.proxy.has_value() && !r.target.tls() && !r.proxy->connect_for_http;
}

std::string poolKey(const ConnectRequest& r, const std::string& protocol) {
  std::string key;
  if (r.proxy) {
    key = absl::StrCat(r.proxy->scheme, "://", proxyAuthority(*r.proxy), "|", r.proxy->username,
                       "|", std::hash<std::string>()(r.proxy->password), "|");
    if (r.proxy->tls()) absl::StrAppend(&key, r.proxy->trust_store_path, "|");
  } else {
    key = "direct||0|";
  }
  absl::StrAppend(&key, r.target.authority(), "|", r.target.tls() ? "tls" : "plain", "|",
                  usesAbsoluteForm(r) ? "absolute" : "origin", "|", protocol);
  return key;
}

ConnectRequest withPoolKey(ConnectRequest request) {
  request.pool_key = poolKey(request);
  return request;
}

std::string describeRoute(const ConnectRequest& r) {
  std::string out = r.target.authority();
  if (r.target.tls()) out += " (tls)";
  if (!r.proxy) return out + " direct";
  absl::StrAppend(&out, r.proxy->tls() ? " via https proxy " : " via proxy ",
                  proxyAuthority(*r.proxy));
  if (usesAbsoluteForm(r)) out += " (absolute-form)";
  return out;
}

const char* failureMetricLabel(FailureReason reason) {
  switch (reason) {
    case FailureReason::Resolve:
      return "refused";  // the proxy could not be reached
    case FailureReason::ProxyTimeout:
      return "timeout";
    default:
      return failureReasonName(reason);
  }
}

namespace {

// The proxy refused (CONNECT answered non-2xx, or a forward-mode request
// answered by the proxy itself): one mapping for both modes. `what` says what
// the proxy answered; `extra` is the proxy's own error code, if any.
ConnectFailure refusal(const ConnectRequest& r, int status, const std::string& what,
                       const std::string& proxy_authenticate, bool forward) {
  ConnectFailure f;
  if (status == 407) {
    f = failure(
        FailureReason::ProxyAuth, 502, "proxy authentication failed",
        absl::StrCat(
            what,
            proxy_authenticate.empty()
                ? std::string()
                : absl::StrCat(" (Proxy-Authenticate: ", printable(proxy_authenticate), ")"),
            r.proxy->username.empty() ? ": no username is configured" : "",
            ": check httpClients.proxy.username/password"));
  } else if (status == 403 && forward) {
    f = failure(FailureReason::ProxyForbidden, 502, "proxy refused the connection",
                absl::StrCat(what, ": the proxy's access rules deny requests to ",
                             r.target.authority(), ": allow it in the proxy's ACLs"));
  } else if (status == 403) {
    f = failure(
        FailureReason::ProxyForbidden, 502, "proxy refused the connection",
        absl::StrCat(what, ": the proxy's access rules deny CONNECT to port ", r.target.port,
                     ". Squid's default configuration denies CONNECT to ports other "
                     "than 443 (`http_access deny CONNECT !SSL_ports`): allow port ",
                     r.target.port, " in the proxy's ACLs",
                     r.target.tls() ? ""
                                    : ", or use the forward (absolute-form) "
                                      "mode for plain-http backends"));
  } else if (status == 502 || status == 503 || (forward && status == 500)) {
    f = failure(FailureReason::ProxyUnavailable, 502, "proxy could not reach the backend",
                absl::StrCat(what, ": the proxy could not connect to ", r.target.authority(),
                             "; check that the backend is up and reachable from the proxy"));
  } else if (status == 504) {
    f = failure(FailureReason::ProxyTimeout, 504, "proxy timed out reaching the backend",
                absl::StrCat(what, ": the proxy timed out connecting to ", r.target.authority()));
  } else {
    f = failure(FailureReason::ProxyOther, 502, "proxy refused the tunnel",
                absl::StrCat(what, forward ? ": the proxy refused to forward the request"
                                           : ": expected a 2xx answer"));
  }
  f.proxy_status = status;
  return f;
}

bool hasProxyStatusError(const std::string& proxy_status) {
  return proxy_status.find("error=") != std::string::npos;
}

}  // namespace

ConnectFailure proxyRejectedFailure(const ConnectRequest& r, int status,
                                    const std::string& reason_phrase,
                                    const std::string& proxy_authenticate) {
  return refusal(r, status,
                 absl::StrCat(connectLine(r), " with ", status, " ", printable(reason_phrase)),
                 proxy_authenticate, /*forward=*/false);
}

bool forwardAnswerFromProxy(int status, const Connector::HeaderLookup& header) {
  if (status == 407) return true;
  if (status < 400) return false;
  if (!header("x-squid-error").empty()) return true;
  if (hasProxyStatusError(header("proxy-status"))) return true;
  return header("server").rfind("tinyproxy/", 0) == 0 && header("via").empty();
}

ConnectFailure forwardRefusedFailure(const ConnectRequest& r, int status,
                                     const Connector::HeaderLookup& header) {
  std::string what = absl::StrCat("proxy ", proxyAuthority(*r.proxy), " answered a request for ",
                                  r.target.authority(), " (forward mode) itself with ", status);
  const std::string squid_error = header("x-squid-error");
  const std::string proxy_status = header("proxy-status");
  if (!squid_error.empty()) {
    absl::StrAppend(&what, " (X-Squid-Error: ", printable(squid_error, 80), ")");
  } else if (hasProxyStatusError(proxy_status)) {
    absl::StrAppend(&what, " (Proxy-Status: ", printable(proxy_status, 120), ")");
  }
  return refusal(r, status, what, header("proxy-authenticate"), /*forward=*/true);
}

ConnectFailure proxyProtocolFailure(const ConnectRequest& r, const std::string& why) {
  return failure(FailureReason::ProxyProtocol, 502, "invalid answer from proxy",
                 absl::StrCat("proxy ", proxyAuthority(*r.proxy), " answered CONNECT ",
                              r.target.authority(), " with something invalid (", why,
                              "): check that httpClients.proxy.host/port point at an HTTP "
                              "forward proxy"));
}

ConnectFailure proxyClosedFailure(const ConnectRequest& r) {
  return failure(
      FailureReason::Reset, 502, "proxy closed the connection",
      absl::StrCat("proxy ", proxyAuthority(*r.proxy),
                   " closed the connection before answering CONNECT ", r.target.authority()));
}

ConnectFailure tcpFailure(const ConnectRequest& r, int dns_error, int socket_error) {
  const bool to_proxy = r.proxy.has_value();
  const std::string peer = to_proxy ? absl::StrCat("proxy ", proxyAuthority(*r.proxy))
                                    : absl::StrCat("backend ", r.target.authority());
  const std::string fix = to_proxy ? ": check httpClients.proxy.host/port and that the proxy "
                                     "is running"
                                   : "";
  if (dns_error != 0) {
    return failure(
        FailureReason::Resolve, 502, to_proxy ? "proxy host not found" : "backend host not found",
        absl::StrCat("could not resolve ", peer, " (", gai_strerror(dns_error), ")", fix));
  }
  return failure(
      FailureReason::Refused, 502, to_proxy ? "proxy unreachable" : "backend unreachable",
      absl::StrCat("could not connect to ", peer, " (",
                   socket_error != 0 ? std::strerror(socket_error) : "connect failed", ")", fix));
}

ConnectFailure resetFailure(const ConnectRequest& r, const std::string& during) {
  return failure(FailureReason::Reset, 502, "upstream connection closed",
                 absl::StrCat("connection to ", describeRoute(r), " closed during ", during));
}

ConnectFailure timeoutFailure(const ConnectRequest& r, const std::string& phase,
                              std::chrono::milliseconds timeout) {
  return failure(FailureReason::Timeout, 504, "upstream connect timed out",
                 absl::StrCat("connection to ", describeRoute(r), " not set up within ",
                              timeout.count(), " ms (", phase, "): check that ",
                              r.proxy ? "the proxy and the backend are" : "the backend is",
                              " up, or raise httpClients.connectTimeoutInMillis"));
}

ConnectFailure silentHopFailure(const ConnectRequest& r, SetupPhase phase,
                                std::chrono::milliseconds waited, const std::string& setting,
                                std::chrono::milliseconds connect_timeout) {
  std::string hop;
  std::string fix;
  const std::string proxy = r.proxy ? absl::StrCat("proxy ", proxyAuthority(*r.proxy)) : "";
  switch (phase) {
    case SetupPhase::Queued:
      hop = absl::StrCat("no connection to ", describeRoute(r),
                         " came free (httpClients.poolConfig.maxActiveConnections reached)");
      fix = "raise httpClients.poolConfig.maxActiveConnections, or check why the backend is slow";
      break;
    case SetupPhase::Tcp:
      hop = r.proxy ? absl::StrCat("the ", proxy, " did not accept the TCP connection")
                    : absl::StrCat("the backend ", r.target.authority(),
                                   " did not accept the TCP connection");
      fix = r.proxy ? "check httpClients.proxy.host/port and that the proxy is up"
                    : "check that the backend is up and reachable";
      break;
    case SetupPhase::ProxyAnswer:
      hop = absl::StrCat("the ", proxy, " accepted the connection but did not answer the CONNECT ",
                         r.target.authority());
      fix = "check that the proxy is up and not overloaded, and that it can reach the backend";
      break;
    case SetupPhase::Tls:
      hop =
          absl::StrCat("the backend ", r.target.authority(), " did not complete the TLS handshake",
                       r.proxy ? absl::StrCat(" (through the ", proxy, ")") : "");
      fix = "check that the backend speaks TLS on that port";
      break;
    case SetupPhase::ProxyTls:
      hop = absl::StrCat("the ", proxy, " did not complete the TLS handshake");
      fix =
          "check that the proxy listens for TLS on that port (httpClients.proxy.protocol = "
          "\"https\")";
      break;
  }
  std::string raise = absl::StrCat("raise ", setting);
  if (setting != "httpClients.connectTimeoutInMillis") {
    absl::StrAppend(&raise, " (httpClients.connectTimeoutInMillis, ", connect_timeout.count(),
                    " ms, had not run out)");
  }
  return failure(
      FailureReason::Timeout, 504, "upstream connect timed out",
      absl::StrCat(hop, " within ", waited.count(), " ms (", setting, "): ", fix, ", or ", raise));
}

ConnectFailure poolExhaustedFailure(const ConnectRequest& r, int64_t max_active,
                                    std::chrono::milliseconds waited) {
  return failure(FailureReason::PoolExhausted, 503, "upstream connection limit reached",
                 absl::StrCat("all ", max_active, " connections to ", describeRoute(r),
                              " (httpClients.poolConfig.maxActiveConnections) stayed in use for ",
                              waited.count(),
                              " ms (httpClients.poolConfig.waitTimeInMillis): raise "
                              "maxActiveConnections or waitTimeInMillis, or check why the "
                              "backend answers slowly"));
}

ConnectFailure tlsFailure(const ConnectRequest& r, const TlsOptions& tls, long verify_result,
                          const std::string& ssl_error) {
  if (verify_result != X509_V_OK) {
    const std::string store = tls.trust_store_path.empty()
                                  ? std::string("the system CAs (httpClients.trustStorePath unset)")
                                  : absl::StrCat("trustStorePath ", tls.trust_store_path);
    return failure(
        FailureReason::TlsVerify, 502, "backend certificate verification failed",
        absl::StrCat("TLS to ", describeRoute(r), ": certificate verify failed: ",
                     X509_verify_cert_error_string(verify_result), ", verified against ", store,
                     ": add the backend's CA to httpClients.trustStorePath or fix "
                     "the backend's certificate"));
  }
  return failure(FailureReason::TlsHandshake, 502, "TLS handshake with backend failed",
                 absl::StrCat("TLS to ", describeRoute(r),
                              " failed: ", ssl_error.empty() ? "handshake error" : ssl_error));
}

ConnectFailure proxyTlsFailure(const ConnectRequest& r, long verify_result,
                               const std::string& ssl_error) {
  const std::string proxy = absl::StrCat("https proxy ", proxyAuthority(*r.proxy));
  if (verify_result != X509_V_OK) {
    const std::string store =
        r.proxy->trust_store_path.empty()
            ? std::string("the system CAs (httpClients.proxy.proxyTrustStorePath unset)")
            : absl::StrCat("proxyTrustStorePath ", r.proxy->trust_store_path);
    return failure(
        FailureReason::TlsVerify, 502, "proxy certificate verification failed",
        absl::StrCat("TLS to ", proxy, ": certificate verify failed: ",
                     X509_verify_cert_error_string(verify_result), ", verified against ", store,
                     ": add the proxy's CA to httpClients.proxy.proxyTrustStorePath "
                     "or fix the proxy's certificate"));
  }
  return failure(
      FailureReason::TlsHandshake, 502, "TLS handshake with proxy failed",
      absl::StrCat("TLS to ", proxy, " failed: ", ssl_error.empty() ? "handshake error" : ssl_error,
                   ": check that the proxy listens for TLS on that port and that "
                   "httpClients.proxy.proxyTrustStorePath can be read"));
}

}  // namespace gw::proxy
