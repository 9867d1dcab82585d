// Registers the "request_id" filter: parse the config once, then hand out one
// filter per request.

#include <yaml-cpp/yaml.h>

#include "filters/request_id/request_id_filter.h"
#include "gateway/common/strcat.h"
#include "gateway/http/filter_registry.h"

namespace gw::filters::request_id {
namespace {

absl::StatusOr<http::FilterFactoryCb> create(const YAML::Node& node, const http::FactoryContext&) {
  RequestIdConfig config;
  if (node.IsDefined() && !node.IsNull()) {
    if (!node.IsMap()) return absl::InvalidArgumentError("config must be a map");
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      if (key != "header") {
        return absl::InvalidArgumentError(gw::cat("unknown key '", key, "' (known: header)"));
      }
      config.header = kv.second.as<std::string>();
    }
  }
  auto shared = std::make_shared<const RequestIdConfig>(std::move(config));
  return http::FilterFactoryCb([shared] { return std::make_unique<RequestIdFilter>(shared); });
}

const http::RegisterFilter kRegister("request_id", create);

}  // namespace
}  // namespace gw::filters::request_id
