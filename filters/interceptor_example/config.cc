// Registers "interceptor_example" (an example; not linked into microgw).

#include <yaml-cpp/yaml.h>

#include "conf/filter_config.h"
#include "filters/interceptor_example/interceptor_example_filter.h"
#include "gateway/http/filter_registry.h"

namespace gw::filters::interceptor_example {
namespace {

absl::StatusOr<http::FilterFactoryCb> create(const YAML::Node& node, const http::FactoryContext&) {
  const conf::YamlContext ctx = conf::filterConfigContext();
  const std::string root = conf::kFilterConfigRoot;
  auto config = std::make_shared<InterceptorExampleConfig>();
  if (!conf::isAbsent(node)) {
    if (auto s = conf::requireMap(ctx, node, root); !s.ok()) return s;
    if (auto s = conf::checkYamlKeys(ctx, node, root, {"header"}); !s.ok()) return s;
    if (auto s = conf::readString(ctx, node, "header", root, &config->header); !s.ok()) return s;
  }
  std::shared_ptr<const InterceptorExampleConfig> shared = std::move(config);
  return http::FilterFactoryCb(
      [shared] { return std::make_unique<InterceptorExampleFilter>(shared); });
}

const http::RegisterFilter kRegister("interceptor_example", create);

}  // namespace
}  // namespace gw::filters::interceptor_example
