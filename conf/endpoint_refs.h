#pragma once

// WSO2's named endpoints: a top-level `x-wso2-endpoints` list of
// `- <name>: {urls, type, securityConfig, ...}`, referred to from
// x-wso2-production-endpoints / x-wso2-sandbox-endpoints (API or operation)
// as "#/x-wso2-endpoints/<name>". Internal to //conf:loader.
//
// Example (YAML):
//   x-wso2-production-endpoints: "#/x-wso2-endpoints/petstore"
//   x-wso2-endpoints:
//     - petstore: {urls: ['http://backend:8080/v2'], type: http}

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "conf/config.h"
#include "conf/yaml_util.h"
#include "yaml-cpp/yaml.h"

namespace gw::conf {

inline constexpr char kEndpointRefPrefix[] = "#/x-wso2-endpoints/";

using EndpointTable = std::map<std::string, EndpointConfig>;

// Reads the top-level x-wso2-endpoints (absent = empty table). Also accepts a
// map of name: endpoint. A duplicate name is an error.
absl::StatusOr<EndpointTable> loadEndpointTable(const YamlContext& ctx, const YAML::Node& root);

// An endpoint map, or a reference into `table` (EndpointConfig::reference set).
// An unknown name is an error with a did-you-mean.
absl::StatusOr<EndpointConfig> loadEndpointOrReference(const YamlContext& ctx,
                                                       const YAML::Node& node,
                                                       const std::string& location,
                                                       const EndpointTable& table);

}  // namespace gw::conf
