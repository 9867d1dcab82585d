#pragma once

// Per-operation security from an OpenAPI 3 file with WSO2's extensions:
// x-wso2-disable-security (a YAML boolean), `x-auth-type: None`, the
// `security` requirement with `components.securitySchemes`, and
// x-wso2-application-security. Internal to //conf:loader, exposed for tests
//

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "conf/config.h"
#include "conf/yaml_util.h"

namespace gw::conf {

// What an API says about security once, for all its operations.
struct ApiSecurityContext {
  std::string api_name;                                   // for messages: "API 'Petstore'"
  std::map<std::string, ApiKeyLocation> api_key_schemes;  // securitySchemes of type apiKey
  YAML::Node security;      // the top-level `security` requirement (may be undefined)
  OperationSecurity types;  // x-wso2-application-security of the API (types, optional)
  bool types_given = false;
};

// x-wso2-disable-security and similar flags: a YAML boolean only. A quoted
// "true" is refused (WSO2 would read it as a string, so the intent is unclear).
absl::StatusOr<bool> strictYamlBool(const YamlContext& ctx, const YAML::Node& node,
                                    absl::string_view location);

// Reads components.securitySchemes, `security` and x-wso2-application-security
// of the API. basic_auth in security-types is an error naming the API.
absl::StatusOr<ApiSecurityContext> loadApiSecurityContext(const YamlContext& ctx,
                                                          const YAML::Node& root,
                                                          const std::string& api_name);

// Fills op.security (and op.disable_security for `x-auth-type: None`) from the
// operation's node; `op.disable_security` already holds the
// x-wso2-disable-security outcome.
absl::Status loadOperationSecurity(const YamlContext& ctx, const ApiSecurityContext& api,
                                   const YAML::Node& node, const std::string& location,
                                   Operation& op);

}  // namespace gw::conf
