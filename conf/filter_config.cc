#include "conf/filter_config.h"

#include "absl/strings/str_cat.h"

namespace gw::conf {
namespace {

// Reads `parent[key]` with `read` unless it is absent or null.
template <typename T, typename Read>
absl::Status readOptional(const YamlContext& ctx, const YAML::Node& parent, absl::string_view key,
                          absl::string_view location, T* out, Read read) {
  if (!parent.IsMap()) return requireMap(ctx, parent, location);
  const YAML::Node value = parent[std::string(key)];
  if (isAbsent(value)) return absl::OkStatus();
  absl::StatusOr<T> parsed = read(value, joinLocation(location, key));
  if (!parsed.ok()) return parsed.status();
  *out = *std::move(parsed);
  return absl::OkStatus();
}

}  // namespace

YamlContext filterConfigContext() { return YamlContext{}; }

bool isAbsent(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

absl::StatusOr<StringPairs> yamlStringMap(const YamlContext& ctx, const YAML::Node& node,
                                          absl::string_view location) {
  if (!node.IsMap()) {
    return yamlError(ctx, location,
                     absl::StrCat("expected a map of name: value, got ", yamlTypeName(node)));
  }
  StringPairs pairs;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) return yamlError(ctx, location, "expected string keys");
    const std::string& key = entry.first.Scalar();
    const std::string where = isPlainKey(key) ? joinLocation(location, key) : std::string(location);
    absl::StatusOr<std::string> value = yamlString(ctx, entry.second, where);
    if (!value.ok()) return value.status();
    pairs.emplace_back(key, *std::move(value));
  }
  return pairs;
}

absl::Status readString(const YamlContext& ctx, const YAML::Node& parent, absl::string_view key,
                        absl::string_view location, std::string* out) {
  return readOptional(
      ctx, parent, key, location, out,
      [&](const YAML::Node& n, const std::string& where) { return yamlString(ctx, n, where); });
}

absl::Status readBool(const YamlContext& ctx, const YAML::Node& parent, absl::string_view key,
                      absl::string_view location, bool* out) {
  return readOptional(
      ctx, parent, key, location, out,
      [&](const YAML::Node& n, const std::string& where) { return yamlBool(ctx, n, where); });
}

absl::Status readInt(const YamlContext& ctx, const YAML::Node& parent, absl::string_view key,
                     absl::string_view location, int64_t min, int64_t max, int64_t* out) {
  return readOptional(ctx, parent, key, location, out,
                      [&](const YAML::Node& n, const std::string& where) {
                        return yamlInt(ctx, n, where, min, max);
                      });
}

absl::Status readStringList(const YamlContext& ctx, const YAML::Node& parent, absl::string_view key,
                            absl::string_view location, std::vector<std::string>* out) {
  return readOptional(
      ctx, parent, key, location, out,
      [&](const YAML::Node& n, const std::string& where) { return yamlStringList(ctx, n, where); });
}

absl::Status readStringMap(const YamlContext& ctx, const YAML::Node& parent, absl::string_view key,
                           absl::string_view location, StringPairs* out) {
  return readOptional(
      ctx, parent, key, location, out,
      [&](const YAML::Node& n, const std::string& where) { return yamlStringMap(ctx, n, where); });
}

}  // namespace gw::conf
