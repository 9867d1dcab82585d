#pragma once

// Loaders for the typed configuration model in conf/config.h. Every loader
// validates fully and returns an error Status instead of throwing: the message
// names the file, the key (TOML dotted key or YAML location) and what was
// expected, and never contains a password value.
//
// Example:
//   absl::StatusOr<gw::conf::Config> config =
//       gw::conf::loadConfig("conf/micro-gw.conf", gw::conf::Environment::system());
//   if (!config.ok()) { std::cerr << config.status().message() << "\n"; return 1; }
//   for (const std::string& w : config->warnings) std::cerr << "warning: " << w << "\n";
//   auto chain = gw::conf::loadFilterChain(config->chain_file);
//   auto apis = gw::conf::loadApis("conf/apis");
//
// Rules that are not obvious from config.h:
// - micro-gw.conf: unknown sections/keys are errors with a "did you mean"
//   hint. WSO2 API Microgateway 3.2 keys are looked up in one table
//   (conf/wso2_compat.h): implemented ones are read; the others add one line
//   per table entry to Config::warnings (none inside a disabled section), or
//   are errors where ignoring them would weaken security. Errors do not stop
//   at the first: the message lists all of a file's errors (up to 20), each
//   with the file and the key.
// - Paths (trust/key stores, certificateAlias, accessLog path) expand
//   ${mgw-runtime.home} (Environment::runtime_home) and ${ENV_VAR}; an
//   undefined one is an error naming it. Stores (PEM or PKCS#12 with their
//   password, conf/tls_store.h) must load. A certificateAlias that is not a
//   file is looked up by alias in [listenerConfig] trustStorePath.
// - [httpClients.proxy]: `enable` (WSO2 3.2's spelling) and `enabled` are both
//   accepted; giving both with different values is an error. A password comes
//   from at most one of `password` (an empty string counts as unset),
//   `passwordEnv` (name of an environment variable) or `passwordFile` (a file
//   whose single trailing newline is stripped; a relative path is relative to
//   the conf file's directory).
// - When the [httpClients.proxy] section is absent, the proxies come from the
//   environment, per target scheme as curl and Go read them: HTTPS_PROXY (or
//   https_proxy) for https targets into HttpClientsConfig::proxy, HTTP_PROXY
//   (or http_proxy) for plain-http targets into plain_http_proxy; a scheme
//   whose variables are unset goes direct. Each is
//   `[http://][user[:password]@]host[:port][/]` with percent-decoded
//   credentials and port 1080 when absent (curl's default), plus NO_PROXY /
//   no_proxy (comma separated) for both. Such a proxy has enabled and
//   enable_internal_services set and source "environment (<VARIABLE>)".
// - API files: an operation's disable_security is its own
//   x-wso2-disable-security if set, else the API's; its throttling_tier is
//   only its own (empty when unset); its endpoint is set only when the
//   operation has its own x-wso2-production-endpoints. Non-x-wso2 OpenAPI keys
//   are ignored; within x-wso2-production-endpoints, x-wso2-cors and an
//   endpoint `proxy:` map, unknown keys are errors. Every x-wso2-* key is
//   checked against one table (conf/api_extensions.h): read, accepted with a
//   warning in ApiDefinition::warnings, or refused; an unknown one is an error
//   with a did-you-mean. OpenAPI 3 and Swagger 2.0, YAML or JSON
//   (conf/api_spec.h says where the base path and default endpoint come from);
//   endpoints may be "#/x-wso2-endpoints/<name>" references
//   (conf/endpoint_refs.h).
// - An endpoint URL written etcd(<key>, <defaultUrl>) (conf/etcd_endpoint.h)
//   holds defaultUrl's fields plus EndpointUrl::etcd_key; the root keys
//   etcdurl, etcdusername, etcdpassword, etcdtimer, etcdbasepath fill
//   Config::etcd (conf/etcd_config.h).
// - Security (conf/api_security.h): an operation is secured unless
//   x-wso2-disable-security (a YAML boolean; a quoted string is an error) is
//   true on it or on the API, or it has `x-auth-type: None`. Its scopes are
//   those of its own `security` requirement, else the API's, for every scheme
//   that is not an apiKey scheme; an apiKey scheme gives an API-key location.
//   x-wso2-application-security on the operation replaces the API's; basic_auth
//   in security-types is an error naming the API.
// - micro-gw.conf security sections (conf/security_loader.h): each
//   [[jwtTokenConfig]] needs `issuer` and exactly one of jwksURL and
//   certificateAlias (a PEM path, resolved like passwordFile); WSO2 keys
//   microgw does not implement ([keyManager] serverUrl, ...) add a warning.
// - Filter chain files: filter names are not checked here (the registry does).
//   [filters] chainFile must name an existing file; without it, filters.yaml
//   beside micro-gw.conf is used when present, else the built-in default
//   chain (Config::chain_file == "").
// - Syntax errors (TOML and YAML) give the file, line, column and the key when
//   it is a known key name (conf/known_keys.h), never the text of the line; a
//   YAML key with its value glued on (`password:x`) is never echoed either.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "conf/config.h"

namespace gw::conf {

// Where the loaders read environment variables from: the process environment
// in production, a fixed map in tests.
struct Environment {
  // Returns the variable's value, or nullopt when it is unset.
  std::function<std::optional<std::string>(const std::string& name)> get_env;
  // ${mgw-runtime.home} in paths (microgw --runtime-home); unset = an error where used.
  std::optional<std::string> runtime_home;

  // The process environment (::getenv).
  static Environment system();
  // A fixed set of variables; every other variable is unset.
  static Environment fromMap(std::map<std::string, std::string> variables);
};

// Loads and validates micro-gw.conf at `path`. Relative paths inside it
// (chainFile, passwordFile) are resolved against the directory of `path`.
absl::StatusOr<Config> loadConfig(const std::string& path, const Environment& env);

// Same, from TOML text; `file_name_for_errors` is used in messages, as
// Config::file and as the base for relative paths.
absl::StatusOr<Config> loadConfigFromString(std::string_view toml, std::string file_name_for_errors,
                                            const Environment& env);

// Loads every *.yaml / *.yml / *.json file in `dir` (not recursive), one API
// per file, sorted by file name. Fails if there is none, if any file is
// invalid, or if two APIs share a basePath. `env` resolves passwordEnv keys
// (endpoint proxy, securityConfig).
absl::StatusOr<std::vector<ApiDefinition>> loadApis(const std::string& dir,
                                                    const Environment& env = Environment::system());

// Loads one API definition (OpenAPI 3 or Swagger 2.0; JSON when `file_name`
// ends in ".json", else YAML); `file_name` is used in messages and as
// ApiDefinition::file.
absl::StatusOr<ApiDefinition> loadApiFromString(std::string_view yaml, std::string file_name,
                                                const Environment& env = Environment::system());

// The chain file looked for beside micro-gw.conf when [filters] chainFile is unset.
inline constexpr char kDefaultChainFileName[] = "filters.yaml";
// FilterChainConfig::file of the built-in default chain.
inline constexpr char kBuiltinChainName[] = "built-in default chain";

// Loads the filter chain file (conf/filters.yaml format). An empty `path`
// (Config::chain_file when no chain file is configured or found) gives the
// built-in default chain: request_id, headers (adds X-Gateway: microgw,
// removes the response's Server header), cors, jwt_authn, oauth2_introspection, api_key, router;
// conf/filters.yaml holds the same chain. The server adds analytics and
// throttle to the built-in chain when the configuration turns them on
// (gateway/server/chain_checks.h).
absl::StatusOr<FilterChainConfig> loadFilterChain(const std::string& path);

// Same, from YAML text; `file_name` is used in messages and as
// FilterChainConfig::file.
absl::StatusOr<FilterChainConfig> loadFilterChainFromString(std::string_view yaml,
                                                            std::string file_name);

}  // namespace gw::conf
