#include "filters/headers/config.h"

#include "conf/filter_config.h"
#include "gateway/common/strcat.h"
#include "gateway/http/filter_registry.h"

namespace gw::filters::headers {
namespace {

// One side (`request` or `response`): {add: {name: value}, remove: [name]}.
absl::StatusOr<HeaderRules> parseRules(const conf::YamlContext& ctx, const YAML::Node& node,
                                       const std::string& where) {
  HeaderRules rules;
  if (conf::isAbsent(node)) return rules;
  if (auto s = conf::requireMap(ctx, node, where); !s.ok()) return s;
  if (auto s = conf::checkYamlKeys(ctx, node, where, {"add", "remove"}); !s.ok()) return s;
  if (auto s = conf::readStringMap(ctx, node, "add", where, &rules.add); !s.ok()) return s;
  if (auto s = conf::readStringList(ctx, node, "remove", where, &rules.remove); !s.ok()) return s;
  return rules;
}

absl::StatusOr<HeadersConfig> parseChecked(const YAML::Node& node) {
  const conf::YamlContext ctx = conf::filterConfigContext();
  const std::string root = conf::kFilterConfigRoot;
  HeadersConfig config;
  if (conf::isAbsent(node)) return config;
  if (auto s = conf::requireMap(ctx, node, root); !s.ok()) return s;
  if (auto s = conf::checkYamlKeys(ctx, node, root, {"request", "response"}); !s.ok()) return s;
  auto request = parseRules(ctx, node["request"], conf::joinLocation(root, "request"));
  if (!request.ok()) return request.status();
  auto response = parseRules(ctx, node["response"], conf::joinLocation(root, "response"));
  if (!response.ok()) return response.status();
  config.request = std::move(*request);
  config.response = std::move(*response);
  return config;
}

}  // namespace

absl::StatusOr<HeadersConfig> parseConfig(const YAML::Node& node) {
  try {
    return parseChecked(node);
  } catch (const YAML::Exception& e) {  // a bug here; e.msg never holds a value
    return absl::InvalidArgumentError(gw::cat("config: cannot be read (", e.msg, ")"));
  }
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
