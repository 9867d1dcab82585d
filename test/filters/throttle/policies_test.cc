// policies.yaml parsing and WSO2's shipped defaults.

#include "filters/throttle/policies.h"

#include <gtest/gtest.h>

#include <string>

namespace gw::filters::throttle {
namespace {

using Level = PolicySet::Level;

TEST(PoliciesTest, ShippedFileHoldsWso2Defaults) {
  absl::StatusOr<PolicySet> shipped = PolicySet::load("conf/policies.yaml");
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  const PolicySet& builtin = PolicySet::wso2Defaults();
  const struct {
    Level level;
    const char* name;
    int64_t count;
  } kCases[] = {
      {Level::Resource, "50kPerMin", 50000}, {Level::Resource, "20kPerMin", 20000},
      {Level::Resource, "10kPerMin", 10000}, {Level::Application, "50PerMin", 50},
      {Level::Application, "20PerMin", 20},  {Level::Application, "10PerMin", 10},
      {Level::Subscription, "Gold", 5000},   {Level::Subscription, "Silver", 2000},
      {Level::Subscription, "Bronze", 10},   {Level::Subscription, "Unauthenticated", 500},
      {Level::Subscription, "Default", 500}};
  for (const auto& c : kCases) {
    for (const PolicySet* set : {static_cast<const PolicySet*>(&*shipped), &builtin}) {
      const Policy* p = set->find(c.level, c.name);
      ASSERT_NE(p, nullptr) << c.name;
      EXPECT_EQ(p->count, c.count) << c.name;
      EXPECT_EQ(p->window_ms, 60000) << c.name;
      EXPECT_TRUE(p->stop_on_quota_reach) << c.name;
    }
  }
  EXPECT_EQ(shipped->size(Level::Subscription), 5u);
}

TEST(PoliciesTest, UnlimitedIsBuiltInAndNeverAPolicy) {
  const PolicySet& set = PolicySet::wso2Defaults();
  EXPECT_TRUE(set.known(Level::Resource, "Unlimited"));
  EXPECT_EQ(set.find(Level::Resource, "Unlimited"), nullptr);
  EXPECT_FALSE(set.known(Level::Resource, "Gold"));  // a subscription policy only
}

TEST(PoliciesTest, UnitsAndStopOnQuotaReach) {
  absl::StatusOr<PolicySet> set = PolicySet::parse(R"(
subscriptionPolicies:
  - Free: {count: 3, unitTime: 10, timeUnit: sec, stopOnQuotaReach: false}
resourcePolicies:
  - Hourly: {count: 7, unitTime: 2, timeUnit: hours}
  - Daily: {count: 1, unitTime: 1, timeUnit: day}
)",
                                                   "p.yaml");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->find(Level::Subscription, "Free")->window_ms, 10000);
  EXPECT_FALSE(set->find(Level::Subscription, "Free")->stop_on_quota_reach);
  EXPECT_EQ(set->find(Level::Resource, "Hourly")->window_ms, 2 * 3600 * 1000);
  EXPECT_EQ(set->find(Level::Resource, "Daily")->window_ms, 24 * 3600 * 1000);
}

TEST(PoliciesTest, ErrorsNameTheFileAndEntry) {
  const struct {
    const char* yaml;
    const char* expect;
  } kCases[] = {
      {"resourcePolicies:\n  - X: {count: 1, unitTime: 1, timeUnit: fortnight}\n",
       "p.yaml: 'resourcePolicies[0]' X: timeUnit 'fortnight'"},
      {"resourcePolicies:\n  - X: {count: 1, unitTime: 1}\n", "count, unitTime and timeUnit"},
      {"resourcePolicies:\n  - X: {count: 1, unitTime: 1, timeUnit: min, cuont: 2}\n",
       "unknown key 'cuont'"},
      {"resourcePolicy: []\n", "unknown key 'resourcePolicy'"},
      {"resourcePolicies:\n  - X: {count: 1, unitTime: 1, timeUnit: min}\n"
       "  - X: {count: 2, unitTime: 1, timeUnit: min}\n",
       "'X' is defined twice"},
      {"resourcePolicies:\n  - Unlimited: {count: 1, unitTime: 1, timeUnit: min}\n", "built in"},
      {"resourcePolicies:\n  - X: {count: many, unitTime: 1, timeUnit: min}\n", "line 2"},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<PolicySet> set = PolicySet::parse(c.yaml, "p.yaml");
    ASSERT_FALSE(set.ok()) << c.yaml;
    EXPECT_NE(std::string(set.status().message()).find(c.expect), std::string::npos)
        << set.status();
  }
}

}  // namespace
}  // namespace gw::filters::throttle
