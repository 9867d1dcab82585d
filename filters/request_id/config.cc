// Registers the "request_id" filter: parse the config once, then hand out one
// filter per request.

#include <yaml-cpp/yaml.h>

#include "conf/filter_config.h"
#include "filters/request_id/request_id_filter.h"
#include "gateway/common/strcat.h"
#include "gateway/http/filter_registry.h"

namespace gw::filters::request_id {
namespace {

absl::StatusOr<RequestIdConfig> parseChecked(const YAML::Node& node) {
  const conf::YamlContext ctx = conf::filterConfigContext();
  const std::string root = conf::kFilterConfigRoot;
  RequestIdConfig config;
  if (conf::isAbsent(node)) return config;
  if (auto s = conf::requireMap(ctx, node, root); !s.ok()) return s;
  if (auto s = conf::checkYamlKeys(ctx, node, root, {"header"}); !s.ok()) return s;
  if (auto s = conf::readString(ctx, node, "header", root, &config.header); !s.ok()) return s;
  if (config.header.empty()) {
    return conf::yamlError(ctx, conf::joinLocation(root, "header"),
                           "must name a header (or leave the key out for X-Request-Id)");
  }
  return config;
}

absl::StatusOr<http::FilterFactoryCb> create(const YAML::Node& node, const http::FactoryContext&) {
  absl::StatusOr<RequestIdConfig> config;
  try {
    config = parseChecked(node);
  } catch (const YAML::Exception& e) {  // a bug here; e.msg never holds a value
    return absl::InvalidArgumentError(gw::cat("config: cannot be read (", e.msg, ")"));
  }
  if (!config.ok()) return config.status();
  auto shared = std::make_shared<const RequestIdConfig>(*std::move(config));
  return http::FilterFactoryCb([shared] { return std::make_unique<RequestIdFilter>(shared); });
}

const http::RegisterFilter kRegister("request_id", create);

}  // namespace
}  // namespace gw::filters::request_id
