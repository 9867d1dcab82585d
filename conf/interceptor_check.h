#pragma once

// WSO2 3.2's x-wso2-request-interceptor / x-wso2-response-interceptor name
// Ballerina functions or Java classes run inside WSO2's gateway. microgw
// cannot run them, and ignoring them would skip checks or changes the API
// relies on, so they are a start-up error that names the API and resource and
// says what to do instead: write a filter (README, "Interceptors").
//
// Example:
//   GW_CONF_RETURN_IF_ERROR(refuseInterceptors(ctx, root, "", api.title, "every resource"));

#include <string>

#include "absl/status/status.h"
#include "conf/yaml_util.h"

namespace gw::conf {

// Fails when map `node` (the API root or one operation, at `location`) has an
// interceptor extension; `resource` is "GET /pets" or "every resource".
absl::Status refuseInterceptors(const YamlContext& ctx, const YAML::Node& node,
                                const std::string& location, const std::string& api_title,
                                const std::string& resource);

}  // namespace gw::conf
