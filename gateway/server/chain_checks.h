#pragma once

// The filter chain against what micro-gw.conf and the APIs ask of it: the
// built-in default chain grows the filters the configuration turns on, and a
// chain file that lacks one gets a start-up warning naming what to add.

#include "conf/config.h"
#include "gateway/router/route_table.h"

namespace gw::server {

// For the built-in default chain only (chain.file == conf::kBuiltinChainName):
// adds `analytics` first when [analytics] is enabled, and `throttle` after the
// authentication filters when an API or resource names a throttling tier or
// [throttlingConfig] enabledGlobalTMEventPublishing is true. A chain file is
// left as written.
void completeBuiltinChain(const conf::Config& config, const router::RouteTable& routes,
                          conf::FilterChainConfig& chain);

// Logs one warning for each feature the configuration uses whose filter is
// not in the chain: secured resources without an auth filter, x-wso2-cors
// without cors, [analytics] enabled without analytics, throttling tiers
// without throttle.
void warnAboutMissingFilters(const conf::Config& config, const router::RouteTable& routes,
                             const conf::FilterChainConfig& chain);

}  // namespace gw::server
