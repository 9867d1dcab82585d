#include "proxy_connector/transport_plan.h"

#include "proxy_connector/connect_protocol.h"

namespace gw::proxy {

std::string carriedProtocol(const std::string& negotiated_alpn) {
  return negotiated_alpn.empty() ? "http/1.1" : negotiated_alpn;
}

std::vector<TransportStep> planTransport(const ConnectRequest& request) {
  std::vector<TransportStep> steps;
  if (request.proxy) {
    steps.push_back({StepKind::Tcp, request.proxy->host, request.proxy->port});
    if (request.proxy->tls()) {
      steps.push_back({StepKind::ProxyTls, request.proxy->host, request.proxy->port});
    }
    if (!usesAbsoluteForm(request)) {
      steps.push_back({StepKind::Connect, request.target.host, request.target.port});
    }
  } else {
    steps.push_back({StepKind::Tcp, request.target.host, request.target.port});
  }
  if (request.target.tls()) {
    steps.push_back({StepKind::BackendTls, request.target.host, request.target.port});
  }
  return steps;
}

const char* stepName(StepKind kind) {
  switch (kind) {
    case StepKind::Tcp:
      return "TCP";
    case StepKind::ProxyTls:
      return "TLS to the proxy";
    case StepKind::Connect:
      return "CONNECT";
    case StepKind::BackendTls:
      return "TLS to the backend";
  }
  return "?";
}

}  // namespace gw::proxy
