#include "proxy_connector/connector.h"

namespace gw::proxy {

std::string Target::authority() const {
  std::string out;
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) out += '[';
  out += host;
  if (v6) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

const char* failureReasonName(FailureReason reason) {
  switch (reason) {
    case FailureReason::Resolve:
      return "resolve";
    case FailureReason::Refused:
      return "refused";
    case FailureReason::Timeout:
      return "timeout";
    case FailureReason::Reset:
      return "reset";
    case FailureReason::ProxyAuth:
      return "auth";
    case FailureReason::ProxyForbidden:
      return "forbidden";
    case FailureReason::ProxyUnavailable:
      return "unavailable";
    case FailureReason::ProxyTimeout:
      return "timeout";
    case FailureReason::ProxyProtocol:
      return "protocol";
    case FailureReason::ProxyOther:
      return "other";
    case FailureReason::TlsHandshake:
      return "tls";
    case FailureReason::TlsVerify:
      return "tls";
    case FailureReason::PoolExhausted:
      return "pool_exhausted";
  }
  return "other";
}

ConnectFailure ConnectHandle::abandon(std::chrono::milliseconds waited,
                                      const std::string& setting) {
  ConnectFailure f;
  f.reason = FailureReason::Timeout;
  f.http_status = 504;
  f.message = "upstream connect timed out";
  f.detail =
      "connection not set up within " + std::to_string(waited.count()) + " ms (" + setting + ")";
  return f;
}

std::optional<ConnectFailure> Connector::proxyAnswered(const UpstreamConnection&, int,
                                                       const HeaderLookup&) {
  return std::nullopt;
}

}  // namespace gw::proxy
