// Throttle events in WSO2's JSON shape.

#include "filters/throttle/throttle_event.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace gw::filters::throttle {
namespace {

ThrottleEvent sample() {
  ThrottleEvent e;
  e.message_id = "m1";
  e.app_key = "app1:alice";
  e.app_tier = "50PerMin";
  e.api_key = "/pets/v1:1.0.0";
  e.api_tier = "";
  e.subscription_key = "app1:/pets/v1:1.0.0";
  e.subscription_tier = "Gold";
  e.resource_key = "/pets/v1/1.0.0/a:GET";
  e.resource_tier = "10kPerMin";
  e.user_id = "alice";
  e.api_context = "/pets/v1";
  e.api_version = "1.0.0";
  e.app_id = "app1";
  e.api_name = "Pets";
  e.client_ip = "127.0.0.1";
  return e;
}

TEST(ThrottleEventTest, Wso2Shape) {
  nlohmann::json j = nlohmann::json::parse(eventJson(sample()));
  ASSERT_TRUE(j["event"]["metaData"].is_object());
  ASSERT_TRUE(j["event"]["correlationData"].is_object());
  const nlohmann::json& p = j["event"]["payloadData"];
  EXPECT_EQ(p.size(), 17u);
  for (const char* field :
       {"messageID", "appKey", "appTier", "apiKey", "apiTier", "subscriptionKey",
        "subscriptionTier", "resourceKey", "resourceTier", "userId", "apiContext", "apiVersion",
        "appTenant", "apiTenant", "appId", "apiName", "properties"}) {
    ASSERT_TRUE(p.contains(field)) << field;
    EXPECT_TRUE(p[field].is_string()) << field;
  }
  EXPECT_EQ(p["appTenant"], "carbon.super");
  EXPECT_EQ(p["resourceKey"], "/pets/v1/1.0.0/a:GET");
  nlohmann::json props = nlohmann::json::parse(p["properties"].get<std::string>());
  EXPECT_EQ(props["ip"], 2130706433);  // 127.0.0.1 as an integer
}

TEST(ThrottleEventTest, BatchesAreArraysUnlessOneEventPerPost) {
  std::vector<ThrottleEvent> two = {sample(), sample()};
  nlohmann::json arr = nlohmann::json::parse(batchJson(two, true));
  ASSERT_TRUE(arr.is_array());
  EXPECT_EQ(arr.size(), 2u);
  nlohmann::json one = nlohmann::json::parse(batchJson({sample()}, false));
  EXPECT_TRUE(one.is_object());
  EXPECT_TRUE(nlohmann::json::parse(batchJson({sample()}, true)).is_array());
}

TEST(ThrottleEventTest, Ipv4AsInteger) {
  EXPECT_EQ(ipv4AsInteger("1.2.3.4"), 16909060);
  EXPECT_EQ(ipv4AsInteger("::1"), -1);
  ThrottleEvent e = sample();
  e.client_ip = "::1";
  nlohmann::json p = nlohmann::json::parse(eventJson(e))["event"]["payloadData"];
  EXPECT_EQ(nlohmann::json::parse(p["properties"].get<std::string>())["ipv6"], "::1");
}

}  // namespace
}  // namespace gw::filters::throttle
