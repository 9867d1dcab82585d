#pragma once

// The per-API transport rules applied to each request before the filter
// chain: x-wso2-transports (an API listed only for https is refused on the
// plain port, and the other way round), x-wso2-mutual-ssl: mandatory (a
// verified client certificate or 401), and the client certificate passed to
// the backend in [mutualSSLConfig] certificateHeaderName (a copy sent by the
// client is always removed first). Pure function; any thread.
//
// Example:
//   if (auto refusal = applyTransportPolicy(route, transport, tls, headers.headers)) {
//     chain.sendLocalReply(refusal->status, refusal->message, refusal->description);
//   }

#include <optional>
#include <string>

#include "conf/config.h"
#include "gateway/http/header_map.h"
#include "gateway/router/route_table.h"
#include "gateway/server/downstream_transport.h"

namespace gw::server {

struct TransportRefusal {
  int status;
  std::string message;
  std::string description;
};

std::optional<TransportRefusal> applyTransportPolicy(const router::RouteMatch& route,
                                                     const DownstreamTransport& transport,
                                                     const conf::ListenerTlsConfig& tls,
                                                     http::HeaderMap& headers);

// The header value for a client certificate: its DER bytes in base64 (the PEM
// body on one line), "" when `pem` holds no certificate.
std::string certificateHeaderValue(const std::string& pem);

}  // namespace gw::server
