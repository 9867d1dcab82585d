#pragma once

// x-wso2-cors of an API definition -> conf::CorsConfig.
//
// Keys are accepted in WSO2's three spellings: camelCase
// (accessControlAllowOrigins), snake_case (access_control_allow_origins) and
// kebab-case (access-control-allow-origins); giving one key in two spellings
// is an error. The block's presence enables CORS unless
// corsConfigurationEnabled is false. A list that is left out gets WSO2 API
// Manager's default (origins "*"; methods GET, PUT, POST, DELETE, PATCH,
// OPTIONS; headers authorization, Access-Control-Allow-Origin, Content-Type,
// SOAPAction, apikey; no exposed headers).
//
// Every error names the file and the API: "api.yaml (API 'Pets'):
// x-wso2-cors.accessControlAllowOrigins[0]: ...".
//
// Example:
//   CorsConfig cors;
//   GW_CONF_RETURN_IF_ERROR(loadCors(ctx, root["x-wso2-cors"], api.title, cors));

#include <string>

#include "absl/status/status.h"
#include "conf/config.h"
#include "conf/yaml_util.h"

namespace gw::conf {

inline constexpr char kCorsExtension[] = "x-wso2-cors";

// Reads the x-wso2-cors map `node` of the API titled `api_title` into `cors`.
absl::Status loadCors(const YamlContext& ctx, const YAML::Node& node, const std::string& api_title,
                      CorsConfig& cors);

// The error for x-wso2-cors on an operation (WSO2 3.2 reads it on the API only).
absl::Status corsOnOperationError(const YamlContext& ctx, const std::string& location,
                                  const std::string& api_title);

}  // namespace gw::conf
