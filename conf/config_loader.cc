// loadConfig / loadConfigFromString: micro-gw.conf (TOML) -> Config.

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "conf/listener_tls_loader.h"
#include "conf/loader.h"
#include "conf/proxy_env.h"
#include "conf/secret.h"
#include "conf/security_loader.h"
#include "conf/status_macros.h"
#include "conf/syntax_error.h"
#include "conf/throttling_loader.h"
#include "conf/tls_store.h"
#include "conf/toml_section.h"

namespace gw::conf {
namespace {

constexpr int64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
constexpr int64_t kMaxI64 = std::numeric_limits<int64_t>::max();

bool isRegularFile(const std::string& path);

absl::Status requireNonEmpty(const TomlSection& section, const std::string& key,
                             const std::string& value) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(section.keyName(key), " must not be empty"));
}

absl::Status readUnderscoreAction(const TomlSection& s, UnderscoreHeaderAction& out) {
  std::optional<std::string> action;
  GW_CONF_RETURN_IF_ERROR(s.readOptionalString("headersWithUnderscoresAction", action));
  if (!action) return absl::OkStatus();
  if (*action == "drop") {
    out = UnderscoreHeaderAction::Drop;
  } else if (*action == "reject") {
    out = UnderscoreHeaderAction::Reject;
  } else if (*action == "allow") {
    out = UnderscoreHeaderAction::Allow;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(s.keyName("headersWithUnderscoresAction"),
                     " must be \"drop\", \"reject\" or \"allow\", got \"", *action, "\""));
  }
  return absl::OkStatus();
}

// -1 (WSO2's "unlimited") or a positive count.
absl::Status readLimit(const TomlSection& s, const std::string& key, int64_t& out) {
  GW_CONF_RETURN_IF_ERROR(s.readInt(key, -1, kMaxU32, out));
  if (out == 0) {
    return s.addError(absl::StrCat(s.keyName(key), " must be -1 (unlimited) or at least 1, got 0"));
  }
  return absl::OkStatus();
}

absl::Status readKeepAlive(const TomlSection& s, KeepAliveMode& out) {
  std::optional<std::string> mode;
  GW_CONF_RETURN_IF_ERROR(s.readOptionalString("keepAlive", mode));
  if (!mode) return absl::OkStatus();
  if (*mode == "AUTO") {
    out = KeepAliveMode::Auto;
  } else if (*mode == "ALWAYS") {
    out = KeepAliveMode::Always;
  } else if (*mode == "NEVER") {
    out = KeepAliveMode::Never;
  } else {
    return s.addError(absl::StrCat(
        s.keyName("keepAlive"), " must be \"AUTO\", \"ALWAYS\" or \"NEVER\", got \"", *mode, "\""));
  }
  return absl::OkStatus();
}

// A trust store or key store named by `path_key` (PEM or PKCS#12 with the
// password in `password_key`) must load; `path` receives the expanded path.
absl::Status readStore(const TomlSection& s, const std::string& path_key,
                       const std::string& password_key, bool key_store, std::string& path,
                       std::string& password) {
  GW_CONF_RETURN_IF_ERROR(s.readPath(path_key, path));
  GW_CONF_RETURN_IF_ERROR(s.readString(password_key, password));
  if (path.empty()) return absl::OkStatus();
  path = resolvePath(directoryOf(s.file()), path);
  absl::Status loaded = key_store ? checkKeyStore(path, password) : checkTrustStore(path, password);
  if (!loaded.ok()) return s.addError(absl::StrCat(s.keyName(path_key), ": ", loaded.message()));
  return absl::OkStatus();
}

// listenerConfig's TLS stores (the TLS listener's key, the CAs of client
// certificates): a store that would not load is an error.
absl::Status checkListenerStores(const TomlSection& s, ListenerConfig& out) {
  GW_CONF_RETURN_IF_ERROR(readStore(s, "keyStorePath", "keyStorePassword", true,
                                    out.tls.key_store_path, out.tls.key_store_password));
  return readStore(s, "trustStorePath", "trustStorePassword", false, out.trust_store_path,
                   out.trust_store_password);
}

// A certificateAlias that is no file is, as in WSO2, an alias in
// listenerConfig's trust store: `pem` gets that certificate.
void resolveAlias(const Config& config, TomlLoadContext& context, const std::string& key,
                  const std::string& path, std::string& pem) {
  if (path.empty() || isRegularFile(path)) return;
  const std::string alias = std::filesystem::path(path).filename().string();
  const std::string& store = config.listener.trust_store_path;
  // Without a trust store the filter reports the missing file, as it always did.
  if (store.empty()) return;
  absl::StatusOr<std::string> found =
      certificatePemByAlias(store, config.listener.trust_store_password, alias);
  if (found.ok()) {
    pem = *std::move(found);
    return;
  }
  context.addError(absl::StrCat(config.file, ": '", key, "': '", alias, "' is neither a PEM file (",
                                path, ") nor an alias in listenerConfig.trustStorePath (", store,
                                ")"));
}

void resolveAliases(Config& config, TomlLoadContext& context) {
  SecurityConfig& sec = config.security;
  for (size_t i = 0; i < sec.jwt_issuers.size(); ++i) {
    resolveAlias(config, context, absl::StrCat("jwtTokenConfig[", i, "].certificateAlias"),
                 sec.jwt_issuers[i].certificate_alias, sec.jwt_issuers[i].certificate_pem);
  }
  resolveAlias(config, context, "apikey.tokenConfigs.certificateAlias",
               sec.apikey_certificate_alias, sec.apikey_certificate_pem);
}

absl::Status readListener(const TomlSection& s, ListenerConfig& out,
                          std::vector<std::string>& warnings) {
  std::vector<std::string> keys = {"host",
                                   "httpPort",
                                   "workers",
                                   "maxUriLength",
                                   "maxHeaderSize",
                                   "maxHeaderCount",
                                   "headersWithUnderscoresAction",
                                   "maxEntityBodySize",
                                   "headerReadTimeoutInMillis",
                                   "idleTimeoutInMillis",
                                   "drainTimeoutInMillis",
                                   "requestBodyTimeoutInMillis",
                                   "keepAlive",
                                   "maxPipelinedRequests"};
  keys.insert(keys.end(), listenerTlsKeys().begin(), listenerTlsKeys().end());
  GW_CONF_RETURN_IF_ERROR(s.checkKeys(keys, {}));
  GW_CONF_RETURN_IF_ERROR(s.readString("host", out.host));
  GW_CONF_RETURN_IF_ERROR(requireNonEmpty(s, "host", out.host));
  GW_CONF_RETURN_IF_ERROR(s.readInt("httpPort", 1, 65535, out.http_port));
  GW_CONF_RETURN_IF_ERROR(s.readInt("workers", 0, 256, out.workers));
  GW_CONF_RETURN_IF_ERROR(s.readInt("maxUriLength", 1, kMaxU32, out.max_uri_length));
  GW_CONF_RETURN_IF_ERROR(s.readInt("maxHeaderSize", 1, kMaxU32, out.max_header_size));
  GW_CONF_RETURN_IF_ERROR(s.readInt("maxHeaderCount", 1, kMaxU32, out.max_header_count));
  GW_CONF_RETURN_IF_ERROR(readUnderscoreAction(s, out.headers_with_underscores));
  int64_t body_limit = static_cast<int64_t>(out.max_entity_body_size);
  GW_CONF_RETURN_IF_ERROR(s.readInt("maxEntityBodySize", -1, kMaxI64, body_limit));
  out.max_entity_body_size = body_limit < 0 ? 0 : static_cast<uint64_t>(body_limit);
  GW_CONF_RETURN_IF_ERROR(readKeepAlive(s, out.keep_alive));
  GW_CONF_RETURN_IF_ERROR(readLimit(s, "maxPipelinedRequests", out.max_pipelined_requests));
  GW_CONF_RETURN_IF_ERROR(checkListenerStores(s, out));
  GW_CONF_RETURN_IF_ERROR(readListenerTls(s, out, warnings));
  GW_CONF_RETURN_IF_ERROR(
      s.readInt("headerReadTimeoutInMillis", 1, kMaxU32, out.header_read_timeout_ms));
  GW_CONF_RETURN_IF_ERROR(s.readInt("idleTimeoutInMillis", 1, kMaxU32, out.idle_timeout_ms));
  GW_CONF_RETURN_IF_ERROR(s.readInt("drainTimeoutInMillis", 1, kMaxU32, out.drain_timeout_ms));
  GW_CONF_RETURN_IF_ERROR(
      s.readInt("requestBodyTimeoutInMillis", 0, kMaxU32, out.request_body_timeout_ms));
  return absl::OkStatus();
}

// `enabled` and WSO2 3.2's `enable` mean the same; both may be given if they agree.
absl::Status readProxyEnabled(const TomlSection& s, bool& out) {
  std::optional<bool> enabled, enable;
  GW_CONF_RETURN_IF_ERROR(s.readOptionalBool("enabled", enabled));
  GW_CONF_RETURN_IF_ERROR(s.readOptionalBool("enable", enable));
  if (enabled && enable && *enabled != *enable) {
    return absl::InvalidArgumentError(absl::StrCat(
        s.keyName("enable"), " and ", s.keyName("enabled"),
        " disagree; they are the same setting (WSO2 spells it 'enable'), set only 'enabled'"));
  }
  if (enabled)
    out = *enabled;
  else if (enable)
    out = *enable;
  return absl::OkStatus();
}

absl::Status readHttpMode(const TomlSection& s, HttpProxyMode& out) {
  std::optional<std::string> mode;
  GW_CONF_RETURN_IF_ERROR(s.readOptionalString("httpMode", mode));
  if (!mode) return absl::OkStatus();
  if (*mode == "connect") {
    out = HttpProxyMode::Connect;
  } else if (*mode == "forward") {
    out = HttpProxyMode::Forward;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(s.keyName("httpMode"),
                                                   " must be \"connect\" or "
                                                   "\"forward\", got \"",
                                                   *mode, "\""));
  }
  return absl::OkStatus();
}

absl::Status readProxy(const TomlSection& s, const Environment& env, const std::string& file,
                       ProxyConfig& out) {
  GW_CONF_RETURN_IF_ERROR(s.checkKeys(
      {"enabled", "enable", "host", "port", "username", "password", "passwordEnv", "passwordFile",
       "enableInternalServices", "nonProxyHosts", "httpMode", "protocol", "proxyTrustStorePath"},
      {}));
  GW_CONF_RETURN_IF_ERROR(readProxyEnabled(s, out.enabled));
  GW_CONF_RETURN_IF_ERROR(s.readString("host", out.host));
  GW_CONF_RETURN_IF_ERROR(s.readInt("port", 0, 65535, out.port));  // WSO2's 0 while disabled
  GW_CONF_RETURN_IF_ERROR(s.readString("username", out.username));
  GW_CONF_RETURN_IF_ERROR(s.readBool("enableInternalServices", out.enable_internal_services));
  GW_CONF_RETURN_IF_ERROR(s.readStringArray("nonProxyHosts", out.non_proxy_hosts));
  GW_CONF_RETURN_IF_ERROR(readHttpMode(s, out.http_mode));
  GW_CONF_RETURN_IF_ERROR(s.readString("protocol", out.protocol));
  if (out.protocol != "http" && out.protocol != "https") {
    return absl::InvalidArgumentError(absl::StrCat(
        s.keyName("protocol"), " must be \"http\" or \"https\", got \"", out.protocol, "\""));
  }
  GW_CONF_RETURN_IF_ERROR(s.readString("proxyTrustStorePath", out.proxy_trust_store_path));
  PasswordSources sources;
  GW_CONF_RETURN_IF_ERROR(s.readOptionalString("password", sources.password));
  GW_CONF_RETURN_IF_ERROR(s.readOptionalString("passwordEnv", sources.password_env));
  GW_CONF_RETURN_IF_ERROR(s.readOptionalString("passwordFile", sources.password_file));
  absl::StatusOr<std::string> password = resolvePassword(
      sources, env, directoryOf(file), [&s](absl::string_view key) { return s.keyName(key); });
  if (!password.ok()) return password.status();
  out.password = *std::move(password);
  if ((out.enabled || out.enable_internal_services) && out.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        s.keyName("host"), " is required when 'enabled' or 'enableInternalServices' is true"));
  }
  if ((out.enabled || out.enable_internal_services) && out.port == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        s.keyName("port"), " must be 1-65535 when 'enabled' or 'enableInternalServices' is true"));
  }
  const size_t slash = file.rfind('/');
  out.source = slash == std::string::npos ? file : file.substr(slash + 1);
  return absl::OkStatus();
}

absl::Status readPoolConfig(const TomlSection& s, HttpClientsConfig& out) {
  GW_CONF_RETURN_IF_ERROR(s.checkKeys({"maxActiveConnections", "maxIdleConnections",
                                       "waitTimeInMillis", "maxActiveStreamsPerConnection"},
                                      {}));
  GW_CONF_RETURN_IF_ERROR(readLimit(s, "maxActiveConnections", out.pool.max_active_connections));
  GW_CONF_RETURN_IF_ERROR(s.readInt("waitTimeInMillis", 0, kMaxU32, out.pool.wait_time_ms));
  GW_CONF_RETURN_IF_ERROR(
      readLimit(s, "maxActiveStreamsPerConnection", out.pool.max_active_streams_per_connection));
  int64_t max_idle = out.max_idle_connections_per_host;
  GW_CONF_RETURN_IF_ERROR(s.readInt("maxIdleConnections", -1, kMaxU32, max_idle));
  // WSO2's -1 means no cap on idle connections.
  out.max_idle_connections_per_host =
      max_idle < 0 ? std::numeric_limits<uint32_t>::max() : static_cast<uint32_t>(max_idle);
  return absl::OkStatus();
}

// The backend trust store: [httpClients] trustStorePath, or WSO2 3.2.1's
// [httpClients.sslConfig] (which also carries verifyHostname and a key store
// that is loaded but not used).
absl::Status readBackendTls(const TomlSection& s, HttpClientsConfig& out) {
  GW_CONF_RETURN_IF_ERROR(readStore(s, "trustStorePath", "trustStorePassword", false,
                                    out.trust_store_path, out.trust_store_password));
  absl::StatusOr<TomlSection> ssl = s.section("sslConfig");
  if (!ssl.ok() || !ssl->present()) return ssl.status();
  GW_CONF_RETURN_IF_ERROR(ssl->checkKeys({"trustStorePath", "trustStorePassword", "verifyHostname",
                                          "keyStorePath", "keyStorePassword"},
                                         {}));
  GW_CONF_RETURN_IF_ERROR(ssl->readBool("verifyHostname", out.verify_hostname));
  std::string path, password;
  GW_CONF_RETURN_IF_ERROR(
      readStore(*ssl, "keyStorePath", "keyStorePassword", true, path, password));
  GW_CONF_RETURN_IF_ERROR(
      readStore(*ssl, "trustStorePath", "trustStorePassword", false, path, password));
  if (path.empty()) return absl::OkStatus();
  if (!out.trust_store_path.empty() && out.trust_store_path != path) {
    return s.addError(absl::StrCat(ssl->keyName("trustStorePath"), " and ",
                                   s.keyName("trustStorePath"),
                                   " name different stores; they are the same setting: set one"));
  }
  out.trust_store_path = path;
  out.trust_store_password = password;
  return absl::OkStatus();
}

absl::Status readHttpClients(const TomlSection& s, const Environment& env, const std::string& file,
                             HttpClientsConfig& out) {
  GW_CONF_RETURN_IF_ERROR(
      s.checkKeys({"trustStorePath", "trustStorePassword", "verifyHostname",
                   "disableSslVerification", "connectTimeoutInMillis", "poolIdleTimeoutInMillis",
                   "maxIdleConnectionsPerHost", "enableHttp2"},
                  {"proxy", "poolConfig", "sslConfig"}));
  GW_CONF_RETURN_IF_ERROR(s.readBool("verifyHostname", out.verify_hostname));
  GW_CONF_RETURN_IF_ERROR(s.readBool("enableHttp2", out.enable_http2));
  GW_CONF_RETURN_IF_ERROR(readBackendTls(s, out));
  GW_CONF_RETURN_IF_ERROR(s.readBool("disableSslVerification", out.disable_ssl_verification));
  GW_CONF_RETURN_IF_ERROR(s.readInt("connectTimeoutInMillis", 1, kMaxU32, out.connect_timeout_ms));
  GW_CONF_RETURN_IF_ERROR(
      s.readInt("poolIdleTimeoutInMillis", 1, kMaxU32, out.pool_idle_timeout_ms));
  GW_CONF_RETURN_IF_ERROR(
      s.readInt("maxIdleConnectionsPerHost", 0, kMaxU32, out.max_idle_connections_per_host));
  absl::StatusOr<TomlSection> pool = s.section("poolConfig");
  if (!pool.ok()) return pool.status();
  if (pool->present() && s.has("maxIdleConnectionsPerHost") && pool->has("maxIdleConnections")) {
    return absl::InvalidArgumentError(absl::StrCat(
        s.keyName("maxIdleConnectionsPerHost"), " and ", pool->keyName("maxIdleConnections"),
        " are the same setting (WSO2 spells it poolConfig.maxIdleConnections): set only one"));
  }
  GW_CONF_RETURN_IF_ERROR(readPoolConfig(*pool, out));
  absl::StatusOr<TomlSection> proxy = s.section("proxy");
  if (!proxy.ok()) return proxy.status();
  if (proxy->present()) return readProxy(*proxy, env, file, out.proxy);
  absl::StatusOr<EnvironmentProxies> from_env = proxiesFromEnvironment(env);
  if (!from_env.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": no [httpClients.proxy] section, and ", from_env.status().message()));
  }
  if (!from_env->https && !from_env->http) return absl::OkStatus();
  // Per target scheme, as curl and Go do: an unset variable means direct.
  out.proxy = from_env->https ? *from_env->https : ProxyConfig();
  out.plain_http_proxy = from_env->http ? *from_env->http : ProxyConfig();
  return absl::OkStatus();
}

absl::Status readAdmin(const TomlSection& s, AdminConfig& out) {
  GW_CONF_RETURN_IF_ERROR(s.checkKeys({"enabled", "host", "port", "maxConnections"}, {}));
  GW_CONF_RETURN_IF_ERROR(s.readBool("enabled", out.enabled));
  GW_CONF_RETURN_IF_ERROR(s.readString("host", out.host));
  GW_CONF_RETURN_IF_ERROR(requireNonEmpty(s, "host", out.host));
  GW_CONF_RETURN_IF_ERROR(s.readInt("port", 1, 65535, out.port));
  GW_CONF_RETURN_IF_ERROR(s.readInt("maxConnections", 1, 65535, out.max_connections));
  return absl::OkStatus();
}

absl::Status readAccessLog(const TomlSection& s, AccessLogConfig& out) {
  GW_CONF_RETURN_IF_ERROR(s.checkKeys({"enabled", "path"}, {}));
  GW_CONF_RETURN_IF_ERROR(s.readBool("enabled", out.enabled));
  GW_CONF_RETURN_IF_ERROR(s.readPath("path", out.path));
  return requireNonEmpty(s, "path", out.path);
}

bool isRegularFile(const std::string& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(path, error);
}

// An explicit chainFile must exist. Without one, filters.yaml beside the conf
// file is used when present, else the built-in default chain ("").
absl::Status readFilters(const TomlSection& s, const std::string& file, std::string& out) {
  GW_CONF_RETURN_IF_ERROR(s.checkKeys({"chainFile"}, {}));
  std::optional<std::string> chain_file;
  GW_CONF_RETURN_IF_ERROR(s.readOptionalString("chainFile", chain_file));
  if (!chain_file) {
    const std::string beside = resolvePath(directoryOf(file), kDefaultChainFileName);
    out = isRegularFile(beside) ? beside : "";
    return absl::OkStatus();
  }
  GW_CONF_RETURN_IF_ERROR(requireNonEmpty(s, "chainFile", *chain_file));
  out = resolvePath(directoryOf(file), *chain_file);
  if (!isRegularFile(out)) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.keyName("chainFile"), ": no such file: ", out,
                     " (fix the path, or remove the key to use filters.yaml beside the conf "
                     "file or else the built-in default chain)"));
  }
  return absl::OkStatus();
}

absl::Status readRoot(const TomlSection& root, const Environment& env, Config& config) {
  std::vector<std::string> sections = {"listenerConfig",  "httpClients",
                                       "admin",           "accessLog",
                                       "filters",         "tokenRevocationConfig",
                                       "analytics",       "throttlingConfig",
                                       "mutualSSLConfig", "http2"};
  sections.insert(sections.end(), securitySectionNames().begin(), securitySectionNames().end());
  GW_CONF_RETURN_IF_ERROR(root.checkKeys(etcdRootKeys(), sections));
  GW_CONF_RETURN_IF_ERROR(readEtcdConfig(root, config.etcd));
  GW_CONF_RETURN_IF_ERROR(readSecurity(root, config.file, config.security, config.warnings));
  GW_CONF_RETURN_IF_ERROR(readTokenRevocationConfig(root, config.token_revocation));
  GW_CONF_RETURN_IF_ERROR(readAnalyticsConfig(
      root, [&config](const std::string& p) { return resolvePath(directoryOf(config.file), p); },
      config.analytics, config.warnings));
  GW_CONF_RETURN_IF_ERROR(
      readThrottlingConfig(root, config.file, config.throttling, config.warnings));
  absl::StatusOr<TomlSection> s = root.section("listenerConfig");
  if (!s.ok()) return s.status();
  GW_CONF_RETURN_IF_ERROR(readListener(*s, config.listener, config.warnings));
  if (!(s = root.section("mutualSSLConfig")).ok()) return s.status();
  GW_CONF_RETURN_IF_ERROR(readMutualSsl(*s, config.listener, config.warnings));
  if (!(s = root.section("httpClients")).ok()) return s.status();
  GW_CONF_RETURN_IF_ERROR(readHttpClients(*s, env, config.file, config.http_clients));
  if (!(s = root.section("http2")).ok()) return s.status();
  GW_CONF_RETURN_IF_ERROR(s->checkKeys({"enable"}, {}));
  GW_CONF_RETURN_IF_ERROR(s->readBool("enable", config.http2.enable));
  if (!(s = root.section("admin")).ok()) return s.status();
  GW_CONF_RETURN_IF_ERROR(readAdmin(*s, config.admin));
  if (!(s = root.section("accessLog")).ok()) return s.status();
  GW_CONF_RETURN_IF_ERROR(readAccessLog(*s, config.access_log));
  if (!(s = root.section("filters")).ok()) return s.status();
  return readFilters(*s, config.file, config.chain_file);
}

}  // namespace

absl::StatusOr<Config> loadConfigFromString(std::string_view toml, std::string file_name_for_errors,
                                            const Environment& env) {
  Config config;
  config.file = std::move(file_name_for_errors);
  std::shared_ptr<cpptoml::table> table;
  try {
    std::istringstream in{std::string(toml)};
    cpptoml::parser parser(in);
    table = parser.parse();
  } catch (const cpptoml::parse_exception& e) {
    return absl::InvalidArgumentError(
        tomlSyntaxError(absl::string_view(toml.data(), toml.size()), config.file, e.what()));
  } catch (const std::exception&) {  // its text may quote the input
    return absl::InvalidArgumentError(absl::StrCat(config.file, ": cannot parse as TOML"));
  }
  TomlLoadContext context;
  context.warnings = &config.warnings;
  context.env = &env;
  TomlSection root(table, config.file, "", &context);
  // Errors of the whole file at once: readers record what they can and go on;
  // an error a reader returns stops the load and comes last.
  absl::Status read = readRoot(root, env, config);
  if (read.ok()) resolveAliases(config, context);
  if (absl::Status status = context.status(read); !status.ok()) return status;
  return config;
}

absl::StatusOr<Config> loadConfig(const std::string& path, const Environment& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open configuration file"));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat(path, ": read error"));
  return loadConfigFromString(content.str(), path, env);
}

}  // namespace gw::conf
