#pragma once

// Throttling policies as WSO2 API Microgateway keeps them, in a policies.yaml
// beside micro-gw.conf:
//
//   resourcePolicies:            # API- and resource-level tiers
//     - 50kPerMin: {count: 50000, unitTime: 1, timeUnit: min}
//   applicationPolicies:         # application.tier of the token
//     - 50PerMin: {count: 50, unitTime: 1, timeUnit: min}
//   subscriptionPolicies:        # the subscription's tier
//     - Gold: {count: 5000, unitTime: 1, timeUnit: min, stopOnQuotaReach: true}
//
// timeUnit: sec, min, hour, day, week, month (30 days), year (365 days), also
// spelled out or plural. `Unlimited` is built in and never throttles.
// Immutable after loading; shared read-only by every worker.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gw::filters::throttle {

struct Policy {
  std::string name;
  int64_t count = 0;                // requests allowed per window
  int64_t window_ms = 60000;        // unitTime x timeUnit
  bool stop_on_quota_reach = true;  // false: over the quota is let through (WSO2)
};

inline constexpr char kUnlimited[] = "Unlimited";
// The subscription tier of a caller on an open resource.
inline constexpr char kUnauthenticatedTier[] = "Unauthenticated";

class PolicySet {
 public:
  enum class Level { Resource, Application, Subscription };

  // The policy `name` of `level`; nullptr for Unlimited and for unknown names
  // (known() tells them apart).
  const Policy* find(Level level, std::string_view name) const;
  bool known(Level level, std::string_view name) const;
  size_t size(Level level) const { return map(level).size(); }

  // Parses policies.yaml text; errors name `file` and the entry.
  static absl::StatusOr<PolicySet> parse(std::string_view yaml, const std::string& file);
  static absl::StatusOr<PolicySet> load(const std::string& path);
  // WSO2's shipped defaults (the same as conf/policies.yaml).
  static const PolicySet& wso2Defaults();

 private:
  const std::map<std::string, Policy, std::less<>>& map(Level level) const {
    return level == Level::Resource      ? resource_
           : level == Level::Application ? application_
                                         : subscription_;
  }
  std::map<std::string, Policy, std::less<>>& map(Level level) {
    return level == Level::Resource      ? resource_
           : level == Level::Application ? application_
                                         : subscription_;
  }

  std::map<std::string, Policy, std::less<>> resource_;
  std::map<std::string, Policy, std::less<>> application_;
  std::map<std::string, Policy, std::less<>> subscription_;
};

}  // namespace gw::filters::throttle
