// loadApis / loadApiFromString: OpenAPI 3 or Swagger 2.0 (YAML or JSON) with
// x-wso2-* extensions -> ApiDefinition.

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "conf/api_document.h"
#include "conf/api_extensions.h"
#include "conf/api_security.h"
#include "conf/api_spec.h"
#include "conf/cors_loader.h"
#include "conf/endpoint_loader.h"
#include "conf/endpoint_refs.h"
#include "conf/interceptor_check.h"
#include "conf/loader.h"
#include "conf/secret.h"
#include "conf/status_macros.h"
#include "conf/suggest.h"
#include "conf/yaml_util.h"

namespace gw::conf {
namespace {

constexpr const char* kEndpoints = "x-wso2-production-endpoints";
constexpr const char* kSandbox = "x-wso2-sandbox-endpoints";
constexpr const char* kDisableSecurity = "x-wso2-disable-security";
constexpr const char* kThrottlingTier = "x-wso2-throttling-tier";
constexpr const char* kThrottlingTierShort = "x-throttling-tier";

// What every part of one API's load shares.
struct ApiLoad {
  const YamlContext& ctx;
  std::string api_name;  // "API 'Petstore'"
  ApiSecurityContext security;
  EndpointTable endpoints;       // x-wso2-endpoints
  std::set<std::string> warned;  // extensions already warned about
};

// x-wso2-production-endpoints / x-wso2-sandbox-endpoints of `node`, if present.
absl::Status loadEndpointKey(const ApiLoad& load, const YAML::Node& node,
                             const std::string& location, const char* key,
                             std::optional<EndpointConfig>& out) {
  if (!node[key]) return absl::OkStatus();
  absl::StatusOr<EndpointConfig> endpoint =
      loadEndpointOrReference(load.ctx, node[key], joinLocation(location, key), load.endpoints);
  if (!endpoint.ok()) return endpoint.status();
  out = *std::move(endpoint);
  return absl::OkStatus();
}

// The extensions allowed both on the API and on an operation.
absl::Status loadCommonExtensions(const YamlContext& ctx, const YAML::Node& node,
                                  const std::string& location, bool& disable_security,
                                  std::string& throttling_tier) {
  if (node[kDisableSecurity]) {
    absl::StatusOr<bool> value =
        strictYamlBool(ctx, node[kDisableSecurity], joinLocation(location, kDisableSecurity));
    if (!value.ok()) return value.status();
    disable_security = *value;
  }
  // Both spellings are WSO2's: on the API x-wso2-throttling-tier wins, on a
  // resource x-throttling-tier does (location "" is the API).
  const bool on_api = location.empty();
  for (const char* key : on_api ? std::vector<const char*>{kThrottlingTierShort, kThrottlingTier}
                                : std::vector<const char*>{kThrottlingTier, kThrottlingTierShort}) {
    if (!node[key]) continue;
    absl::StatusOr<std::string> value = yamlString(ctx, node[key], joinLocation(location, key));
    if (!value.ok()) return value.status();
    throttling_tier = *std::move(value);
  }
  return absl::OkStatus();
}

absl::StatusOr<Operation> loadOperation(ApiLoad& load, const YAML::Node& node,
                                        const std::string& location, const ApiDefinition& api) {
  const YamlContext& ctx = load.ctx;
  Operation op;
  op.disable_security = api.disable_security;
  if (node.IsNull()) {
    GW_CONF_RETURN_IF_ERROR(loadOperationSecurity(ctx, load.security, node, location, op));
    return op;
  }
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, node, location));
  if (node[kCorsExtension]) return corsOnOperationError(ctx, location, api.title);
  GW_CONF_RETURN_IF_ERROR(
      checkExtensions(ctx, node, location, ExtensionLevel::Operation, load.api_name, load.warned));
  GW_CONF_RETURN_IF_ERROR(
      loadCommonExtensions(ctx, node, location, op.disable_security, op.throttling_tier));
  GW_CONF_RETURN_IF_ERROR(loadOperationSecurity(ctx, load.security, node, location, op));
  GW_CONF_RETURN_IF_ERROR(loadEndpointKey(load, node, location, kEndpoints, op.endpoint));
  GW_CONF_RETURN_IF_ERROR(loadEndpointKey(load, node, location, kSandbox, op.sandbox));
  return op;
}

absl::Status loadPaths(ApiLoad& load, const YAML::Node& paths, ApiDefinition& api) {
  static const char* const kMethods[] = {"get",     "put",  "post",  "delete",
                                         "options", "head", "patch", "trace"};
  const YamlContext& ctx = load.ctx;
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, paths, "paths"));
  for (const auto& path_entry : paths) {
    const std::string path = path_entry.first.Scalar();
    const std::string location = absl::StrCat("paths.", path);
    if (path.empty() || path.front() != '/') {
      return yamlError(ctx, location, "path must start with '/'");
    }
    if (path_entry.second.IsNull()) continue;
    GW_CONF_RETURN_IF_ERROR(requireMap(ctx, path_entry.second, location));
    GW_CONF_RETURN_IF_ERROR(checkExtensions(ctx, path_entry.second, location,
                                            ExtensionLevel::PathItem, load.api_name, load.warned));
    for (const auto& method_entry : path_entry.second) {
      const std::string method = method_entry.first.Scalar();
      if (std::find(std::begin(kMethods), std::end(kMethods), method) == std::end(kMethods)) {
        continue;  // parameters, summary, servers, x-*, ...
      }
      GW_CONF_RETURN_IF_ERROR(
          refuseInterceptors(ctx, method_entry.second, joinLocation(location, method), api.title,
                             absl::StrCat(absl::AsciiStrToUpper(method), " ", path)));
      absl::StatusOr<Operation> op =
          loadOperation(load, method_entry.second, joinLocation(location, method), api);
      if (!op.ok()) return op.status();
      op->path_template = path;
      op->method = absl::AsciiStrToUpper(method);
      api.operations.push_back(*std::move(op));
    }
  }
  return absl::OkStatus();
}

absl::Status loadApiExtensions(ApiLoad& load, const YAML::Node& root, ApiDefinition& api) {
  const YamlContext& ctx = load.ctx;
  GW_CONF_RETURN_IF_ERROR(
      checkExtensions(ctx, root, "", ExtensionLevel::Api, load.api_name, load.warned));
  GW_CONF_RETURN_IF_ERROR(refuseInterceptors(ctx, root, "", api.title, "every resource"));
  GW_CONF_RETURN_IF_ERROR(
      loadCommonExtensions(ctx, root, "", api.disable_security, api.throttling_tier));
  if (root["x-wso2-auth-header"]) {
    absl::StatusOr<std::string> header = requiredString(ctx, root, "", "x-wso2-auth-header");
    if (!header.ok()) return header.status();
    api.auth_header = *std::move(header);
  }
  GW_CONF_RETURN_IF_ERROR(readTransportExtensions(ctx, root, api));
  if (root[kCorsExtension]) {
    GW_CONF_RETURN_IF_ERROR(loadCors(ctx, root[kCorsExtension], api.title, api.cors));
  }
  return absl::OkStatus();
}

// The API's production endpoint: x-wso2-production-endpoints, else the one the
// definition names itself (servers / host), else every operation must have one.
absl::Status loadApiEndpoints(ApiLoad& load, const YAML::Node& root, const ApiSpec& spec,
                              ApiDefinition& api) {
  const YamlContext& ctx = load.ctx;
  GW_CONF_RETURN_IF_ERROR(loadEndpointKey(load, root, "", kSandbox, api.sandbox));
  std::optional<EndpointConfig> production;
  GW_CONF_RETURN_IF_ERROR(loadEndpointKey(load, root, "", kEndpoints, production));
  if (!production && spec.default_endpoint) {
    absl::StatusOr<EndpointUrl> url =
        parseEndpointUrl(ctx, *spec.default_endpoint, spec.default_endpoint_location);
    if (!url.ok()) return url.status();
    production.emplace();
    production->urls.push_back(*std::move(url));
  }
  if (production) {
    api.production = *std::move(production);
    return absl::OkStatus();
  }
  // A sandbox-only API (or resource) is served to sandbox tokens; production
  // tokens get WSO2's 403 900901 from the router.
  if (api.sandbox) return absl::OkStatus();
  const bool all_overridden =
      !api.operations.empty() &&
      std::all_of(api.operations.begin(), api.operations.end(), [](const Operation& op) {
        return op.endpoint.has_value() || op.sandbox.has_value();
      });
  if (all_overridden) return absl::OkStatus();
  std::string why = absl::StrCat(": ", spec.no_endpoint_reason, ", so it names no backend");
  return missingKey(ctx, root, "", kEndpoints, why);
}

absl::Status loadApi(const YamlContext& ctx, const YAML::Node& root, ApiDefinition& api) {
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, root, ""));
  absl::StatusOr<ApiSpec> spec = loadApiSpec(ctx, root);
  if (!spec.ok()) return spec.status();
  api.title = spec->title;
  api.version = spec->version;
  api.base_path = spec->base_path;
  YamlContext api_ctx = ctx;  // endpoint errors (etcd keys) name the API
  api_ctx.api = absl::StrCat("API '", api.title, "'");
  ApiLoad load{api_ctx, api_ctx.api, {}, {}, {}};
  GW_CONF_RETURN_IF_ERROR(loadApiExtensions(load, root, api));
  if (!root["paths"]) return missingKey(ctx, root, "", "paths");
  absl::StatusOr<ApiSecurityContext> security = loadApiSecurityContext(ctx, root, load.api_name);
  if (!security.ok()) return security.status();
  load.security = *std::move(security);
  absl::StatusOr<EndpointTable> endpoints = loadEndpointTable(ctx, root);
  if (!endpoints.ok()) return endpoints.status();
  load.endpoints = *std::move(endpoints);
  GW_CONF_RETURN_IF_ERROR(loadPaths(load, root["paths"], api));
  return loadApiEndpoints(load, root, *spec, api);
}

}  // namespace

absl::StatusOr<ApiDefinition> loadApiFromString(std::string_view yaml, std::string file_name,
                                                const Environment& env) {
  ApiDefinition api;
  YamlContext ctx{file_name, &env, directoryOf(file_name), &api.warnings};
  absl::StatusOr<YAML::Node> root = parseApiDocument(std::string(yaml), file_name);
  if (!root.ok()) return root.status();
  api.file = std::move(file_name);
  try {
    GW_CONF_RETURN_IF_ERROR(loadApi(ctx, *root, api));
  } catch (const std::exception& e) {  // yaml-cpp throws on misuse; never let it escape
    return absl::InternalError(absl::StrCat(ctx.file, ": ", e.what()));
  }
  return api;
}

absl::StatusOr<std::vector<ApiDefinition>> loadApis(const std::string& dir,
                                                    const Environment& env) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (isApiFileName(it->path().filename().string()) && it->is_regular_file(ec)) {
      names.push_back(it->path().filename().string());
    }
  }
  if (ec)
    return absl::NotFoundError(absl::StrCat(dir, ": cannot list API directory: ", ec.message()));
  if (names.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": no API definitions (*.yaml, *.yml, *.json)"));
  }
  std::sort(names.begin(), names.end());
  std::vector<ApiDefinition> apis;
  std::map<std::string, std::string> files_by_base_path;
  for (const std::string& name : names) {
    const std::string path = resolvePath(dir, name);
    absl::StatusOr<std::string> text = readTextFile(path);
    if (!text.ok()) return text.status();
    absl::StatusOr<ApiDefinition> api = loadApiFromString(*text, path, env);
    if (!api.ok()) return api.status();
    auto [it, inserted] = files_by_base_path.emplace(api->base_path, path);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": base path '", api->base_path,
                                                     "' is already used by ", it->second,
                                                     " (give each API its own x-wso2-basePath)"));
    }
    apis.push_back(*std::move(api));
  }
  return apis;
}

}  // namespace gw::conf
