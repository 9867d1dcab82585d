#include <cstdlib>
#include <utility>

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
