// loadApis / loadApiFromString: OpenAPI 3 YAML with x-wso2-* extensions -> ApiDefinition.

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "conf/api_security.h"
#include "conf/endpoint_loader.h"
#include "conf/loader.h"
#include "conf/secret.h"
#include "conf/status_macros.h"
#include "conf/suggest.h"
#include "conf/yaml_util.h"

namespace gw::conf {
namespace {

constexpr const char* kEndpoints = "x-wso2-production-endpoints";
constexpr const char* kDisableSecurity = "x-wso2-disable-security";
constexpr const char* kThrottlingTier = "x-wso2-throttling-tier";
constexpr const char* kThrottlingTierShort = "x-throttling-tier";
constexpr const char* kAppSecurity = "x-wso2-application-security";

// Fails on an x-wso2-* key within two edits of a known one: a typo that would
// otherwise be silently ignored (other x-wso2-* keys are WSO2 features microgw
// does not implement, and are ignored like any other OpenAPI key).
absl::Status checkExtensionTypos(const YamlContext& ctx, const YAML::Node& node,
                                 absl::string_view location,
                                 const std::vector<std::string>& known) {
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) continue;
    const std::string& key = entry.first.Scalar();
    if (!absl::StartsWithIgnoreCase(key, "x-wso2-") || !isPlainKey(key)) continue;
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    for (const std::string& candidate : known) {
      if (editDistance(key, candidate) <= 2) {
        return absl::InvalidArgumentError(absl::StrCat(ctx.file, ": unknown key '",
                                                       joinLocation(location, key),
                                                       "' (did you mean '", candidate, "'?)"));
      }
    }
  }
  return absl::OkStatus();
}

// A missing required key, with a hint when a misspelling of it is present.
absl::Status missingKey(const YamlContext& ctx, const YAML::Node& map, absl::string_view location,
                        const std::string& key) {
  std::string message = absl::StrCat("'", joinLocation(location, key), "' is required");
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && isPlainKey(entry.first.Scalar()) &&
        !closestMatch(entry.first.Scalar(), {key}).empty()) {
      absl::StrAppend(&message, " (found '", entry.first.Scalar(), "': a misspelling?)");
      break;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(ctx.file, ": ", message));
}

absl::StatusOr<std::string> requiredString(const YamlContext& ctx, const YAML::Node& map,
                                           absl::string_view location, const std::string& key) {
  if (!map[key]) return missingKey(ctx, map, location, key);
  absl::StatusOr<std::string> value = yamlString(ctx, map[key], joinLocation(location, key));
  if (value.ok() && value->empty()) {
    return yamlError(ctx, joinLocation(location, key), "must not be empty");
  }
  return value;
}

// Leading '/', no trailing '/', and WSO2's "{version}" placeholder replaced.
absl::StatusOr<std::string> normaliseBasePath(const YamlContext& ctx, const std::string& raw,
                                              const std::string& version) {
  std::string path = absl::StrReplaceAll(absl::StripAsciiWhitespace(raw), {{"{version}", version}});
  if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path == "/") {
    return yamlError(ctx, "x-wso2-basePath", "must name a path other than '/'");
  }
  if (path.find_first_of("?#{} \t") != std::string::npos) {
    return yamlError(
        ctx, "x-wso2-basePath",
        absl::StrCat(quoteValue(raw), " must not contain '?', '#', '{', '}' or blanks"));
  }
  return path;
}

absl::Status loadInfo(const YamlContext& ctx, const YAML::Node& root, ApiDefinition& api) {
  if (!root["openapi"]) {
    if (root["swagger"])
      return yamlError(ctx, "swagger",
                       "Swagger 2.0 is not supported; "
                       "convert the file to OpenAPI 3");
    return missingKey(ctx, root, "", "openapi");
  }
  absl::StatusOr<std::string> version = yamlString(ctx, root["openapi"], "openapi");
  if (!version.ok()) return version.status();
  if (!absl::StartsWith(*version, "3.")) {
    return yamlError(ctx, "openapi", absl::StrCat("expected 3.x, got ", quoteValue(*version)));
  }
  if (!root["info"]) return missingKey(ctx, root, "", "info");
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, root["info"], "info"));
  absl::StatusOr<std::string> title = requiredString(ctx, root["info"], "info", "title");
  if (!title.ok()) return title.status();
  absl::StatusOr<std::string> api_version = requiredString(ctx, root["info"], "info", "version");
  if (!api_version.ok()) return api_version.status();
  api.title = *std::move(title);
  api.version = *std::move(api_version);
  absl::StatusOr<std::string> base_path = requiredString(ctx, root, "", "x-wso2-basePath");
  if (!base_path.ok()) return base_path.status();
  absl::StatusOr<std::string> normalised = normaliseBasePath(ctx, *base_path, api.version);
  if (!normalised.ok()) return normalised.status();
  api.base_path = *std::move(normalised);
  return absl::OkStatus();
}

absl::Status loadCors(const YamlContext& ctx, const YAML::Node& node, CorsConfig& cors) {
  const std::string location = "x-wso2-cors";
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, node, location));
  GW_CONF_RETURN_IF_ERROR(checkYamlKeys(
      ctx, node, location,
      {"corsConfigurationEnabled", "accessControlAllowOrigins", "accessControlAllowMethods",
       "accessControlAllowHeaders", "accessControlAllowCredentials"}));
  const std::pair<const char*, bool*> flags[] = {
      {"corsConfigurationEnabled", &cors.enabled},
      {"accessControlAllowCredentials", &cors.allow_credentials}};
  for (const auto& [key, field] : flags) {
    if (!node[key]) continue;
    absl::StatusOr<bool> value = yamlBool(ctx, node[key], joinLocation(location, key));
    if (!value.ok()) return value.status();
    *field = *value;
  }
  const std::pair<const char*, std::vector<std::string>*> lists[] = {
      {"accessControlAllowOrigins", &cors.allow_origins},
      {"accessControlAllowMethods", &cors.allow_methods},
      {"accessControlAllowHeaders", &cors.allow_headers}};
  for (const auto& [key, field] : lists) {
    if (!node[key]) continue;
    absl::StatusOr<std::vector<std::string>> value =
        yamlStringList(ctx, node[key], joinLocation(location, key));
    if (!value.ok()) return value.status();
    *field = *std::move(value);
  }
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

absl::StatusOr<Operation> loadOperation(const YamlContext& ctx, const YAML::Node& node,
                                        const std::string& location, const ApiDefinition& api,
                                        const ApiSecurityContext& security) {
  Operation op;
  op.disable_security = api.disable_security;
  if (node.IsNull()) {
    GW_CONF_RETURN_IF_ERROR(loadOperationSecurity(ctx, security, node, location, op));
    return op;
  }
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, node, location));
  GW_CONF_RETURN_IF_ERROR(checkExtensionTypos(
      ctx, node, location, {kEndpoints, kDisableSecurity, kThrottlingTier, kAppSecurity}));
  GW_CONF_RETURN_IF_ERROR(
      loadCommonExtensions(ctx, node, location, op.disable_security, op.throttling_tier));
  GW_CONF_RETURN_IF_ERROR(loadOperationSecurity(ctx, security, node, location, op));
  if (node[kEndpoints]) {
    absl::StatusOr<EndpointConfig> endpoint =
        loadEndpoint(ctx, node[kEndpoints], joinLocation(location, kEndpoints));
    if (!endpoint.ok()) return endpoint.status();
    op.endpoint = *std::move(endpoint);
  }
  return op;
}

absl::Status loadPaths(const YamlContext& ctx, const YAML::Node& paths,
                       const ApiSecurityContext& security, ApiDefinition& api) {
  static const char* const kMethods[] = {"get",     "put",  "post",  "delete",
                                         "options", "head", "patch", "trace"};
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, paths, "paths"));
  for (const auto& path_entry : paths) {
    const std::string path = path_entry.first.Scalar();
    const std::string location = absl::StrCat("paths.", path);
    if (path.empty() || path.front() != '/') {
      return yamlError(ctx, location, "path must start with '/'");
    }
    if (path_entry.second.IsNull()) continue;
    GW_CONF_RETURN_IF_ERROR(requireMap(ctx, path_entry.second, location));
    for (const auto& method_entry : path_entry.second) {
      const std::string method = method_entry.first.Scalar();
      if (std::find(std::begin(kMethods), std::end(kMethods), method) == std::end(kMethods)) {
        continue;  // parameters, summary, servers, x-*, ...
      }
      absl::StatusOr<Operation> op =
          loadOperation(ctx, method_entry.second, joinLocation(location, method), api, security);
      if (!op.ok()) return op.status();
      op->path_template = path;
      op->method = absl::AsciiStrToUpper(method);
      api.operations.push_back(*std::move(op));
    }
  }
  return absl::OkStatus();
}

absl::Status loadApiExtensions(const YamlContext& ctx, const YAML::Node& root, ApiDefinition& api) {
  GW_CONF_RETURN_IF_ERROR(
      checkExtensionTypos(ctx, root, "",
                          {"x-wso2-basePath", kEndpoints, kDisableSecurity, kThrottlingTier,
                           "x-wso2-auth-header", "x-wso2-cors", kAppSecurity}));
  GW_CONF_RETURN_IF_ERROR(
      loadCommonExtensions(ctx, root, "", api.disable_security, api.throttling_tier));
  if (root["x-wso2-auth-header"]) {
    absl::StatusOr<std::string> header = requiredString(ctx, root, "", "x-wso2-auth-header");
    if (!header.ok()) return header.status();
    api.auth_header = *std::move(header);
  }
  if (root["x-wso2-cors"]) GW_CONF_RETURN_IF_ERROR(loadCors(ctx, root["x-wso2-cors"], api.cors));
  return absl::OkStatus();
}

absl::Status loadApi(const YamlContext& ctx, const YAML::Node& root, ApiDefinition& api) {
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, root, ""));
  GW_CONF_RETURN_IF_ERROR(loadInfo(ctx, root, api));
  GW_CONF_RETURN_IF_ERROR(loadApiExtensions(ctx, root, api));
  if (!root["paths"]) return missingKey(ctx, root, "", "paths");
  absl::StatusOr<ApiSecurityContext> security =
      loadApiSecurityContext(ctx, root, absl::StrCat("API '", api.title, "'"));
  if (!security.ok()) return security.status();
  GW_CONF_RETURN_IF_ERROR(loadPaths(ctx, root["paths"], *security, api));
  if (root[kEndpoints]) {
    absl::StatusOr<EndpointConfig> endpoint = loadEndpoint(ctx, root[kEndpoints], kEndpoints);
    if (!endpoint.ok()) return endpoint.status();
    api.production = *std::move(endpoint);
    return absl::OkStatus();
  }
  const bool all_overridden =
      !api.operations.empty() &&
      std::all_of(api.operations.begin(), api.operations.end(),
                  [](const Operation& op) { return op.endpoint.has_value(); });
  if (all_overridden) return absl::OkStatus();
  return missingKey(ctx, root, "", kEndpoints);
}

}  // namespace

absl::StatusOr<ApiDefinition> loadApiFromString(std::string_view yaml, std::string file_name,
                                                const Environment& env) {
  YamlContext ctx{file_name, &env, directoryOf(file_name)};
  absl::StatusOr<YAML::Node> root = parseYaml(std::string(yaml), file_name);
  if (!root.ok()) return root.status();
  ApiDefinition api;
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
    const std::string ext = it->path().extension().string();
    if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file(ec)) {
      names.push_back(it->path().filename().string());
    }
  }
  if (ec)
    return absl::NotFoundError(absl::StrCat(dir, ": cannot list API directory: ", ec.message()));
  if (names.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": no API definitions (*.yaml, *.yml)"));
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
      return absl::InvalidArgumentError(absl::StrCat(path, ": x-wso2-basePath '", api->base_path,
                                                     "' is already used by ", it->second));
    }
    apis.push_back(*std::move(api));
  }
  return apis;
}

}  // namespace gw::conf
