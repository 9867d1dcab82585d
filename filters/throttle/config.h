#pragma once

// The throttle filter's configuration: built once per Runtime from
// micro-gw.conf [throttlingConfig], the policies file and the API
// definitions, then shared read-only by every worker (the counters, the
// blocked-key list and the traffic-manager client are thread-safe). The
// filter's own `config:` in the chain file takes no keys.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "conf/config.h"
#include "filters/throttle/blocked_keys.h"
#include "filters/throttle/policies.h"
#include "filters/throttle/throttle_event.h"
#include "filters/throttle/tm_client.h"
#include "filters/throttle/window_counter.h"
#include "gateway/stats/stats.h"

namespace gw::router {
class RouteTable;
}

namespace gw::filters::throttle {

// Which limit refused a request; the WSO2 error code follows from it.
enum class Level { Api, Resource, Subscription, Application };
inline constexpr int kLevelCount = 4;

// What one OpenAPI operation needs at request time, computed at start-up.
struct OperationPlan {
  std::string api_name;
  std::string api_context;  // x-wso2-basePath
  std::string api_version;
  std::string api_key;       // "<context>:<version>"
  std::string resource_key;  // "<context>/<version><template>:<METHOD>"
  size_t api_key_hash = 0;   // WindowCounters::hashOf(api_key)
  size_t resource_key_hash = 0;
  std::string sub_key_suffix;  // ":<context>:<version>", after the app id in the subscription key
  std::string api_tier;        // "" when the API has none
  std::string resource_tier;
  // The API's policy when it has a tier, else the resource's; null = none or Unlimited.
  const Policy* policy = nullptr;
  Level level = Level::Resource;  // Api when `policy` is the API's
  // The event fields of this operation, formatted once. With an API tier WSO2
  // reports the API's key and tier as the resource's.
  EventApiFields event;
};

struct ThrottleConfig {
  PolicySet policies;
  std::unordered_map<const conf::Operation*, OperationPlan> plans;
  std::function<int64_t()> now_ms;  // wall clock, epoch ms; a seam for tests
  std::unique_ptr<WindowCounters> counters = std::make_unique<WindowCounters>();
  std::shared_ptr<BlockedKeys> blocked = std::make_shared<BlockedKeys>();
  std::unique_ptr<TrafficManagerClient> tm;     // null unless enabledGlobalTMEventPublishing
  stats::Counter* throttled[kLevelCount] = {};  // microgw_throttled_requests_total{level}
  stats::Counter* blocked_hits = nullptr;       // {level="blocked"}
  // The subscription policy of a caller on an open resource (tier
  // Unauthenticated), looked up once; null when there is none.
  const Policy* unauthenticated_policy = nullptr;

  const OperationPlan* plan(const conf::Operation* op) const {
    auto it = plans.find(op);
    return it == plans.end() ? nullptr : &it->second;
  }
};

// Policies from config.throttling.policies_file (or WSO2's defaults), a plan
// per operation of `routes`. Fails when an API or resource names a tier that
// is not a resource policy (the message names the API and its file). Starts
// the traffic-manager client when `start_tm` and publishing is enabled.
absl::StatusOr<std::shared_ptr<const ThrottleConfig>> buildConfig(
    const conf::Config& config, const router::RouteTable* routes, stats::Store& stats,
    std::function<int64_t()> now_ms = nullptr, bool start_tm = true);

}  // namespace gw::filters::throttle
