#pragma once

// Everything the workers share, built once at start-up and immutable after
// that (a reload would build a new Runtime and swap the shared_ptr).

#include <memory>
#include <vector>

#include "conf/config.h"
#include "gateway/http/filter.h"
#include "gateway/router/route_table.h"

namespace gw::server {

struct Runtime {
  conf::ConfigConstSharedPtr config;
  std::shared_ptr<const router::RouteTable> routes;
  // The chain, in order; the last one creates the router.
  std::vector<http::FilterFactoryCb> filter_factories;
};
using RuntimeConstSharedPtr = std::shared_ptr<const Runtime>;

}  // namespace gw::server
