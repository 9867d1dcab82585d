#pragma once

// x-wso2-production-endpoints (API or operation level) -> EndpointConfig.
// Internal to //conf:loader.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "conf/config.h"
#include "conf/yaml_util.h"
#include "yaml-cpp/yaml.h"

namespace gw::conf {

// Parses one backend URL (http/https only, or etcd(<key>, <defaultUrl>): see
// conf/etcd_endpoint.h). `location` names it in errors; the URL is quoted back
// unless it contains '@' (it may hold credentials).
absl::StatusOr<EndpointUrl> parseEndpointUrl(const YamlContext& ctx, absl::string_view url,
                                             absl::string_view location);

// Parses the endpoint map found at `location`.
absl::StatusOr<EndpointConfig> loadEndpoint(const YamlContext& ctx, const YAML::Node& node,
                                            const std::string& location);

}  // namespace gw::conf
