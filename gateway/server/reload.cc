#include "gateway/server/reload.h"

#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <tuple>
#include <type_traits>

#include "absl/strings/str_join.h"
#include "gateway/common/strcat.h"

namespace gw::server {
namespace {

bool sameProxy(const conf::ProxyConfig& a, const conf::ProxyConfig& b) {
  return std::tie(a.enabled, a.enable_internal_services, a.host, a.port, a.username, a.password,
                  a.non_proxy_hosts,
                  a.http_mode) == std::tie(b.enabled, b.enable_internal_services, b.host, b.port,
                                           b.username, b.password, b.non_proxy_hosts, b.http_mode);
}

bool sameProxies(const conf::HttpClientsConfig& a, const conf::HttpClientsConfig& b) {
  if (!sameProxy(a.proxy, b.proxy)) return false;
  if (a.plain_http_proxy.has_value() != b.plain_http_proxy.has_value()) return false;
  return !a.plain_http_proxy || sameProxy(*a.plain_http_proxy, *b.plain_http_proxy);
}

bool sameUrls(const std::vector<conf::EndpointUrl>& a, const std::vector<conf::EndpointUrl>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tie(a[i].url, a[i].scheme, a[i].host, a[i].port, a[i].base_path, a[i].etcd_key) !=
        std::tie(b[i].url, b[i].scheme, b[i].host, b[i].port, b[i].base_path, b[i].etcd_key)) {
      return false;
    }
  }
  return true;
}

bool sameEndpoint(const conf::EndpointConfig& a, const conf::EndpointConfig& b) {
  return sameUrls(a.urls, b.urls) && a.type == b.type && a.timeout_ms == b.timeout_ms &&
         a.proxy.mode == b.proxy.mode && sameProxy(a.proxy.custom, b.proxy.custom) &&
         a.security.authorization == b.security.authorization;
}

bool sameOptionalEndpoint(const std::optional<conf::EndpointConfig>& a,
                          const std::optional<conf::EndpointConfig>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || sameEndpoint(*a, *b);
}

bool sameCors(const conf::CorsConfig& a, const conf::CorsConfig& b) {
  return std::tie(a.enabled, a.allow_origins, a.allow_methods, a.allow_headers, a.expose_headers,
                  a.allow_credentials) == std::tie(b.enabled, b.allow_origins, b.allow_methods,
                                                   b.allow_headers, b.expose_headers,
                                                   b.allow_credentials);
}

bool sameOperations(const std::vector<conf::Operation>& a, const std::vector<conf::Operation>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tie(a[i].path_template, a[i].method, a[i].disable_security, a[i].throttling_tier) !=
            std::tie(b[i].path_template, b[i].method, b[i].disable_security,
                     b[i].throttling_tier) ||
        !sameOptionalEndpoint(a[i].endpoint, b[i].endpoint) ||
        !sameOptionalEndpoint(a[i].sandbox, b[i].sandbox) ||
        router::describeSecurity(a[i]) != router::describeSecurity(b[i])) {
      return false;
    }
  }
  return true;
}

bool sameApi(const conf::ApiDefinition& a, const conf::ApiDefinition& b) {
  return std::tie(a.file, a.title, a.version, a.base_path, a.disable_security, a.throttling_tier,
                  a.auth_header) == std::tie(b.file, b.title, b.version, b.base_path,
                                             b.disable_security, b.throttling_tier,
                                             b.auth_header) &&
         sameEndpoint(a.production, b.production) && sameOptionalEndpoint(a.sandbox, b.sandbox) &&
         sameCors(a.cors, b.cors) && sameOperations(a.operations, b.operations);
}

std::map<std::string, const conf::ApiDefinition*> apisByBasePath(const Runtime& runtime) {
  std::map<std::string, const conf::ApiDefinition*> out;
  for (const auto& route : runtime.routes->apis()) out[route->api().base_path] = &route->api();
  return out;
}

std::string apiLabel(const conf::ApiDefinition& api) {
  return gw::cat(api.title.empty() ? "(untitled)" : api.title, " (",
                 api.base_path.empty() ? "/" : api.base_path, ")");
}

void diffApis(const Runtime& before, const Runtime& after, RuntimeDiff& diff) {
  auto old_apis = apisByBasePath(before);
  auto new_apis = apisByBasePath(after);
  for (const auto& [base_path, api] : new_apis) {
    auto it = old_apis.find(base_path);
    if (it == old_apis.end()) {
      diff.apis_added.push_back(apiLabel(*api));
    } else if (!sameApi(*it->second, *api)) {
      diff.apis_changed.push_back(apiLabel(*api));
    }
  }
  for (const auto& [base_path, api] : old_apis) {
    if (new_apis.count(base_path) == 0) diff.apis_removed.push_back(apiLabel(*api));
  }
}

bool sameChain(const conf::FilterChainConfig& a, const conf::FilterChainConfig& b) {
  if (a.file != b.file || a.filters.size() != b.filters.size()) return false;
  for (size_t i = 0; i < a.filters.size(); ++i) {
    if (a.filters[i].name != b.filters[i].name ||
        a.filters[i].config_yaml != b.filters[i].config_yaml) {
      return false;
    }
  }
  return true;
}

template <typename T>
std::string valueText(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else {
    return gw::cat(v);
  }
}

template <typename T>
void restartIfChanged(const char* key, const T& before, const T& after,
                      std::vector<std::string>& out) {
  if (before == after) return;
  out.push_back(gw::cat(key, " changed (", valueText(before), " -> ", valueText(after),
                        "): takes effect only after a restart"));
}

}  // namespace

std::vector<std::string> restartOnlyChanges(const conf::Config& a, const conf::Config& b) {
  std::vector<std::string> diff;
  restartIfChanged("listenerConfig.host", a.listener.host, b.listener.host, diff);
  restartIfChanged("listenerConfig.httpPort", a.listener.http_port, b.listener.http_port, diff);
  restartIfChanged("listenerConfig.httpsPort",
                   a.listener.tls.enabled() ? a.listener.tls.https_port : 0,
                   b.listener.tls.enabled() ? b.listener.tls.https_port : 0, diff);
  restartIfChanged("listenerConfig.workers", a.listener.workers, b.listener.workers, diff);
  restartIfChanged("admin.enabled", a.admin.enabled, b.admin.enabled, diff);
  restartIfChanged("admin.host", a.admin.host, b.admin.host, diff);
  restartIfChanged("admin.port", a.admin.port, b.admin.port, diff);
  restartIfChanged("accessLog.enabled", a.access_log.enabled, b.access_log.enabled, diff);
  restartIfChanged("accessLog.path", a.access_log.path, b.access_log.path, diff);
  return diff;
}

namespace {

bool sameOtherSettings(const conf::Config& a, const conf::Config& b) {
  const conf::ListenerConfig& x = a.listener;
  const conf::ListenerConfig& y = b.listener;
  return std::tie(x.max_uri_length, x.max_header_size, x.max_header_count,
                  x.headers_with_underscores, x.max_entity_body_size, x.header_read_timeout_ms,
                  x.idle_timeout_ms, x.drain_timeout_ms, x.request_body_timeout_ms) ==
         std::tie(y.max_uri_length, y.max_header_size, y.max_header_count,
                  y.headers_with_underscores, y.max_entity_body_size, y.header_read_timeout_ms,
                  y.idle_timeout_ms, y.drain_timeout_ms, y.request_body_timeout_ms);
}

bool sameIssuer(const conf::JwtTokenConfig& a, const conf::JwtTokenConfig& b) {
  if (a.claims.size() != b.claims.size()) return false;
  for (size_t i = 0; i < a.claims.size(); ++i) {
    if (std::tie(a.claims[i].remote_claim, a.claims[i].local_claim) !=
        std::tie(b.claims[i].remote_claim, b.claims[i].local_claim)) {
      return false;
    }
  }
  return std::tie(a.issuer, a.audience, a.jwks_url, a.certificate_alias, a.certificate_pem,
                  a.consumer_key_claim, a.validate_subscription) ==
         std::tie(b.issuer, b.audience, b.jwks_url, b.certificate_alias, b.certificate_pem,
                  b.consumer_key_claim, b.validate_subscription);
}

// Introspection ([keyManager], [keymanager.security.basic]) and [apikey.tokenConfigs].
bool sameIntrospectionAndApiKey(const conf::SecurityConfig& a, const conf::SecurityConfig& b) {
  return std::tie(a.km_server_url, a.km_token_context, a.introspection_url_override,
                  a.introspect_failed_jwt, a.km_basic_enabled, a.km_username, a.km_password,
                  a.apikey_issuer, a.apikey_certificate_alias, a.apikey_certificate_pem,
                  a.apikey_validate_allowed_apis) ==
         std::tie(b.km_server_url, b.km_token_context, b.introspection_url_override,
                  b.introspect_failed_jwt, b.km_basic_enabled, b.km_username, b.km_password,
                  b.apikey_issuer, b.apikey_certificate_alias, b.apikey_certificate_pem,
                  b.apikey_validate_allowed_apis);
}

bool sameSecurity(const conf::SecurityConfig& a, const conf::SecurityConfig& b) {
  if (!sameIntrospectionAndApiKey(a, b)) return false;
  if (a.jwt_issuers.size() != b.jwt_issuers.size()) return false;
  for (size_t i = 0; i < a.jwt_issuers.size(); ++i) {
    if (!sameIssuer(a.jwt_issuers[i], b.jwt_issuers[i])) return false;
  }
  return std::tie(a.timestamp_skew_ms, a.authorization_header, a.remove_auth_header,
                  a.jwt_header_enabled, a.jwt_header, a.cache_enabled, a.token_cache_expiry_s,
                  a.token_cache_capacity, a.token_cache_eviction_factor) ==
         std::tie(b.timestamp_skew_ms, b.authorization_header, b.remove_auth_header,
                  b.jwt_header_enabled, b.jwt_header, b.cache_enabled, b.token_cache_expiry_s,
                  b.token_cache_capacity, b.token_cache_eviction_factor);
}

}  // namespace

bool RuntimeDiff::empty() const {
  return apis_added.empty() && apis_removed.empty() && apis_changed.empty() && !proxy_changed &&
         !upstream_changed && !chain_changed && !other_changed && !security_changed;
}

bool upstreamSettingsChanged(const Runtime& before, const Runtime& after) {
  const conf::HttpClientsConfig& a = before.config->http_clients;
  const conf::HttpClientsConfig& b = after.config->http_clients;
  return !sameProxies(a, b) || before.trust_store_digest != after.trust_store_digest ||
         std::tie(a.trust_store_path, a.verify_hostname, a.disable_ssl_verification,
                  a.connect_timeout_ms, a.pool_idle_timeout_ms, a.max_idle_connections_per_host,
                  a.pool.max_active_connections, a.pool.wait_time_ms) !=
             std::tie(b.trust_store_path, b.verify_hostname, b.disable_ssl_verification,
                      b.connect_timeout_ms, b.pool_idle_timeout_ms, b.max_idle_connections_per_host,
                      b.pool.max_active_connections, b.pool.wait_time_ms);
}

RuntimeDiff diffRuntimes(const Runtime& before, const Runtime& after) {
  RuntimeDiff diff;
  diffApis(before, after, diff);
  diff.proxy_changed = !sameProxies(before.config->http_clients, after.config->http_clients);
  diff.upstream_changed = upstreamSettingsChanged(before, after);
  diff.chain_changed = !sameChain(before.chain, after.chain);
  diff.other_changed = !sameOtherSettings(*before.config, *after.config);
  diff.security_changed = !sameSecurity(before.config->security, after.config->security);
  return diff;
}

std::string describeDiff(const RuntimeDiff& diff) {
  if (diff.empty()) return "no changes";
  std::vector<std::string> parts;
  if (!diff.apis_added.empty())
    parts.push_back("APIs added: " + absl::StrJoin(diff.apis_added, ", "));
  if (!diff.apis_removed.empty()) {
    parts.push_back("APIs removed: " + absl::StrJoin(diff.apis_removed, ", "));
  }
  if (!diff.apis_changed.empty()) {
    parts.push_back("APIs changed: " + absl::StrJoin(diff.apis_changed, ", "));
  }
  if (diff.proxy_changed) parts.push_back("proxy changed");
  if (diff.upstream_changed) {
    parts.push_back("upstream connection settings changed (pooled connections drained)");
  }
  if (diff.chain_changed) parts.push_back("filter chain changed");
  if (diff.other_changed) parts.push_back("listener limits/timeouts changed");
  if (diff.security_changed) parts.push_back("security settings changed");
  return absl::StrJoin(parts, "; ");
}

std::string fileDigest(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream bytes;
  bytes << in.rdbuf();
  const std::string text = bytes.str();
  return gw::cat(text.size(), ":", std::hash<std::string>{}(text));
}

}  // namespace gw::server
