// loadFilterChain / loadFilterChainFromString: conf/filters.yaml -> FilterChainConfig.

#include <utility>

#include "absl/strings/str_cat.h"
#include "conf/loader.h"
#include "conf/status_macros.h"
#include "conf/yaml_util.h"

namespace gw::conf {
namespace {

// The chain used when micro-gw.conf names none and no filters.yaml lies beside
// it; conf/filters.yaml holds the same (a test keeps them equal).
constexpr char kBuiltinChainYaml[] = R"(filters:
  - name: request_id
  - name: headers
    config:
      request:
        add:
          X-Gateway: microgw
        remove: []
      response:
        add: {}
        remove:
          - Server
  - name: cors
  - name: jwt_authn
  - name: oauth2_introspection
  - name: api_key
  - name: router
)";

absl::StatusOr<FilterEntry> loadEntry(const YamlContext& ctx, const YAML::Node& node, int index) {
  const std::string location = absl::StrCat("filters[", index, "]");
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, node, location));
  GW_CONF_RETURN_IF_ERROR(checkYamlKeys(ctx, node, location, {"name", "config"}));
  FilterEntry entry;
  entry.index = index;
  if (!node["name"]) return yamlError(ctx, location, "missing 'name'");
  absl::StatusOr<std::string> name = yamlString(ctx, node["name"], location + ".name");
  if (!name.ok()) return name.status();
  if (name->empty()) return yamlError(ctx, location + ".name", "must not be empty");
  entry.name = *std::move(name);
  const YAML::Node config = node["config"];
  if (config && !config.IsNull()) {
    YAML::Emitter out;
    out << config;
    if (!out.good()) {
      return yamlError(ctx, location + ".config",
                       absl::StrCat("cannot re-emit as YAML: ", out.GetLastError()));
    }
    entry.config_yaml = out.c_str();
  }
  return entry;
}

absl::Status loadChain(const YamlContext& ctx, const YAML::Node& root, FilterChainConfig& chain) {
  if (!root.IsMap()) {
    return yamlError(
        ctx, "", absl::StrCat("expected a map with a 'filters' list, got ", yamlTypeName(root)));
  }
  GW_CONF_RETURN_IF_ERROR(checkYamlKeys(ctx, root, "", {"filters"}));
  const YAML::Node filters = root["filters"];
  if (!filters) return yamlError(ctx, "", "missing 'filters' list");
  if (!filters.IsSequence()) {
    return yamlError(ctx, "filters", absl::StrCat("expected a list, got ", yamlTypeName(filters)));
  }
  for (size_t i = 0; i < filters.size(); ++i) {
    absl::StatusOr<FilterEntry> entry = loadEntry(ctx, filters[i], static_cast<int>(i));
    if (!entry.ok()) return entry.status();
    chain.filters.push_back(*std::move(entry));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FilterChainConfig> loadFilterChainFromString(std::string_view yaml,
                                                            std::string file_name) {
  YamlContext ctx{file_name, nullptr, ""};
  absl::StatusOr<YAML::Node> root = parseYaml(std::string(yaml), file_name);
  if (!root.ok()) return root.status();
  FilterChainConfig chain;
  chain.file = std::move(file_name);
  try {
    GW_CONF_RETURN_IF_ERROR(loadChain(ctx, *root, chain));
  } catch (const std::exception& e) {  // yaml-cpp throws on misuse; never let it escape
    return absl::InternalError(absl::StrCat(ctx.file, ": ", e.what()));
  }
  return chain;
}

absl::StatusOr<FilterChainConfig> loadFilterChain(const std::string& path) {
  if (path.empty()) return loadFilterChainFromString(kBuiltinChainYaml, kBuiltinChainName);
  absl::StatusOr<std::string> text = readTextFile(path);
  if (!text.ok()) return text.status();
  return loadFilterChainFromString(*text, path);
}

}  // namespace gw::conf
