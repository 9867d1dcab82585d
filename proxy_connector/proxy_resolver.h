#pragma once

// Decides which forward proxy, if any, a connection to a target goes through.
//
// Rules, in order:
//   1. The endpoint's own choice (x-wso2-production-endpoints.proxy): None ->
//      direct; Custom -> its proxy; Inherit -> the global [httpClients.proxy].
//   2. The global proxy applies to backend traffic when `enabled`, and to the
//      gateway's internal services (key manager, etcd, analytics) when
//      `enableInternalServices`; the two flags are independent.
//   3. A proxy without a host is no proxy.
//   4. A target matching the chosen proxy's nonProxyHosts goes direct.
//   5. HttpProxyMode::Forward -> ProxyServer::connect_for_http = false.
//
// Example:
//
//   std::optional<ProxyServer> p = resolveProxy(cfg.http_clients.proxy, endpoint.proxy,
//                                               /*internal=*/false, "api.example.com", 443);
//
// Thread-safety: a pure function.

#include <cstdint>
#include <optional>
#include <string_view>

#include "conf/config.h"
#include "proxy_connector/connector.h"

namespace gw::proxy {

std::optional<ProxyServer> resolveProxy(const conf::ProxyConfig& global,
                                        const conf::EndpointProxy& endpoint, bool internal,
                                        std::string_view host, uint16_t port);

// The same for internal-service traffic, which has no per-endpoint choice.
std::optional<ProxyServer> resolveInternalProxy(const conf::ProxyConfig& global,
                                                std::string_view host, uint16_t port);

}  // namespace gw::proxy
