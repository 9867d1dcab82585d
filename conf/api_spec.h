#pragma once

// What differs between OpenAPI 3 and Swagger 2.0 definitions: the version key,
// where the base path comes from and which backend a definition names without
// x-wso2-production-endpoints. Internal to //conf:loader.
//
//                 base path (no x-wso2-basePath)   default endpoint
//   OpenAPI 3     path of servers[0].url           servers[0].url when absolute
//   Swagger 2.0   basePath                         schemes[0]://host + basePath
//
// Either falls back to "/" with a warning. servers[0].url variables
// ({name}) take their `default`.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "conf/yaml_util.h"
#include "yaml-cpp/yaml.h"

namespace gw::conf {

enum class ApiSpecKind { OpenApi3, Swagger2 };

struct ApiSpec {
  ApiSpecKind kind = ApiSpecKind::OpenApi3;
  std::string title;
  std::string version;
  std::string base_path;  // normalised: leading '/', no trailing '/' (except "/")
  // An absolute http(s) URL the definition itself gives for the backend.
  std::optional<std::string> default_endpoint;
  std::string default_endpoint_location;  // "servers[0].url", "host"
  std::string no_endpoint_reason;         // why default_endpoint is unset, for errors
};

// "'<location.key>' is required", with a hint when a misspelling of `key` is
// in `map` (never a known x-wso2-* extension: x-wso2-sandbox-endpoints is not
// a misspelt x-wso2-production-endpoints).
absl::Status missingKey(const YamlContext& ctx, const YAML::Node& map, absl::string_view location,
                        const std::string& key, absl::string_view why = "");

// A required non-empty string.
absl::StatusOr<std::string> requiredString(const YamlContext& ctx, const YAML::Node& map,
                                           absl::string_view location, const std::string& key);

// Reads openapi/swagger, info and the base path; warnings go to ctx.warnings.
absl::StatusOr<ApiSpec> loadApiSpec(const YamlContext& ctx, const YAML::Node& root);

}  // namespace gw::conf
