#pragma once

// The typed configuration model: what micro-gw.conf (TOML) and the API
// definitions (OpenAPI 3 YAML with x-wso2-* extensions) say, after validation.
// Loaded once at start-up by conf/loader.h and then shared read-only
// (std::shared_ptr<const Config>) by every worker thread.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/analytics_config.h"
#include "conf/etcd_config.h"
#include "conf/resilience_config.h"
#include "conf/revocation_config.h"
#include "conf/throttling_config.h"

namespace gw::conf {

// listenerConfig.headersWithUnderscoresAction: what happens to a request
// header or trailer whose name has an underscore.
enum class UnderscoreHeaderAction { Drop, Reject, Allow };

// listenerConfig.keepAlive (WSO2's values): whether a client connection stays
// open after a response.
enum class KeepAliveMode {
  Auto,    // as the request asks (HTTP/1.1 default on, HTTP/1.0 only with keep-alive)
  Always,  // also for HTTP/1.0 requests without keep-alive; a "close" is still honoured
  Never,   // every response carries Connection: close
};

// [mutualSSLConfig] sslVerifyClient: whether the TLS listener asks clients
// for a certificate. A certificate that is sent must verify against
// listenerConfig.trustStorePath, else the handshake fails.
enum class ClientCertMode {
  None,      // no certificate request ("none", or no listener trust store with "optional")
  Optional,  // asked for; a client without one still connects (WSO2's default)
  Require,   // a client without a valid certificate fails the handshake
};

// The TLS listener: [listenerConfig] httpsPort and key store, [mutualSSLConfig].
// Off when https_port is 0 or no key store (keyStorePath or certificateFile +
// keyFile) is configured. Passwords never logged.
struct ListenerTlsConfig {
  uint16_t https_port = 9095;   // 0 = no TLS listener
  bool https_port_set = false;  // httpsPort given explicitly
  std::string key_store_path;   // PKCS#12 or PEM (key + certificate chain), expanded
  std::string key_store_password;
  // microgw extension: a PEM certificate chain and its PEM private key, in two files.
  std::string certificate_file;
  std::string key_file;
  // [mutualSSLConfig] protocolVersions, as OpenSSL protocol versions
  // (TLS1_2_VERSION, TLS1_3_VERSION); both by default.
  int min_version = 0x0303;
  int max_version = 0x0304;
  // [mutualSSLConfig] ciphers, translated to OpenSSL's names for TLS 1.2
  // ("" = OpenSSL's defaults); TLS 1.3 suites are OpenSSL's defaults.
  std::string cipher_list;
  ClientCertMode verify_client = ClientCertMode::Optional;
  std::string certificate_header_name = "X-WSO2-CLIENT-CERTIFICATE";
  // microgw: a client must finish its TLS handshake within this (listenerConfig.
  // tlsHandshakeTimeoutInMillis).
  uint32_t handshake_timeout_ms = 10000;

  bool enabled() const {
    return https_port != 0 && (!key_store_path.empty() || !certificate_file.empty());
  }
};

// [listenerConfig]
struct ListenerConfig {
  std::string host = "0.0.0.0";
  uint16_t http_port = 9090;
  int workers = 0;  // 0 = one per core
  uint32_t max_uri_length = 4096;
  uint32_t max_header_size = 8192;  // bytes of the header (and trailer) section on the wire
  uint32_t max_header_count = 100;  // fields in the header (and trailer) section
  UnderscoreHeaderAction headers_with_underscores = UnderscoreHeaderAction::Drop;
  uint64_t max_entity_body_size = 0;  // 0 = unlimited (WSO2's -1 is read as 0)
  KeepAliveMode keep_alive = KeepAliveMode::Auto;
  // WSO2's trust store: the CAs of the TLS listener's client certificates,
  // and where certificateAlias values that are not files are looked up.
  // Expanded path; password never logged.
  std::string trust_store_path;
  std::string trust_store_password;
  // Requests a client may send ahead of the response it waits for on one
  // connection (HTTP/1.1 pipelining); the response to the next one carries
  // Connection: close. -1 = unlimited.
  int64_t max_pipelined_requests = 10;
  uint32_t header_read_timeout_ms = 30000;
  uint32_t idle_timeout_ms = 60000;
  uint32_t drain_timeout_ms = 10000;
  // The whole request body must arrive within this, counted from the end of the
  // request headers; else 408 and the upstream connection is closed. 0 = off.
  uint32_t request_body_timeout_ms = 60000;
  ListenerTlsConfig tls;
};

// How a plain-http backend is reached through a proxy.
enum class HttpProxyMode {
  Connect,  // CONNECT host:port, then the request inside the tunnel
  Forward,  // absolute-form request line sent to the proxy
};

// A forward proxy and the credentials to use with it.
struct ProxyConfig {
  bool enabled = false;                   // applies to backend (API endpoint) traffic
  bool enable_internal_services = false;  // applies to the gateway's own clients
  std::string host;
  uint16_t port = 3128;
  std::string username;
  std::string password;  // resolved from password / passwordEnv / passwordFile; never log
  std::vector<std::string> non_proxy_hosts;
  HttpProxyMode http_mode = HttpProxyMode::Connect;
  // "http", or "https": TLS to the proxy (microgw extension `protocol`, or an
  // https:// proxy URL in the environment).
  std::string protocol = "http";
  // https proxies: CA bundle (PEM) or PKCS#12 store that verifies the proxy
  // (microgw extension `proxyTrustStorePath`); empty = system CAs.
  std::string proxy_trust_store_path;
  // Where the settings came from, for log lines: "micro-gw.conf", "environment (HTTPS_PROXY)".
  std::string source;
};

// [httpClients.poolConfig] (WSO2 3.2's keys and defaults)
struct PoolConfig {
  // Connections per backend (pool key: target, scheme, proxy route) being set
  // up or in use, across all workers (idle pooled ones do not count); -1 = unlimited.
  int64_t max_active_connections = -1;
  // How long a request over max_active_connections waits for one, then 503.
  uint32_t wait_time_ms = 30000;
  // Streams on one upstream HTTP/2 connection before another opens; -1 =
  // only the backend's SETTINGS_MAX_CONCURRENT_STREAMS. (HTTP/1.1: one per connection.)
  int64_t max_active_streams_per_connection = 50;
  // The same as a limit for the pool: -1 is "no limit of ours".
  size_t streamsPerConnection() const {
    return max_active_streams_per_connection < 0
               ? std::numeric_limits<size_t>::max()
               : static_cast<size_t>(max_active_streams_per_connection);
  }
};

// [httpClients]
struct HttpClientsConfig {
  std::string trust_store_path;      // PEM or PKCS#12; empty = system CAs
  std::string trust_store_password;  // for a PKCS#12 trust store; never logged
  bool verify_hostname = true;
  bool disable_ssl_verification = false;
  uint32_t connect_timeout_ms = 5000;
  uint32_t pool_idle_timeout_ms = 30000;
  uint32_t max_idle_connections_per_host = 100;  // also poolConfig.maxIdleConnections (WSO2: 100)
  // enableHttp2: false = HTTP/1.1 to every backend, whatever its endpoint says.
  bool enable_http2 = true;
  PoolConfig pool;
  ProxyConfig proxy;
  // Set only when the proxy comes from the environment (no [httpClients.proxy]
  // section): HTTP_PROXY's proxy for plain-http targets, while `proxy` holds
  // HTTPS_PROXY's for https targets, as curl and Go read them. A disabled
  // value means plain-http targets go direct.
  std::optional<ProxyConfig> plain_http_proxy;

  // The proxy settings that apply to targets of `scheme` ("http" or "https").
  const ProxyConfig& proxyFor(std::string_view scheme) const {
    return scheme == "http" && plain_http_proxy ? *plain_http_proxy : proxy;
  }
};

// [admin]
struct AdminConfig {
  bool enabled = true;
  std::string host = "127.0.0.1";
  uint16_t port = 9797;
  uint32_t max_connections = 64;  // more are answered 503 and closed
};

// [accessLog]
struct AccessLogConfig {
  bool enabled = true;
  std::string path = "-";  // "-" = stdout
};

// One entry of the filter chain file (conf/filters.yaml).
struct FilterEntry {
  std::string name;
  std::string config_yaml;  // the entry's `config:` node re-emitted as YAML text ("" if absent)
  int index = 0;            // position in the file, for error messages
};

struct FilterChainConfig {
  std::string file;  // resolved path of the chain file, or "built-in default chain"
  std::vector<FilterEntry> filters;
};

// A backend URL from x-wso2-production-endpoints.urls.
struct EndpointUrl {
  std::string url;        // as written
  std::string scheme;     // "http" or "https"
  std::string host;       // without brackets for IPv6 literals
  uint16_t port = 0;      // defaulted from the scheme when absent
  std::string base_path;  // path part of the URL without trailing '/' ("" for "/")
  // Written etcd(<key>, <defaultUrl>): the etcd key whose value replaces this
  // URL at run time (gateway/discovery); the fields above hold defaultUrl.
  std::string etcd_key;
  std::string query;  // the URL's query without '?' ("" if none): sent before the request's
};

enum class EndpointType { LoadBalance, Failover };

// Per-endpoint proxy choice (x-wso2-production-endpoints.proxy): inherit the
// global [httpClients.proxy], go direct, or use a proxy of its own.
struct EndpointProxy {
  enum class Mode { Inherit, None, Custom };
  Mode mode = Mode::Inherit;
  ProxyConfig custom;  // when mode == Custom
};

// securityConfig of an endpoint: the credential the gateway sends to the
// backend (WSO2's `type: basic`).
struct EndpointSecurity {
  std::string username;
  // "Basic base64(username:password)", "" when the endpoint has no
  // securityConfig. Replaces any Authorization header of the request. Never log.
  std::string authorization;
};

struct EndpointConfig {
  std::vector<EndpointUrl> urls;
  EndpointType type = EndpointType::LoadBalance;
  uint32_t timeout_ms = 60000;                          // advanceEndpointConfig.timeoutInMillis
  RetryConfig retry;                                    // advanceEndpointConfig.retryConfig
  std::optional<CircuitBreakerConfig> circuit_breaker;  // advanceEndpointConfig.circuitBreaker
  EndpointProxy proxy;
  EndpointSecurity security;
  // The x-wso2-endpoints entry it came from ("#/x-wso2-endpoints/<name>"), "" if inline.
  std::string reference;
  // microgw extension `http2: prior-knowledge`: its http:// URLs get HTTP/2
  // without negotiation (h2c), as streams on shared connections.
  bool http2_prior_knowledge = false;
};

// x-wso2-cors (conf/cors_loader.h): present and not `corsConfigurationEnabled: false`
// = enabled. Lists are validated; origins are lower case ("*" or scheme://host[:port]),
// methods upper case.
struct CorsConfig {
  bool enabled = false;
  std::vector<std::string> allow_origins;
  std::vector<std::string> allow_methods;
  std::vector<std::string> allow_headers;
  std::vector<std::string> expose_headers;
  bool allow_credentials = false;
};

// Where an API key is read from: an OpenAPI securitySchemes entry of `type: apiKey`.
struct ApiKeyLocation {
  std::string in;    // "header" or "query"
  std::string name;  // header or query parameter name
};

// How a secured operation authenticates requests (resolved per operation from
// the OpenAPI `security` requirement, `components.securitySchemes` and
// x-wso2-application-security).
struct OperationSecurity {
  // x-wso2-application-security security-types (default: oauth2 only).
  bool oauth2 = true;
  bool api_key = false;   // accepted; no filter validates API keys yet
  bool optional = false;  // x-wso2-application-security optional
  // OAuth2 scopes of the `security` requirement: a token needs at least one of
  // them (WSO2's rule); empty = any valid token.
  std::vector<std::string> scopes;
  std::vector<ApiKeyLocation> api_key_locations;
};

// One OpenAPI operation: a path template and a method.
struct Operation {
  std::string path_template;  // "/pets/{petId}"
  std::string method;         // upper case: "GET"
  // Open (no authentication): x-wso2-disable-security on the operation, else on
  // the API, or `x-auth-type: None` on the operation. Secured by default.
  bool disable_security = false;
  OperationSecurity security;  // meaningful when !disable_security
  std::string throttling_tier;
  std::optional<EndpointConfig> endpoint;  // resource-level override
  // x-wso2-sandbox-endpoints of the operation: where requests whose token has
  // keytype SANDBOX go (beats the API's sandbox endpoints).
  std::optional<EndpointConfig> sandbox;
};

// One API: one OpenAPI 3 or Swagger 2.0 file (YAML or JSON).
struct ApiDefinition {
  std::string file;
  std::string title;
  std::string version;
  // x-wso2-basePath, else the path of servers[0].url (OpenAPI 3) or basePath
  // (Swagger 2), else "/"; normalised: leading '/', no trailing '/' (except "/").
  std::string base_path;
  // x-wso2-production-endpoints, else servers[0].url (OpenAPI 3) or
  // schemes[0]://host/basePath (Swagger 2) when absolute.
  EndpointConfig production;
  // x-wso2-sandbox-endpoints: for tokens whose keytype is SANDBOX. With it
  // alone, `production` stays empty (production tokens are refused, 403).
  std::optional<EndpointConfig> sandbox;
  bool disable_security = false;
  std::string throttling_tier;
  std::string auth_header;  // x-wso2-auth-header; "" = [authConfig] authorizationHeader
  CorsConfig cors;
  // x-wso2-mutual-ssl: `mandatory` answers 401 to a request without a verified
  // client certificate; `optional` (or absent) checks nothing.
  bool mutual_ssl_mandatory = false;
  // x-wso2-transports: the listeners the API is served on (both by default).
  bool transport_http = true;
  bool transport_https = true;
  std::vector<Operation> operations;
  // Start-up warnings: extensions accepted but not implemented, fallbacks
  // taken (one line per extension and API, "<file>: ..."). Logged by the server.
  std::vector<std::string> warnings;
};

// [[jwtTokenConfig.claims]]: a claim of the token copied under another name
// into the claims sent to the backend ([jwtConfig]).
struct ClaimMapping {
  std::string remote_claim;
  std::string local_claim;
};

// [[jwtTokenConfig]]: one trusted JWT issuer.
struct JwtTokenConfig {
  std::string issuer;             // matched exactly against the token's `iss`
  std::string audience;           // "" = not checked
  std::string jwks_url;           // "" when certificate_alias is used
  std::string certificate_alias;  // a PEM file (public key or certificate), resolved path
  // Set when certificateAlias is no file but an alias in listenerConfig's
  // trust store (WSO2's meaning): that certificate, PEM. Used instead of the file.
  std::string certificate_pem;
  std::string consumer_key_claim = "aud";
  bool validate_subscription = false;  // accepted; subscriptions are not implemented
  std::vector<ClaimMapping> claims;
};

// The security sections of micro-gw.conf ([keyManager], [[jwtTokenConfig]],
// [authConfig], [jwtConfig], [caching]).
struct SecurityConfig {
  uint32_t timestamp_skew_ms = 5000;  // [keyManager] timestampSkew
  std::vector<JwtTokenConfig> jwt_issuers;
  std::string authorization_header = "Authorization";  // [authConfig] authorizationHeader
  bool remove_auth_header = true;              // [authConfig] removeAuthHeaderFromOutMessage
  bool jwt_header_enabled = false;             // [jwtConfig] enable
  std::string jwt_header = "X-JWT-Assertion";  // [jwtConfig] header
  bool cache_enabled = true;                   // [caching] enabled
  uint32_t token_cache_expiry_s = 900;         // [caching] tokenCacheExpiryTime
  uint32_t token_cache_capacity = 10000;       // [caching] tokenCacheCapacity
  double token_cache_eviction_factor = 0.25;   // [caching] tokenCacheEvictionFactor
  // OAuth2 introspection (RFC 7662) of opaque tokens: [keyManager] serverUrl,
  // tokenContext, introspectionURL (microgw's key; wins when set).
  std::string km_server_url = "https://localhost:9443";
  std::string km_token_context = "oauth2";
  std::string introspection_url_override;
  bool introspect_failed_jwt = false;  // [keyManager] enableIntrospectForFailedJWT
  // [keymanager.security.basic]: the introspection call's client credentials.
  bool km_basic_enabled = true;
  std::string km_username = "admin";
  std::string km_password = "admin";  // never logged
  // [apikey.tokenConfigs]: the API-key issuer (WSO2 API keys are JWTs).
  std::string apikey_issuer = "https://localhost:9095/apikey";
  std::string apikey_certificate_alias;  // a PEM file path, resolved; "" = API keys refused
  std::string apikey_certificate_pem;    // as JwtTokenConfig::certificate_pem
  bool apikey_validate_allowed_apis = false;

  // serverUrl + "/" + tokenContext + "/introspect", or introspectionURL.
  std::string introspectionUrl() const {
    if (!introspection_url_override.empty()) return introspection_url_override;
    std::string base = km_server_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/" + km_token_context + "/introspect";
  }
};

// Everything micro-gw.conf says.
// [http2] (WSO2 3.2's key and default)
struct Http2Config {
  // HTTP/2 towards clients: h2c with prior knowledge on the plain port (and
  // ALPN h2 on a TLS listener). false = HTTP/1.1 only.
  bool enable = true;
};

struct Config {
  std::string file;  // path it was loaded from
  ListenerConfig listener;
  Http2Config http2;
  HttpClientsConfig http_clients;
  AdminConfig admin;
  AccessLogConfig access_log;
  // [filters] chainFile resolved relative to `file`; without the key, filters.yaml
  // beside `file` when it exists, else "" (the built-in default chain).
  std::string chain_file;
  SecurityConfig security;
  // [tokenRevocationConfig.persistent]: revoked tokens from etcd.
  RevocationConfig token_revocation;
  // The root keys etcdurl, etcdusername, ...: etcd service discovery.
  EtcdConfig etcd;
  // [analytics] / [analytics.fileUpload]: usage-data files for the analytics server.
  AnalyticsConfig analytics;
  // [throttlingConfig] and the throttling policies file.
  ThrottlingConfig throttling;
  std::vector<std::string> warnings;  // e.g. WSO2 keys accepted but not implemented
};

using ConfigConstSharedPtr = std::shared_ptr<const Config>;

}  // namespace gw::conf
