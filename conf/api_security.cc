#include "conf/api_security.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "conf/status_macros.h"
#include "conf/suggest.h"

namespace gw::conf {
namespace {

constexpr const char* kAppSecurity = "x-wso2-application-security";

void addUnique(std::vector<std::string>& out, const std::string& value) {
  if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(value);
}

absl::Status loadSecuritySchemes(const YamlContext& ctx, const YAML::Node& root,
                                 ApiSecurityContext& out) {
  const YAML::Node components = root["components"];
  if (!components || !components.IsMap()) return absl::OkStatus();
  const YAML::Node schemes = components["securitySchemes"];
  if (!schemes || schemes.IsNull()) return absl::OkStatus();
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, schemes, "components.securitySchemes"));
  for (const auto& entry : schemes) {
    const std::string name = entry.first.Scalar();
    const std::string location = absl::StrCat("components.securitySchemes.", name);
    if (!entry.second.IsMap() || !entry.second["type"]) continue;
    absl::StatusOr<std::string> type =
        yamlString(ctx, entry.second["type"], joinLocation(location, "type"));
    if (!type.ok()) return type.status();
    if (*type != "apiKey") continue;
    ApiKeyLocation key;
    key.in = "header";
    key.name = "apikey";
    if (entry.second["in"]) {
      absl::StatusOr<std::string> in =
          yamlString(ctx, entry.second["in"], joinLocation(location, "in"));
      if (!in.ok()) return in.status();
      if (*in != "header" && *in != "query") {
        return yamlError(ctx, joinLocation(location, "in"),
                         absl::StrCat("microgw reads API keys from a header or the query, got ",
                                      quoteValue(*in)));
      }
      key.in = *in;
    }
    if (entry.second["name"]) {
      absl::StatusOr<std::string> n =
          yamlString(ctx, entry.second["name"], joinLocation(location, "name"));
      if (!n.ok()) return n.status();
      key.name = *n;
    }
    out.api_key_schemes[name] = key;
  }
  return absl::OkStatus();
}

// x-wso2-application-security: {security-types: [...], optional: bool}
absl::Status loadApplicationSecurity(const YamlContext& ctx, const YAML::Node& node,
                                     const std::string& location, const std::string& api_name,
                                     OperationSecurity& out) {
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, node, location));
  GW_CONF_RETURN_IF_ERROR(checkYamlKeys(ctx, node, location, {"security-types", "optional"}));
  if (node["optional"]) {
    absl::StatusOr<bool> optional =
        strictYamlBool(ctx, node["optional"], joinLocation(location, "optional"));
    if (!optional.ok()) return optional.status();
    out.optional = *optional;
  }
  if (!node["security-types"]) return absl::OkStatus();
  const std::string types_location = joinLocation(location, "security-types");
  absl::StatusOr<std::vector<std::string>> types =
      yamlStringList(ctx, node["security-types"], types_location);
  if (!types.ok()) return types.status();
  out.oauth2 = false;
  out.api_key = false;
  for (const std::string& type : *types) {
    if (type == "oauth2") {
      out.oauth2 = true;
    } else if (type == "api_key") {
      out.api_key = true;
    } else if (type == "basic_auth") {
      return yamlError(ctx, types_location,
                       absl::StrCat(api_name,
                                    ": basic_auth is not implemented by microgw; use oauth2 "
                                    "(JWT) or remove the API's basic_auth security type"));
    } else {
      const std::string hint = closestMatch(type, {"oauth2", "api_key", "basic_auth"});
      return yamlError(
          ctx, types_location,
          absl::StrCat(api_name, ": unknown security type ", quoteValue(type),
                       hint.empty() ? "" : absl::StrCat(" (did you mean '", hint, "'?)"),
                       "; known: oauth2, api_key"));
    }
  }
  if (!out.oauth2 && !out.api_key) {
    return yamlError(ctx, types_location,
                     absl::StrCat(api_name,
                                  ": lists no security type; to open the API set "
                                  "x-wso2-disable-security: true"));
  }
  return absl::OkStatus();
}

// The `security` requirement (a list of {scheme: [scopes]}): apiKey schemes
// give key locations, every other scheme gives OAuth2 scopes.
absl::Status applyRequirement(const YamlContext& ctx, const ApiSecurityContext& api,
                              const YAML::Node& security, const std::string& location,
                              OperationSecurity& out, bool& mentions_api_key) {
  if (!security.IsSequence()) {
    return yamlError(
        ctx, location,
        absl::StrCat("expected a list of security requirements, got ", yamlTypeName(security)));
  }
  for (const auto& requirement : security) {
    if (!requirement.IsMap()) {
      return yamlError(ctx, location,
                       "each security requirement must be a map of scheme: [scopes]");
    }
    for (const auto& entry : requirement) {
      const std::string scheme = entry.first.Scalar();
      auto key = api.api_key_schemes.find(scheme);
      if (key != api.api_key_schemes.end()) {
        mentions_api_key = true;
        out.api_key_locations.push_back(key->second);
        continue;
      }
      if (entry.second.IsNull()) continue;
      absl::StatusOr<std::vector<std::string>> scopes =
          yamlStringList(ctx, entry.second, joinLocation(location, scheme));
      if (!scopes.ok()) return scopes.status();
      for (const std::string& scope : *scopes) addUnique(out.scopes, scope);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<bool> strictYamlBool(const YamlContext& ctx, const YAML::Node& node,
                                    absl::string_view location) {
  if (node.IsScalar() && node.Tag() == "!") {
    return yamlError(ctx, location,
                     "expected a YAML boolean (true or false, without quotes), got a string");
  }
  return yamlBool(ctx, node, location);
}

absl::StatusOr<ApiSecurityContext> loadApiSecurityContext(const YamlContext& ctx,
                                                          const YAML::Node& root,
                                                          const std::string& api_name) {
  ApiSecurityContext out;
  out.api_name = api_name;
  GW_CONF_RETURN_IF_ERROR(loadSecuritySchemes(ctx, root, out));
  if (root["security"]) out.security = root["security"];
  if (root[kAppSecurity]) {
    GW_CONF_RETURN_IF_ERROR(
        loadApplicationSecurity(ctx, root[kAppSecurity], kAppSecurity, api_name, out.types));
    out.types_given = true;
  }
  return out;
}

absl::Status loadOperationSecurity(const YamlContext& ctx, const ApiSecurityContext& api,
                                   const YAML::Node& node, const std::string& location,
                                   Operation& op) {
  op.security = api.types;
  bool types_given = api.types_given;
  if (node.IsMap() && node["x-auth-type"]) {
    absl::StatusOr<std::string> auth_type =
        yamlString(ctx, node["x-auth-type"], joinLocation(location, "x-auth-type"));
    if (!auth_type.ok()) return auth_type.status();
    if (*auth_type == "None") op.disable_security = true;
  }
  if (node.IsMap() && node[kAppSecurity]) {
    GW_CONF_RETURN_IF_ERROR(loadApplicationSecurity(
        ctx, node[kAppSecurity], joinLocation(location, kAppSecurity), api.api_name, op.security));
    types_given = true;
  }
  const YAML::Node own = node.IsMap() ? node["security"] : YAML::Node();
  const bool use_own = own.IsDefined() && !own.IsNull();
  const YAML::Node security = use_own ? own : api.security;
  bool mentions_api_key = false;
  if (security.IsDefined() && !security.IsNull()) {
    GW_CONF_RETURN_IF_ERROR(applyRequirement(
        ctx, api, security, use_own ? joinLocation(location, "security") : std::string("security"),
        op.security, mentions_api_key));
  }
  if (!types_given && mentions_api_key) op.security.api_key = true;
  return absl::OkStatus();
}

}  // namespace gw::conf
