#pragma once

// advanceEndpointConfig of an endpoint map (x-wso2-production-endpoints, API
// or resource level): timeoutInMillis, retryConfig and circuitBreaker, with
// WSO2 API Microgateway 3.2's key names. Unknown keys, at any depth, are
// errors with a did-you-mean. Internal to //conf:loader.

#include <string>

#include "absl/status/status.h"
#include "conf/config.h"
#include "conf/yaml_util.h"
#include "yaml-cpp/yaml.h"

namespace gw::conf {

// Reads the advanceEndpointConfig map `node` found at `location` into
// `endpoint` (timeout_ms, retry, circuit_breaker); keys not given keep their
// defaults.
absl::Status loadAdvanceEndpointConfig(const YamlContext& ctx, const YAML::Node& node,
                                       const std::string& location, EndpointConfig& endpoint);

}  // namespace gw::conf
