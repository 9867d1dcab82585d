#pragma once

// ${...} references in micro-gw.conf paths, as WSO2 API Microgateway 3.2 writes
// them: ${mgw-runtime.home} (the --runtime-home directory) and ${NAME} (an
// environment variable). Internal to //conf:loader.
//
// Example:
//   Environment env = Environment::system();
//   env.runtime_home = "/opt/wso2mgw";
//   auto path = expandVariables("${mgw-runtime.home}/runtime/bre/security/ballerinaTruststore.p12",
//                               env);  // "/opt/wso2mgw/runtime/bre/..."

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "conf/loader.h"

namespace gw::conf {

// The name of WSO2's runtime home variable.
inline constexpr char kRuntimeHomeVariable[] = "mgw-runtime.home";

// Replaces every ${name} in `value`. An undefined name, or a "${" without its
// "}", is an error naming it (and never quoting the rest of the value).
absl::StatusOr<std::string> expandVariables(std::string_view value, const Environment& env);

}  // namespace gw::conf
