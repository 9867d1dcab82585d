#include "filters/headers/config.h"

#include "conf/suggest.h"
#include "gateway/common/strcat.h"
#include "gateway/http/filter_registry.h"

namespace gw::filters::headers {
namespace {

absl::Status checkKeys(const YAML::Node& node, const std::string& where,
                       const std::vector<std::string>& known) {
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string hint = conf::closestMatch(key, known);
    return absl::InvalidArgumentError(gw::cat("unknown key '", where, key, "'",
                                              hint.empty() ? "" : gw::cat(" (did you mean '", hint, "'?)")));
  }
  return absl::OkStatus();
}

absl::StatusOr<HeaderRules> parseRules(const YAML::Node& node, const std::string& where) {
  HeaderRules rules;
  if (!node.IsDefined() || node.IsNull()) return rules;
  if (!node.IsMap()) return absl::InvalidArgumentError(gw::cat("'", where, "' must be a map"));
  if (auto s = checkKeys(node, where + ".", {"add", "remove"}); !s.ok()) return s;
  if (const YAML::Node add = node["add"]; add && !add.IsNull()) {
    if (!add.IsMap()) return absl::InvalidArgumentError(gw::cat("'", where, ".add' must be a map of header: value"));
    for (const auto& kv : add) {
      std::string name = kv.first.as<std::string>();
      if (!kv.second.IsScalar()) {
        return absl::InvalidArgumentError(gw::cat("'", where, ".add.", name, "' must be a string"));
      }
      rules.add.emplace_back(name, kv.second.as<std::string>());
    }
  }
  if (const YAML::Node remove = node["remove"]; remove && !remove.IsNull()) {
    if (!remove.IsSequence()) return absl::InvalidArgumentError(gw::cat("'", where, ".remove' must be a list of header names"));
    for (const auto& n : remove) {
      if (!n.IsScalar()) {
        return absl::InvalidArgumentError(gw::cat("'", where, ".remove' entries must be header names"));
      }
      rules.remove.push_back(n.as<std::string>());
    }
  }
  return rules;
}

}  // namespace

absl::StatusOr<HeadersConfig> parseConfig(const YAML::Node& node) {
  HeadersConfig config;
  if (!node.IsDefined() || node.IsNull()) return config;
  try {
    if (!node.IsMap()) return absl::InvalidArgumentError("config must be a map with `request` and/or `response`");
    if (auto s = checkKeys(node, "", {"request", "response"}); !s.ok()) return s;
    auto request = parseRules(node["request"], "request");
    if (!request.ok()) return request.status();
    auto response = parseRules(node["response"], "response");
    if (!response.ok()) return response.status();
    config.request = std::move(*request);
    config.response = std::move(*response);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(gw::cat("invalid config: ", e.what()));
  }
  return config;
}

namespace {

absl::StatusOr<http::FilterFactoryCb> create(const YAML::Node& node, const http::FactoryContext&) {
  auto parsed = parseConfig(node);
  if (!parsed.ok()) return parsed.status();
  auto shared = std::make_shared<const HeadersConfig>(std::move(*parsed));
  return http::FilterFactoryCb([shared] { return std::make_unique<HeadersFilter>(shared); });
}

const http::RegisterFilter kRegister("headers", create);

}  // namespace
}  // namespace gw::filters::headers
