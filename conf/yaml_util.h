#pragma once

// Typed, validated reads from yaml-cpp nodes for the API and filter-chain
// loaders; filters reach it through conf/filter_config.h. Never throws; every
// error reads "<file>: <location>: <what was expected>" ("<location>: ..." when
// YamlContext::file is empty, as for a filter's config). String values are
// never quoted back in type errors (they may be passwords).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "conf/loader.h"
#include "yaml-cpp/yaml.h"

namespace gw::conf {

// What every YAML read needs to know about the file being loaded.
struct YamlContext {
  std::string file;                  // for messages
  const Environment* env = nullptr;  // for passwordEnv; must outlive the load
  std::string base_dir;              // for relative passwordFile paths
  // Where loaders add start-up warnings (accepted but ignored keys); null = dropped.
  std::vector<std::string>* warnings = nullptr;
  std::string api;  // "API 'Pets'" once known, for messages that name it
};

// "a.b" from ("a", "b"); "b" from ("", "b").
std::string joinLocation(absl::string_view location, absl::string_view key);

absl::Status yamlError(const YamlContext& ctx, absl::string_view location, absl::string_view what);

// "a map", "a list", "a scalar", "null".
std::string yamlTypeName(const YAML::Node& node);

// A scalar value quoted for an error message ('value'), or, when it is long or
// holds blanks or line breaks (e.g. an unclosed quote swallowed the rest of the
// file, secrets included), only a description of it. Never echoes more than
// one short token of input.
std::string quoteValue(absl::string_view value);

absl::StatusOr<std::string> yamlString(const YamlContext& ctx, const YAML::Node& node,
                                       absl::string_view location);
absl::StatusOr<bool> yamlBool(const YamlContext& ctx, const YAML::Node& node,
                              absl::string_view location);
absl::StatusOr<int64_t> yamlInt(const YamlContext& ctx, const YAML::Node& node,
                                absl::string_view location, int64_t min, int64_t max);
absl::StatusOr<std::vector<std::string>> yamlStringList(const YamlContext& ctx,
                                                        const YAML::Node& node,
                                                        absl::string_view location);

// Fails unless `node` is a map.
absl::Status requireMap(const YamlContext& ctx, const YAML::Node& node, absl::string_view location);

// True for a key that may be quoted in a message: at most 64 characters, no
// blanks, ':', '=', quotes or control characters. Others look like a key with
// its value glued on (`password:S3cr3t`) and may hold a password.
bool isPlainKey(absl::string_view key);

// Fails on a key of map `node` that is not in `known`, with a "did you mean"
// hint. A key that is not plain is never echoed.
absl::Status checkYamlKeys(const YamlContext& ctx, const YAML::Node& node,
                           absl::string_view location, const std::vector<std::string>& known);

// Parses YAML text; a syntax error names the file, line and column.
absl::StatusOr<YAML::Node> parseYaml(const std::string& text, const std::string& file);

// Reads a whole file.
absl::StatusOr<std::string> readTextFile(const std::string& path);

}  // namespace gw::conf
