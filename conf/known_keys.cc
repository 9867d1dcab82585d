#include "conf/known_keys.h"

#include <set>
#include <string>

namespace gw::conf {

bool isKnownKeyName(absl::string_view name) {
  // clang-format off
  static const auto* names = new std::set<std::string, std::less<>>{
    "URLGroup", "accessControlAllowCredentials", "accessControlAllowHeaders",
    "accessControlAllowMethods", "accessControlAllowOrigins", "accessControlExposeHeaders",
    "accessLog", "accessToken", "add", "admin", "advanceEndpointConfig", "agent", "aliasList",
    "analytics", "api", "apikey", "apim", "audience", "authConfig", "authToken", "authURL",
    "authorizationHeader", "b7a", "backOffFactor", "basePath", "basic", "batchSize", "binary",
    "bucketSizeInMillis", "caching", "certificateAlias", "certificateHeaderName", "certificates",
    "chainFile", "choreoAnalytics", "ciphers", "circuitBreaker", "claimDialect",
    "claimMapperClassName", "claimRetrieval", "claims", "cleanUpFrequency", "clientCredential",
    "clientId", "clientSecret", "config", "configEndpoint", "configuration",
    "connectTimeoutInMillis", "consumerKeyClaim", "corePoolSize", "corsConfigurationEnabled",
    "count", "credentialBearer", "credentials", "custom_config_key", "dataRetriever", "decisionEndpointUrl",
    "decisionPollIntervalInMillis", "delete",
    "description", "directToken", "disableSslVerification", "drainTimeoutInMillis", "elkAnalytics",
    "enable", "enableAuth", "enableHeaderConditions", "enableHttp2", "enableInternalServices",
    "enableIntrospectForFailedJWT", "enableJwtClaimConditions", "enableLegacyMode",
    "enablePersistentStorageRetrieval", "enableQueryParamConditions",
    "enableRealtimeMessageRetrieval", "enableRequestValidation", "enableResponseValidation",
    "enabled", "enabledGlobalTMEventPublishing", "endpointURL", "etcdbasepath", "etcdpassword",
    "etcdtimer", "etcdurl", "etcdusername", "eventBatchSize", "eventHub", "eventListeningEndpoints",
    "eventQueueSize", "evictionTimePeriod", "failureThreshold", "fileUpload", "filters", "gRPCAnalytics",
    "generatorImpl", "get", "head", "header", "headerConf", "headerName",
    "headerReadTimeoutInMillis", "headersWithUnderscoresAction", "host", "http2", "httpClients",
    "httpMode", "httpPort", "httpsPort", "idleTimeoutInMillis", "info", "initIdleCapacity",
    "initialDelayInMillis", "internalDataContext", "intervalInMillis",
    "isClientCertificateValidationEnabled", "issuer", "jaeger", "jmsConnectionPassword",
    "jmsConnectionProviderUrl", "jmsConnectionTopic", "jmsConnectionUsername",
    "jmsConnectioninitialContextFactory", "jmx_port", "jwksURL", "jwtConfig",
    "jwtGeneratorCaching", "jwtGeneratorConfig", "jwtGeneratorEnabled", "jwtTokenConfig",
    "keepAlive", "keepAliveTime", "keepAliveTimeInPool", "keyManager", "keyStorePassword",
    "keyStorePath", "keymanager", "listenerConfig", "localClaim", "maxActiveConnections",
    "maxActiveStreamsPerConnection", "maxConnections", "maxEntityBodySize", "maxHeaderCount",
    "maxHeaderSize", "maxIdle", "maxIdleConnections", "maxIdleConnectionsPerHost",
    "maxPipelinedRequests", "maxPoolSize", "maxStatusLineLength", "maxTransportPoolSize",
    "maxUriLength", "maxWaitIntervalInMillis", "metrics", "minIdleTimeInPool", "mutualSSLConfig",
    "name", "nodeLocal", "nonProxyHosts", "oauth2", "observability", "openapi", "operationId",
    "optional", "options", "overrideValue", "parameters", "password", "passwordEnv",
    "passwordFile", "patch", "path", "paths", "persistent", "poolConfig",
    "policiesFile", "poolIdleTimeoutInMillis", "port", "post", "preserveHeader", "privateKeyAlias",
    "processThreadPoolCoreSize", "processThreadPoolKeepAliveTime", "processThreadPoolMaximumSize",
    "proxyTrustStorePath",
    "prometheus", "protocol", "protocolName", "protocolVersions", "proxy", "publisherPool",
    "publisherThreadPool", "put", "queueSize", "realtime", "receiverURL", "reconnectTimeInMillies",
    "reconnectionInterval", "refresh", "refreshToken", "refreshUrl", "remoteClaim",
    "remoteUserClaimRetrievalEnabled", "remove", "removeAuthHeaderFromOutMessage", "reporter",
    "request", "requestBodyTimeoutInMillis", "requestVolumeThreshold", "resetTimeInMillis",
    "response", "responseLimits", "responses", "restrictedClaims", "retrieverImpl", "retryConfig",
    "rollingWindow", "rotatingPeriod", "scopes", "secureEvictionTimePeriod",
    "secureMaxIdleConnections", "secureMaxIdleTransportPoolSize", "secureMinIdleTimeInPool",
    "secure_port", "security", "security-types", "securityConfig", "server", "serverUrl",
    "servers", "serviceUrl", "signingAlgorithm", "socketTimeoutMS", "sslConfig",
    "sslEnabledProtocols", "sslVerifyClient", "statusCodes", "streamVersion", "summary", "swagger",
    "taskUploadFiles", "throttleEndpointUrl", "throttleEndpointbase64Header", "throttlingConfig",
    "timeWindowInMillis", "timeoutInMillis", "timestampSkew", "title", "tokenCacheCapacity",
    "tokenCacheEnable", "tokenCacheEvictionFactor", "tokenCacheExpiryTime", "tokenConfig",
    "tokenConfigs", "tokenContext", "tokenExpiry", "tokenListenerPort", "tokenRevocationConfig",
    "tokenUrl", "trace", "tracing", "trustStorePassword", "trustStorePath", "type",
    "uploadingEndpoint", "uploadingTimeSpanInMillis", "url", "urls", "username", "users",
    "validateAllowedAPIs", "validateSubscription", "validateSubscriptions", "validationConfig",
    "validityTime", "verifyHostname", "version", "versions", "waitTimeInMillis", "workers",
    "x-auth-type", "x-throttling-tier", "x-wso2-application-security", "x-wso2-auth-header",
    "x-wso2-basePath", "x-wso2-cors", "x-wso2-disable-security", "x-wso2-endpoints",
    "x-wso2-mutual-ssl", "x-wso2-owner", "x-wso2-production-endpoints",
    "x-wso2-request-interceptor", "x-wso2-response-cache", "x-wso2-response-interceptor",
    "x-wso2-sandbox-endpoints", "x-wso2-throttling-tier", "x-wso2-transports",
  };
  // clang-format on
  return names->count(name) > 0;
}

}  // namespace gw::conf
