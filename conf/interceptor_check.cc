#include "conf/interceptor_check.h"

#include "absl/strings/str_cat.h"

namespace gw::conf {

absl::Status refuseInterceptors(const YamlContext& ctx, const YAML::Node& node,
                                const std::string& location, const std::string& api_title,
                                const std::string& resource) {
  if (!node.IsMap()) return absl::OkStatus();
  struct Interceptor {
    const char* key;
    const char* kind;
    const char* filter_method;
  };
  static const Interceptor kInterceptors[] = {
      {"x-wso2-request-interceptor", "request", "decodeHeaders"},
      {"x-wso2-response-interceptor", "response", "encodeHeaders"}};
  for (const Interceptor& i : kInterceptors) {
    if (!node[i.key]) continue;
    return yamlError(
        ctx, joinLocation(location, i.key),
        absl::StrCat("API '", api_title, "', ", resource, ": microgw cannot run WSO2 ", i.kind,
                     " interceptors (Ballerina or Java code); write the same logic as a filter "
                     "(its ",
                     i.filter_method,
                     " method; see \"Interceptors\" in the README), add it to the filter chain, "
                     "and remove ",
                     i.key, " from the definition"));
  }
  return absl::OkStatus();
}

}  // namespace gw::conf
