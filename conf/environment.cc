#include "conf/environment.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "conf/loader.h"

namespace gw::conf {

Environment Environment::system() {
  return Environment{[](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  }};
}

Environment Environment::fromMap(std::map<std::string, std::string> variables) {
  return Environment{
      [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
        auto it = variables.find(name);
        if (it == variables.end()) return std::nullopt;
        return it->second;
      }};
}

}  // namespace gw::conf

namespace gw::conf {

absl::StatusOr<std::string> expandVariables(std::string_view value, const Environment& env) {
  std::string out;
  size_t at = 0;
  while (at < value.size()) {
    const size_t open = value.find("${", at);
    if (open == std::string_view::npos) break;
    out.append(value.substr(at, open - at));
    const size_t close = value.find('}', open + 2);
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError("has a '${' without its closing '}'");
    }
    const std::string name(value.substr(open + 2, close - open - 2));
    std::optional<std::string> replacement;
    if (name == kRuntimeHomeVariable) {
      replacement = env.runtime_home;
      if (!replacement) {
        return absl::InvalidArgumentError(
            "uses ${mgw-runtime.home}, which is not defined: start microgw with --runtime-home "
            "DIR (the directory WSO2's runtime/ folder is in)");
      }
    } else {
      if (env.get_env) replacement = env.get_env(name);
      if (!replacement) {
        return absl::InvalidArgumentError(
            absl::StrCat("uses ${", name, "}, which is not set in the environment"));
      }
    }
    out.append(*replacement);
    at = close + 1;
  }
  out.append(value.substr(std::min(at, value.size())));
  return out;
}

}  // namespace gw::conf
