#pragma once

// Config helpers for filters: what a filter's config parser
// (filters/<name>/config.cc) uses to read its `config:` node from the chain
// file. The typed reads and the unknown-key check of conf/yaml_util.h, plus
// optional-key readers and a string map. Never throws.
//
// Errors name the key path from the filter's `config:` node
// ("config.request.add: expected a map, got a list"); buildFilterChain
// prefixes "<chain file>: filters[<i>] '<name>': ". Values are never quoted
// back (they may be secrets).
//
// Example:
//   const conf::YamlContext ctx = conf::filterConfigContext();
//   const std::string root = conf::kFilterConfigRoot;
//   if (conf::isAbsent(node)) return defaults;
//   RETURN_IF_ERROR(conf::requireMap(ctx, node, root));
//   RETURN_IF_ERROR(conf::checkYamlKeys(ctx, node, root, {"header"}));
//   RETURN_IF_ERROR(conf::readString(ctx, node, "header", root, &out.header));

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "conf/yaml_util.h"
#include "yaml-cpp/yaml.h"

namespace gw::conf {

// The location of a filter's config node in error messages.
inline constexpr char kFilterConfigRoot[] = "config";

// A context without a file name: the chain builder names the file and entry.
YamlContext filterConfigContext();

// True when `node` is undefined (key absent) or null (`key:` or `~`).
bool isAbsent(const YAML::Node& node);

// A map of string to string, in file order (e.g. headers to add).
using StringPairs = std::vector<std::pair<std::string, std::string>>;
absl::StatusOr<StringPairs> yamlStringMap(const YamlContext& ctx, const YAML::Node& node,
                                          absl::string_view location);

// Optional keys of map `parent`, at `location` + "." + `key`: an absent or
// null key leaves `*out` (the default) unchanged; a value of the wrong type is
// an error naming the key path.
absl::Status readString(const YamlContext& ctx, const YAML::Node& parent, absl::string_view key,
                        absl::string_view location, std::string* out);
absl::Status readBool(const YamlContext& ctx, const YAML::Node& parent, absl::string_view key,
                      absl::string_view location, bool* out);
absl::Status readInt(const YamlContext& ctx, const YAML::Node& parent, absl::string_view key,
                     absl::string_view location, int64_t min, int64_t max, int64_t* out);
absl::Status readStringList(const YamlContext& ctx, const YAML::Node& parent, absl::string_view key,
                            absl::string_view location, std::vector<std::string>* out);
absl::Status readStringMap(const YamlContext& ctx, const YAML::Node& parent, absl::string_view key,
                           absl::string_view location, StringPairs* out);

}  // namespace gw::conf
