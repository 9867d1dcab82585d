#include "conf/endpoint_refs.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "conf/endpoint_loader.h"
#include "conf/status_macros.h"
#include "conf/suggest.h"

namespace gw::conf {
namespace {

constexpr const char* kTable = "x-wso2-endpoints";

absl::Status addEntries(const YamlContext& ctx, const YAML::Node& map, const std::string& location,
                        EndpointTable& table) {
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, map, location));
  for (const auto& entry : map) {
    if (!entry.first.IsScalar() || !isPlainKey(entry.first.Scalar()) ||
        entry.first.Scalar().empty()) {
      return yamlError(ctx, location,
                       "each entry must be 'name: {urls: [...]}' with a plain name (no blanks "
                       "or ':')");
    }
    const std::string& name = entry.first.Scalar();
    const std::string entry_location = joinLocation(location, name);
    absl::StatusOr<EndpointConfig> endpoint = loadEndpoint(ctx, entry.second, entry_location);
    if (!endpoint.ok()) return endpoint.status();
    endpoint->reference = absl::StrCat(kEndpointRefPrefix, name);
    if (!table.emplace(name, *std::move(endpoint)).second) {
      return yamlError(ctx, entry_location,
                       absl::StrCat("endpoint '", name, "' is defined twice in ", kTable));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EndpointTable> loadEndpointTable(const YamlContext& ctx, const YAML::Node& root) {
  EndpointTable table;
  const YAML::Node node = root[kTable];
  if (!node || node.IsNull()) return table;
  if (node.IsMap()) {
    GW_CONF_RETURN_IF_ERROR(addEntries(ctx, node, kTable, table));
    return table;
  }
  if (!node.IsSequence()) {
    return yamlError(
        ctx, kTable,
        absl::StrCat("expected a list of 'name: {urls: [...]}' entries, got ", yamlTypeName(node)));
  }
  for (size_t i = 0; i < node.size(); ++i) {
    GW_CONF_RETURN_IF_ERROR(addEntries(ctx, node[i], absl::StrCat(kTable, "[", i, "]"), table));
  }
  return table;
}

absl::StatusOr<EndpointConfig> loadEndpointOrReference(const YamlContext& ctx,
                                                       const YAML::Node& node,
                                                       const std::string& location,
                                                       const EndpointTable& table) {
  if (!node.IsScalar()) return loadEndpoint(ctx, node, location);
  const std::string& ref = node.Scalar();
  if (!absl::StartsWith(ref, kEndpointRefPrefix)) {
    return yamlError(ctx, location,
                     absl::StrCat("expected an endpoint map {urls: [...]} or a reference '",
                                  kEndpointRefPrefix, "<name>', got ", quoteValue(ref)));
  }
  const std::string name = ref.substr(sizeof(kEndpointRefPrefix) - 1);
  auto it = table.find(name);
  if (it != table.end()) return it->second;
  std::vector<std::string> names;
  for (const auto& [n, unused] : table) names.push_back(n);
  std::string message = absl::StrCat(quoteValue(ref), " names no entry of ", kTable);
  if (names.empty()) {
    absl::StrAppend(&message, " (the definition has no top-level ", kTable, " list)");
  } else if (std::string hint = closestMatch(name, names); !hint.empty()) {
    absl::StrAppend(&message, " (did you mean '", kEndpointRefPrefix, hint, "'?)");
  }
  return yamlError(ctx, location, message);
}

}  // namespace gw::conf
