#include "conf/wso2_compat.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace gw::conf {
namespace {

using S = Wso2Support;
using W = Wso2When;
constexpr Wso2Scope kConf = Wso2Scope::Conf;
constexpr Wso2Scope kApi = Wso2Scope::Api;

constexpr const char* kTls12 =
    "backend TLS is TLS 1.2 or later with OpenSSL's default ciphers, and no client certificate "
    "is sent (the key store is still loaded, so a broken one fails at start)";
constexpr const char* kMtls =
    "client certificates are always verified against listenerConfig.trustStorePath, and per-API "
    "certificate alias lists are not implemented (any certificate the trust store verifies is "
    "accepted)";
constexpr const char* kAnalytics = "analytics events written to files and uploaded";
constexpr const char* kKmOAuth2 =
    "OAuth2 client credentials for the key manager are not implemented; use "
    "[keymanager.security.basic]";
constexpr const char* kApiKeyIssuer =
    "issuing API keys (WSO2's /apikey token endpoint) is not implemented; issue keys from API "
    "Manager and verify them with [apikey.tokenConfigs]";
constexpr const char* kJwtGenerator =
    "generating a backend JWT is not implemented; [jwtConfig] enable = true passes the validated "
    "token itself to the backend";
constexpr const char* kServer =
    "the Server and User-Agent headers are not rewritten; set or remove headers with the headers "
    "filter (filters.yaml); clock skew is [keyManager] timestampSkew";

std::vector<Wso2Entry> buildTable() {
  return {
      // Root keys WSO2 reads beyond its template (normally given as -e key=value).
      {kConf,
       "",
       {"etcdurl", "etcdusername", "etcdpassword", "etcdtimer", "etcdbasepath"},
       S::Implemented,
       "etcd(<key>,<defaultUrl>) endpoint URLs in API definitions"},
      {kConf,
       "listenerConfig",
       {"host", "httpPort", "maxUriLength", "maxHeaderSize", "maxEntityBodySize", "keepAlive",
        "maxPipelinedRequests"},
       S::Implemented,
       "maxEntityBodySize = -1 is unlimited; keepAlive \"AUTO\" | \"ALWAYS\" | \"NEVER\"; "
       "maxPipelinedRequests = requests a client may send ahead of its responses"},
      {kConf,
       "listenerConfig",
       {"httpsPort", "keyStorePath", "keyStorePassword", "trustStorePath", "trustStorePassword"},
       S::Implemented,
       "the TLS listener (README, \"TLS listener\"): on when a key store is set, httpsPort = 0 "
       "turns it off; PKCS#12 or PEM key stores; the trust store holds the CAs of client "
       "certificates and the certificateAlias entries; microgw adds certificateFile + keyFile "
       "(PEM) and tlsHandshakeTimeoutInMillis"},
      {kConf,
       "listenerConfig",
       {"tokenListenerPort"},
       S::Ignored,
       "there is no token endpoint: issue tokens from the key manager"},
      {kConf,
       "authConfig",
       {"authorizationHeader", "removeAuthHeaderFromOutMessage"},
       S::Implemented,
       ""},
      {kConf,
       "jwtConfig",
       {"header"},
       S::Implemented,
       "the validated token is passed to the backend in this header when enable = true"},
      {kConf,
       "keyManager",
       {"serverUrl", "tokenContext", "enableIntrospectForFailedJWT", "timestampSkew", "username",
        "password"},
       S::Implemented,
       "opaque tokens are introspected (RFC 7662) at serverUrl/tokenContext"},
      {kConf,
       "keyManager",
       {"enableLegacyMode"},
       S::Ignored,
       "legacy (pre-3.0) key validation is not implemented; tokens are validated as JWTs or by "
       "introspection",
       W::True},
      {kConf,
       "keyManager",
       {"remoteUserClaimRetrievalEnabled"},
       S::Ignored,
       "user claims are not fetched from the key manager; the token's own claims are used",
       W::True},
      {kConf,
       "keyManager",
       {"issuer"},
       S::Ignored,
       "not used: the trusted issuers are the [[jwtTokenConfig]] entries"},
      {kConf,
       "keymanager.security.basic",
       {"enabled", "username", "password"},
       S::Implemented,
       "the introspection call's client credentials"},
      {kConf,
       "keymanager.security.oauth2",
       {"enabled",
        "credentialBearer",
        "tokenUrl",
        "clientCredential.enabled",
        "clientCredential.clientId",
        "clientCredential.clientSecret",
        "clientCredential.scopes",
        "password.enabled",
        "password.clientId",
        "password.clientSecret",
        "password.scopes",
        "password.username",
        "password.password",
        "directToken.enabled",
        "directToken.accessToken",
        "refresh.enabled",
        "refresh.refreshUrl",
        "refresh.scopes",
        "refresh.refreshToken",
        "refresh.clientId",
        "refresh.clientSecret"},
       S::Ignored,
       kKmOAuth2},
      {kConf,
       "jwtTokenConfig",
       {"validateSubscription"},
       S::Refused,
       "subscription validation is not implemented, so any valid token of this issuer would "
       "reach every API; set validateSubscription = false and restrict access with scopes",
       W::True},
      {kConf,
       "jwtTokenConfig",
       {"issuer", "certificateAlias", "jwksURL", "validateSubscription", "consumerKeyClaim",
        "claims.remoteClaim", "claims.localClaim"},
       S::Implemented,
       "certificateAlias: an alias in listenerConfig.trustStorePath (as in WSO2) or a PEM file"},
      {kConf,
       "jwtTokenConfig",
       {"claimMapperClassName"},
       S::Ignored,
       "custom Java claim mappers cannot run here; map claims with [[jwtTokenConfig.claims]]",
       W::NotEquals,
       "org.wso2.micro.gateway.jwtTransformer.DefaultJwtTransformer"},
      {kConf,
       "jwtTokenConfig",
       {"remoteUserClaimRetrievalEnabled"},
       S::Ignored,
       "user claims are not fetched from the key manager; the token's own claims are used",
       W::True},
      {kConf,
       "tokenRevocationConfig.realtime",
       {"enableRealtimeMessageRetrieval"},
       S::Refused,
       "revocation messages over JMS are not implemented, so revoked tokens would stay valid; "
       "read revoked tokens from etcd with [tokenRevocationConfig.persistent] type = \"etcd\"",
       W::True},
      {kConf,
       "tokenRevocationConfig.realtime",
       {"enableRealtimeMessageRetrieval", "jmsConnectionTopic",
        "jmsConnectioninitialContextFactory", "jmsConnectionProviderUrl", "jmsConnectionUsername",
        "jmsConnectionPassword"},
       S::Ignored,
       "revocation messages over JMS are not implemented; use [tokenRevocationConfig.persistent] "
       "type = \"etcd\""},
      {kConf,
       "tokenRevocationConfig.persistent",
       {"enablePersistentStorageRetrieval", "type", "endpointURL", "username", "password"},
       S::Implemented,
       "type = \"etcd\" (etcd v2 keys or a v3 prefix)"},
      {kConf,
       "caching",
       {"tokenCacheExpiryTime", "tokenCacheCapacity", "tokenCacheEvictionFactor"},
       S::Implemented,
       "tokenCacheExpiryTime is in seconds here; WSO2's template value 900000 is milliseconds"},
      {kConf,
       "analytics",
       {"streamVersion", "enable", "uploadingTimeSpanInMillis", "initialDelayInMillis",
        "uploadingEndpoint", "rotatingPeriod", "taskUploadFiles", "username", "password"},
       S::Implemented,
       kAnalytics},
      {kConf,
       "analytics.fileUpload",
       {"enable", "uploadingTimeSpanInMillis", "initialDelayInMillis", "uploadingEndpoint",
        "rotatingPeriod", "taskUploadFiles", "username", "password"},
       S::Implemented,
       kAnalytics},
      {kConf,
       "analytics",
       {"gRPCAnalytics.enable", "gRPCAnalytics.endpointURL", "gRPCAnalytics.reconnectTimeInMillies",
        "elkAnalytics.enable", "choreoAnalytics.enable", "choreoAnalytics.configEndpoint",
        "choreoAnalytics.authToken"},
       S::Ignored,
       "gRPC, ELK and Choreo analytics are not implemented; use [analytics.fileUpload]"},
      {kConf,
       "b7a.users",
       {"*.password", "*.scopes"},
       S::Ignored,
       "Ballerina's user store is not used: basic_auth API security is refused when the APIs are "
       "loaded, and the [admin] endpoint has no authentication (keep it on loopback)"},
      {kConf,
       "b7a.observability.metrics",
       {"enabled", "reporter", "enableAuth", "prometheus.port", "prometheus.jmx_port",
        "prometheus.secure_port"},
       S::Ignored,
       "Prometheus metrics are served by [admin] at /metrics (no authentication: keep it on "
       "loopback)"},
      {kConf,
       "b7a.observability.tracing",
       {"enabled", "name", "jaeger.reporter.port"},
       S::Ignored,
       "tracing is not implemented; each request carries X-Request-ID (request_id filter) and is "
       "in the access log"},
      {kConf,
       "validationConfig",
       {"enableRequestValidation"},
       S::Refused,
       "validating requests against the OpenAPI schema is not implemented, so invalid requests "
       "would reach the backend; set enableRequestValidation = false",
       W::True},
      {kConf,
       "validationConfig",
       {"enableResponseValidation"},
       S::Ignored,
       "validating responses against the OpenAPI schema is not implemented",
       W::True},
      {kConf,
       "validationConfig",
       {"enableRequestValidation"},
       S::Implemented,
       "false only (see above)"},
      {kConf,
       "http2",
       {"enable"},
       S::Implemented,
       "true: h2c with prior knowledge on httpPort (and ALPN h2 with TLS); false: HTTP/1.1 only"},
      {kConf,
       "httpClients",
       {"verifyHostname", "disableSslVerification", "trustStorePassword"},
       S::Implemented,
       "trustStorePath: a PEM CA bundle or a PKCS#12 store with trustStorePassword"},
      {kConf,
       "httpClients",
       {"enableHttp2"},
       S::Implemented,
       "true: h2 offered in ALPN to https backends (also through the proxy's tunnel), and h2c "
       "to http endpoints that say `http2: prior-knowledge` (microgw extension); false = "
       "HTTP/1.1 to every backend"},
      // microgw extensions of [httpClients.proxy], not WSO2 3.2 keys (so not rows
      // here): enabled, passwordEnv, passwordFile, nonProxyHosts, httpMode,
      // protocol = "http" | "https" (TLS to the proxy) and proxyTrustStorePath.
      {kConf,
       "httpClients.proxy",
       {"enable", "enableInternalServices", "host", "port", "username", "password"},
       S::Implemented,
       "host = \"\" and port = 0 are valid while the proxy is disabled"},
      {kConf,
       "httpClients.poolConfig",
       {"maxActiveConnections", "maxIdleConnections", "waitTimeInMillis",
        "maxActiveStreamsPerConnection"},
       S::Implemented,
       "maxActiveStreamsPerConnection: streams per upstream HTTP/2 connection before another "
       "opens (-1 = the backend's limit)"},
      {kConf,
       "httpClients.sslConfig",
       {"trustStorePath", "trustStorePassword", "verifyHostname"},
       S::Implemented,
       "the same settings as [httpClients] trustStorePath and verifyHostname"},
      {kConf,
       "httpClients.sslConfig",
       {"protocolName", "ciphers", "protocolVersions", "keyStorePath", "keyStorePassword"},
       S::Ignored,
       kTls12},
      {kConf,
       "httpClients.responseLimits",
       {"maxStatusLineLength", "maxHeaderSize", "maxEntityBodySize"},
       S::Ignored,
       "backend responses are streamed with the gateway's built-in limits"},
      {kConf,
       "mutualSSLConfig",
       {"protocolName", "protocolVersions", "ciphers", "sslVerifyClient", "certificateHeaderName"},
       S::Implemented,
       "the TLS listener's versions (TLSv1.2, TLSv1.3; older ones are dropped with a warning) and "
       "TLS 1.2 ciphers (IANA names); sslVerifyClient \"optional\" | \"require\" | \"none\" "
       "(microgw), verified against listenerConfig.trustStorePath; the verified certificate goes "
       "to the backend in certificateHeaderName"},
      {kConf,
       "mutualSSLConfig",
       {"isClientCertificateValidationEnabled", "api.certificates.name", "api.certificates.version",
        "api.certificates.aliasList"},
       S::Ignored,
       kMtls},
      {kConf,
       "throttlingConfig",
       {"enabledGlobalTMEventPublishing", "throttleEndpointUrl", "throttleEndpointbase64Header",
        "jmsConnectioninitialContextFactory", "jmsConnectionProviderUrl", "jmsConnectionUsername",
        "jmsConnectionPassword", "dataRetriever.serverUrl", "dataRetriever.username",
        "dataRetriever.password", "nodeLocal.processThreadPoolCoreSize",
        "nodeLocal.processThreadPoolMaximumSize", "nodeLocal.processThreadPoolKeepAliveTime",
        "nodeLocal.cleanUpFrequency"},
       S::Implemented,
       "throttle filter with policies.yaml; events to the traffic manager over HTTP; blocked keys "
       "polled over HTTP instead of JMS (the jmsConnection*, dataRetriever and nodeLocal keys are "
       "accepted with one warning)"},
      {kConf,
       "throttlingConfig",
       {"enableHeaderConditions", "enableQueryParamConditions", "enableJwtClaimConditions"},
       S::Ignored,
       "conditional throttling (header, query parameter and JWT claim conditions) is not "
       "implemented: policies apply to every request of their key"},
      {kConf,
       "throttlingConfig.binary",
       {"enabled",
        "username",
        "password",
        "URLGroup.receiverURL",
        "URLGroup.authURL",
        "publisherPool.maxIdle",
        "publisherPool.initIdleCapacity",
        "publisherThreadPool.corePoolSize",
        "publisherThreadPool.maxPoolSize",
        "publisherThreadPool.keepAliveTime",
        "agent.sslEnabledProtocols",
        "agent.ciphers",
        "agent.queueSize",
        "agent.batchSize",
        "agent.corePoolSize",
        "agent.socketTimeoutMS",
        "agent.maxPoolSize",
        "agent.keepAliveTimeInPool",
        "agent.reconnectionInterval",
        "agent.maxTransportPoolSize",
        "agent.maxIdleConnections",
        "agent.evictionTimePeriod",
        "agent.minIdleTimeInPool",
        "agent.secureMaxIdleTransportPoolSize",
        "agent.secureMaxIdleConnections",
        "agent.secureEvictionTimePeriod",
        "agent.secureMinIdleTimeInPool"},
       S::Implemented,
       "accepted: the binary (Thrift) publisher is not supported; enabled = true gets one warning "
       "and the HTTP publisher (throttleEndpointUrl) is used"},
      {kConf,
       "apikey.tokenConfigs",
       {"issuer", "certificateAlias", "validateAllowedAPIs"},
       S::Implemented,
       "certificateAlias is a PEM file, relative to micro-gw.conf"},
      {kConf,
       "apikey.issuer",
       {"tokenConfig.enabled", "tokenConfig.keyStorePath", "tokenConfig.keyStorePassword",
        "tokenConfig.issuer", "tokenConfig.certificateAlias", "tokenConfig.validityTime",
        "api.name", "api.versions"},
       S::Ignored,
       kApiKeyIssuer},
      {kConf,
       "jwtGeneratorConfig",
       {"jwtGeneratorEnabled", "claimDialect", "signingAlgorithm", "certificateAlias",
        "privateKeyAlias", "tokenExpiry", "restrictedClaims", "issuer", "audience", "generatorImpl",
        "claimRetrieval.retrieverImpl", "claimRetrieval.configuration.*",
        "jwtGeneratorCaching.tokenCacheEnable", "jwtGeneratorCaching.tokenCacheExpiryTime",
        "jwtGeneratorCaching.tokenCacheCapacity", "jwtGeneratorCaching.tokenCacheEvictionFactor"},
       S::Ignored,
       kJwtGenerator},
      {kConf,
       "server",
       {"timestampSkew", "header", "headerConf.headerName", "headerConf.preserveHeader",
        "headerConf.overrideValue"},
       S::Ignored,
       kServer},
      {kConf,
       "apim.eventHub",
       {"enable", "serviceUrl", "internalDataContext", "username", "password",
        "eventListeningEndpoints"},
       S::Ignored,
       "APIs, subscriptions and revocations are not pulled from API Manager: deploy API "
       "definitions with --apis and read revoked tokens from etcd"},
      {kConf,
       "apim.credentials",
       {"username", "password"},
       S::Ignored,
       "used by WSO2's toolkit to import APIs; not needed here"},
      {kConf,
       "security",
       {"validateSubscriptions"},
       S::Refused,
       "subscription validation is not implemented, so any valid token would reach every API; "
       "set validateSubscriptions = false and restrict access with scopes",
       W::True},
      {kConf, "security", {"validateSubscriptions"}, S::Implemented, "false only (see above)"},

      // API definition extensions (OpenAPI 3 and Swagger 2, YAML or JSON).
      {kApi,
       "API",
       {"x-wso2-basePath", "x-wso2-production-endpoints", "x-wso2-disable-security",
        "x-wso2-auth-header", "x-wso2-application-security"},
       S::Implemented,
       "basic_auth in x-wso2-application-security is refused"},
      {kApi,
       "resource",
       {"x-wso2-production-endpoints", "x-wso2-disable-security", "x-auth-type", "security"},
       S::Implemented,
       "x-auth-type: None opens the resource; scopes from security"},
      {kApi,
       "endpoint",
       {"urls", "type: load_balance", "type: failover", "timeoutInMillis"},
       S::Implemented,
       ""},
      {kApi,
       "API",
       {"x-wso2-endpoints", "x-wso2-cors", "x-wso2-throttling-tier", "x-throttling-tier",
        "Swagger 2.0", "JSON files"},
       S::Implemented,
       "x-wso2-endpoints: \"#/x-wso2-endpoints/<name>\" references; x-wso2-cors in camelCase, "
       "snake_case or kebab-case; OpenAPI 3 and Swagger 2.0, YAML or JSON"},
      {kApi,
       "API",
       {"x-wso2-sandbox-endpoints"},
       S::Implemented,
       "requests whose token has keytype SANDBOX go there, others to production; a key type the "
       "API has no endpoints for gets 403 900901, as in WSO2"},
      {kApi,
       "API",
       {"x-wso2-response-cache", "x-wso2-owner"},
       S::Ignored,
       "accepted with one warning per API: responses are not cached; the owner is not used"},
      {kApi,
       "API",
       {"x-wso2-mutual-ssl", "x-wso2-transports"},
       S::Implemented,
       "mutual-ssl mandatory answers 401 without a verified client certificate; a request on a "
       "transport the API does not list answers 403"},
      {kApi,
       "API",
       {"x-wso2-request-interceptor", "x-wso2-response-interceptor"},
       S::Refused,
       "Ballerina or Java interceptors cannot run here: write the same logic as a filter (README, "
       "Interceptors)"},
      {kApi,
       "resource",
       {"x-wso2-throttling-tier", "x-throttling-tier"},
       S::Implemented,
       "x-throttling-tier wins over x-wso2-throttling-tier; ignored (warning) under an API tier"},
      {kApi,
       "resource",
       {"x-wso2-sandbox-endpoints"},
       S::Implemented,
       "beats the API's sandbox endpoints for sandbox tokens"},
      {kApi,
       "resource",
       {"x-wso2-request-interceptor", "x-wso2-response-interceptor"},
       S::Refused,
       "write the same logic as a filter (README, Interceptors)"},
      {kApi,
       "endpoint",
       {"type: http", "type: address", "securityConfig", "retryConfig", "circuitBreaker",
        "etcd(<key>,<defaultUrl>)", "URLs with a query"},
       S::Implemented,
       "http/address call the first URL; securityConfig sends Basic credentials to the backend"},
  };
}

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// "jwtTokenConfig[0].claims[1].localClaim" -> components without indices.
std::vector<std::string> components(const std::string& key) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(key, '.', absl::SkipEmpty())) {
    if (size_t bracket = part.find('['); bracket != absl::string_view::npos) {
      part = part.substr(0, bracket);
    }
    out.emplace_back(part);
  }
  return out;
}

// Whether `pattern` (components, "*" = any one) equals `key`. WSO2 writes
// both [keyManager] and [keymanager.security]: the two spellings are one.
bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& key,
             size_t length) {
  if (pattern.size() < length || key.size() < length) return false;
  for (size_t i = 0; i < length; ++i) {
    if (pattern[i] == "*") continue;
    const bool same = pattern[i] == key[i] || (i == 0 && iequals(pattern[i], "keymanager") &&
                                               iequals(key[i], "keymanager"));
    if (!same) return false;
  }
  return true;
}

struct Flattened {
  std::vector<std::string> path;
  const Wso2Entry* entry;
};

const std::vector<Flattened>& flattened() {
  static const auto* out = [] {
    auto* list = new std::vector<Flattened>;
    for (const Wso2Entry& e : wso2Table()) {
      if (e.scope != kConf) continue;
      for (const char* key : e.keys) {
        std::string full =
            *e.section == '\0' ? std::string(key) : absl::StrCat(e.section, ".", key);
        list->push_back({components(full), &e});
      }
    }
    return list;
  }();
  return *out;
}

const char* whenText(const Wso2Entry& e) {
  switch (e.when) {
    case W::Present:
      return "";
    case W::True:
      return " = true";
    case W::Equals:
      return " = ";
    case W::NotEquals:
      return " other than ";
  }
  return "";
}

}  // namespace

const std::vector<Wso2Entry>& wso2Table() {
  static const auto* table = new std::vector<Wso2Entry>(buildTable());
  return *table;
}

std::vector<const Wso2Entry*> findWso2Entries(const std::string& key) {
  const std::vector<std::string> parts = components(key);
  std::vector<const Wso2Entry*> out;
  for (const Flattened& f : flattened()) {
    if (f.path.size() == parts.size() && matches(f.path, parts, parts.size()) &&
        std::find(out.begin(), out.end(), f.entry) == out.end()) {
      out.push_back(f.entry);
    }
  }
  return out;
}

std::vector<std::string> wso2NamesIn(const std::string& section) {
  const std::vector<std::string> parts = components(section);
  std::set<std::string> names;
  for (const Flattened& f : flattened()) {
    if (f.path.size() > parts.size() && matches(f.path, parts, parts.size()) &&
        f.path[parts.size()] != "*") {
      names.insert(f.path[parts.size()]);
    }
  }
  return {names.begin(), names.end()};
}

bool isWso2Section(const std::string& section) {
  const std::vector<std::string> parts = components(section);
  for (const Flattened& f : flattened()) {
    if (f.path.size() > parts.size() && matches(f.path, parts, parts.size())) return true;
  }
  return false;
}

bool isWso2SwitchKey(const std::string& key) {
  return key == "enable" || key == "enabled" || key == "jwtGeneratorEnabled" ||
         key == "enableRealtimeMessageRetrieval";
}

const char* wso2SupportLabel(Wso2Support support) {
  switch (support) {
    case S::Implemented:
      return "implemented";
    case S::InProgress:
      return "implemented by issue 8 (in progress)";
    case S::Ignored:
      return "accepted and ignored (warning)";
    case S::Refused:
      return "not supported (refused)";
  }
  return "";
}

std::string wso2Condition(const Wso2Entry& entry, const std::string& full_key) {
  std::string out = absl::StrCat("'", full_key, "'", whenText(entry));
  if (entry.when == W::Equals || entry.when == W::NotEquals) {
    absl::StrAppend(&out, "\"", entry.value, "\"");
  }
  return out;
}

std::string wso2ReadmeTable() {
  std::string out = "| section | keys | status | notes |\n|---|---|---|---|\n";
  for (const Wso2Entry& e : wso2Table()) {
    std::string section = e.scope == kApi      ? absl::StrCat("API definitions: ", e.section)
                          : *e.section == '\0' ? std::string("(root keys)")
                                               : absl::StrCat("[", e.section, "]");
    std::vector<std::string> keys;
    for (const char* k : e.keys) keys.push_back(absl::StrCat("`", k, "`"));
    std::string when(whenText(e));
    if (e.when == W::Equals || e.when == W::NotEquals) {
      absl::StrAppend(&when, "\"", e.value, "\"");
    }
    if (!when.empty()) when = absl::StrCat(" (when", when, ")");
    absl::StrAppend(&out, "| ", section, " | ", absl::StrJoin(keys, ", "), " | ",
                    wso2SupportLabel(e.support), when, " | ",
                    absl::StrReplaceAll(e.note, {{"|", "\\|"}}), " |\n");
  }
  return out;
}

}  // namespace gw::conf
