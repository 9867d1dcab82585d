// The throttle filter with a fake clock: tier resolution, WSO2 keys and
// codes, Retry-After, the caller from the identity or the client IP, and
// blocked keys from the traffic manager.

#include "filters/throttle/throttle_filter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "conf/loader.h"
#include "gateway/router/route_table.h"
#include "gateway/stats/stats.h"
#include "test/mocks/fake_clock.h"
#include "test/mocks/filter_callbacks.h"

namespace gw::filters::throttle {
namespace {

constexpr char kPolicies[] = R"(
resourcePolicies:
  - Three: {count: 3, unitTime: 1, timeUnit: min}
  - Two: {count: 2, unitTime: 10, timeUnit: sec}
applicationPolicies:
  - AppTwo: {count: 2, unitTime: 1, timeUnit: min}
subscriptionPolicies:
  - SubTwo: {count: 2, unitTime: 1, timeUnit: min}
  - Soft: {count: 1, unitTime: 1, timeUnit: min, stopOnQuotaReach: false}
  - Unauthenticated: {count: 2, unitTime: 1, timeUnit: min}
  - Default: {count: 1000, unitTime: 1, timeUnit: min}
)";

conf::ApiDefinition api(const std::string& yaml) {
  absl::StatusOr<conf::ApiDefinition> a = conf::loadApiFromString(yaml, "api.yaml");
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *a : conf::ApiDefinition();
}

// /pets (API tier Three; its resource tier is ignored), /shop (resource tiers,
// both spellings), /auth (secured, no tiers).
std::vector<conf::ApiDefinition> apis() {
  std::vector<conf::ApiDefinition> out;
  out.push_back(api(R"(
openapi: 3.0.0
info: {title: Pets, version: 1.0.0}
x-wso2-basePath: /pets/v1
x-wso2-production-endpoints: {urls: ["http://127.0.0.1:1/"]}
x-wso2-disable-security: true
x-throttling-tier: Three
paths:
  /a:
    get: {x-throttling-tier: Two}
)"));
  out.push_back(api(R"(
openapi: 3.0.0
info: {title: Shop, version: "2"}
x-wso2-basePath: /shop
x-wso2-production-endpoints: {urls: ["http://127.0.0.1:1/"]}
x-wso2-disable-security: true
paths:
  /items/{id}:
    get: {x-wso2-throttling-tier: Three, x-throttling-tier: Two}
    post: {x-wso2-throttling-tier: Unlimited}
)"));
  out.push_back(api(R"(
openapi: 3.0.0
info: {title: Auth, version: v1}
x-wso2-basePath: /auth
x-wso2-production-endpoints: {urls: ["http://127.0.0.1:1/"]}
paths:
  /x:
    get: {}
)"));
  return out;
}

class ThrottleFilterTest : public ::testing::Test {
 protected:
  ThrottleFilterTest() {
    const char* tmp = std::getenv("TEST_TMPDIR");
    conf_.throttling.policies_file = std::string(tmp != nullptr ? tmp : "/tmp") + "/policies.yaml";
    std::ofstream(conf_.throttling.policies_file) << kPolicies;
    routes_ = *router::RouteTable::build(apis());
    auto built = buildConfig(conf_, routes_.get(), stats_, nowMs(), /*start_tm=*/false);
    EXPECT_TRUE(built.ok()) << built.status();
    config_ = *built;
  }

  std::function<int64_t()> nowMs() const {
    return [steady = clock_.steadyFn()] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(steady().time_since_epoch())
          .count();
    };
  }

  // One request; returns the reply status (200 = passed on).
  int send(const std::string& method, const std::string& path, const std::string& ip = "10.0.0.1",
           const http::AuthIdentity* identity = nullptr) {
    match_ = routes_->match(method, path);
    test::FakeDecoderFilterCallbacks cb;
    cb.route_ = &match_;
    cb.address_ = ip;
    if (identity != nullptr) {
      cb.setAuthenticated("jwt_authn");
      cb.setIdentity(*identity);
    }
    ThrottleFilter filter(config_);
    filter.setDecoderFilterCallbacks(cb);
    http::RequestHeaders headers;
    headers.method = method;
    headers.path = path;
    const http::FilterStatus s = filter.decodeHeaders(headers, true);
    if (cb.replies.empty()) {
      EXPECT_EQ(s, http::FilterStatus::Continue);
      return 200;
    }
    EXPECT_EQ(s, http::FilterStatus::StopIteration);
    last_ = cb.replies.back();
    return last_.status;
  }

  conf::Config conf_;
  stats::Store stats_;
  test::FakeClock clock_;
  std::shared_ptr<const router::RouteTable> routes_;
  std::shared_ptr<const ThrottleConfig> config_;
  router::RouteMatch match_;
  http::LocalReply last_;
};

TEST_F(ThrottleFilterTest, ApiTierBeatsResourceTierAndAnswersWso2Code) {
  const OperationPlan* plan = config_->plan(routes_->match("GET", "/pets/v1/a").operation);
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->api_key, "/pets/v1:1.0.0");
  EXPECT_EQ(plan->resource_key, "/pets/v1/1.0.0/a:GET");
  EXPECT_EQ(plan->level, Level::Api);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(send("GET", "/pets/v1/a", "10.0.0." + std::to_string(i)), 200);
  EXPECT_EQ(send("GET", "/pets/v1/a", "10.0.0.9"), 429);  // API-wide: any caller
  EXPECT_EQ(last_.code, "900800");
  EXPECT_EQ(last_.message, "Message throttled out");
  EXPECT_EQ(last_.description, "You have exceeded your quota");
  ASSERT_NE(last_.headers.get("Retry-After"), nullptr);
  EXPECT_EQ(*last_.headers.get("Retry-After"), "60");
  clock_.advance(std::chrono::seconds(45));
  EXPECT_EQ(send("GET", "/pets/v1/a", "10.0.0.9"), 429);
  EXPECT_EQ(*last_.headers.get("Retry-After"), "15");
  clock_.advance(std::chrono::seconds(15));
  EXPECT_EQ(send("GET", "/pets/v1/a", "10.0.0.9"), 200);  // a new window
}

TEST_F(ThrottleFilterTest, ResourceTierXThrottlingTierBeatsXWso2) {
  const OperationPlan* plan = config_->plan(routes_->match("GET", "/shop/items/1").operation);
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->resource_tier, "Two");
  EXPECT_EQ(plan->resource_key, "/shop/2/items/{id}:GET");
  EXPECT_EQ(send("GET", "/shop/items/1", "10.1.0.1"), 200);
  EXPECT_EQ(send("GET", "/shop/items/2", "10.1.0.2"), 200);  // one key for the template
  EXPECT_EQ(send("GET", "/shop/items/3", "10.1.0.3"), 429);
  EXPECT_EQ(last_.code, "900802");
  EXPECT_EQ(*last_.headers.get("Retry-After"), "10");
}

TEST_F(ThrottleFilterTest, UnlimitedNeverThrottles) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(send("POST", "/shop/items/1", "10.2.0." + std::to_string(i % 200)), 200);
  }
}

TEST_F(ThrottleFilterTest, OpenResourceCountsPerClientIpAsUnauthenticated) {
  // POST /shop/items is Unlimited at the resource; Unauthenticated (2/min) per IP applies.
  EXPECT_EQ(send("POST", "/shop/items/1", "10.3.0.1"), 200);
  EXPECT_EQ(send("POST", "/shop/items/1", "10.3.0.1"), 200);
  EXPECT_EQ(send("POST", "/shop/items/1", "10.3.0.2"), 200);
  EXPECT_EQ(send("POST", "/shop/items/1", "10.3.0.1"), 429);
  EXPECT_EQ(last_.code, "900804");
}

TEST_F(ThrottleFilterTest, SubscriptionAndApplicationTiersFromTheIdentity) {
  http::AuthIdentity alice;
  alice.subject = "alice";
  alice.application_id = "app1";
  alice.application_tier = "AppTwo";
  alice.subscriptions = {{"Auth", "v1", "SubTwo"}, {"Other", "v1", "Soft"}};
  EXPECT_EQ(send("GET", "/auth/x", "1.1.1.1", &alice), 200);
  EXPECT_EQ(send("GET", "/auth/x", "1.1.1.2", &alice), 200);  // the IP does not matter
  EXPECT_EQ(send("GET", "/auth/x", "1.1.1.1", &alice), 429);
  EXPECT_EQ(last_.code, "900804");  // subscription "app1:/auth:v1"

  http::AuthIdentity bob = alice;  // same application tier, other user, Default subscription
  bob.subject = "bob";
  bob.application_id = "app2";
  bob.subscriptions.clear();
  EXPECT_EQ(send("GET", "/auth/x", "1.1.1.1", &bob), 200);
  EXPECT_EQ(send("GET", "/auth/x", "1.1.1.1", &bob), 200);
  EXPECT_EQ(send("GET", "/auth/x", "1.1.1.1", &bob), 429);
  EXPECT_EQ(last_.code, "900803");  // application "app2:bob"
}

TEST_F(ThrottleFilterTest, SoftSubscriptionLetsTrafficThrough) {
  http::AuthIdentity id;
  id.subject = "carol";
  id.application_id = "app3";
  id.subscriptions = {{"Auth", "v1", "Soft"}};  // stopOnQuotaReach: false, 1/min
  for (int i = 0; i < 5; ++i) EXPECT_EQ(send("GET", "/auth/x", "1.1.1.1", &id), 200);
}

TEST_F(ThrottleFilterTest, SecuredButUnauthenticatedIsLeftToTheRouter) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(send("GET", "/auth/x"), 200);
}

TEST_F(ThrottleFilterTest, BlockedKeyFromTheTrafficManagerUntilExpiry) {
  const int64_t now = nowMs()();
  config_->blocked->replace(
      {{"/shop/2/items/{id}:POST", true, now + 2500}, {"app9:dave", true, now + 60000}});
  EXPECT_EQ(send("POST", "/shop/items/7", "10.4.0.1"), 429);
  EXPECT_EQ(last_.code, "900802");
  EXPECT_EQ(*last_.headers.get("Retry-After"), "3");
  http::AuthIdentity dave;
  dave.subject = "dave";
  dave.application_id = "app9";
  EXPECT_EQ(send("GET", "/auth/x", "1.1.1.1", &dave), 429);
  EXPECT_EQ(last_.code, "900803");
  clock_.advance(std::chrono::milliseconds(2500));
  EXPECT_EQ(send("POST", "/shop/items/7", "10.4.0.1"), 200);  // expired
}

TEST(ThrottleConfigTest, OnTheApiXWso2ThrottlingTierWins) {
  absl::StatusOr<conf::ApiDefinition> a = conf::loadApiFromString(R"(
openapi: 3.0.0
info: {title: Both, version: v1}
x-wso2-basePath: /both
x-wso2-production-endpoints: {urls: ["http://127.0.0.1:1/"]}
x-wso2-throttling-tier: 10kPerMin
x-throttling-tier: 20kPerMin
paths:
  /x:
    get: {}
)",
                                                                  "both.yaml");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->throttling_tier, "10kPerMin");
}

TEST(ThrottleConfigTest, UnknownTierIsAStartUpErrorNamingTheApi) {
  conf::Config conf;  // built-in WSO2 policies
  std::vector<conf::ApiDefinition> list;
  absl::StatusOr<conf::ApiDefinition> a = conf::loadApiFromString(R"(
openapi: 3.0.0
info: {title: Billing, version: v2}
x-wso2-basePath: /billing
x-wso2-production-endpoints: {urls: ["http://127.0.0.1:1/"]}
paths:
  /pay:
    post: {x-throttling-tier: Platinum}
)",
                                                                  "billing.yaml");
  ASSERT_TRUE(a.ok()) << a.status();
  list.push_back(*a);
  auto routes = *router::RouteTable::build(std::move(list));
  stats::Store stats;
  auto built = buildConfig(conf, routes.get(), stats, nullptr, false);
  ASSERT_FALSE(built.ok());
  const std::string msg(built.status().message());
  EXPECT_NE(msg.find("billing.yaml: API 'Billing'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'Platinum'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("POST /pay"), std::string::npos) << msg;
}

}  // namespace
}  // namespace gw::filters::throttle
