#include "proxy_connector/proxy_resolver.h"

#include "proxy_connector/no_proxy.h"

namespace gw::proxy {

std::optional<ProxyServer> resolveProxy(const conf::ProxyConfig& global,
                                        const conf::EndpointProxy& endpoint, bool internal,
                                        std::string_view host, uint16_t port) {
  const conf::ProxyConfig* chosen = nullptr;
  switch (endpoint.mode) {
    case conf::EndpointProxy::Mode::None:
      return std::nullopt;
    case conf::EndpointProxy::Mode::Custom:
      chosen = &endpoint.custom;
      break;
    case conf::EndpointProxy::Mode::Inherit:
      if (!(internal ? global.enable_internal_services : global.enabled)) return std::nullopt;
      chosen = &global;
      break;
  }
  if (chosen->host.empty()) return std::nullopt;
  if (!chosen->non_proxy_hosts.empty() &&
      NoProxyMatcher(chosen->non_proxy_hosts).matches(host, port)) {
    return std::nullopt;
  }
  ProxyServer server;
  server.host = chosen->host;
  server.port = chosen->port;
  server.username = chosen->username;
  server.password = chosen->password;
  server.connect_for_http = chosen->http_mode == conf::HttpProxyMode::Connect;
  server.scheme = chosen->protocol;
  server.trust_store_path = chosen->proxy_trust_store_path;
  return server;
}

std::optional<ProxyServer> resolveInternalProxy(const conf::ProxyConfig& global,
                                                std::string_view host, uint16_t port) {
  return resolveProxy(global, conf::EndpointProxy{}, /*internal=*/true, host, port);
}

}  // namespace gw::proxy
