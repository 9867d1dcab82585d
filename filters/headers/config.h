#pragma once

#include <yaml-cpp/yaml.h>

#include "absl/status/statusor.h"
#include "filters/headers/headers_filter.h"

namespace gw::filters::headers {

// Parses the `headers` filter's config node. Errors name the key.
absl::StatusOr<HeadersConfig> parseConfig(const YAML::Node& node);

}  // namespace gw::filters::headers
