// Throttle events in WSO2's JSON shape.

#include "filters/throttle/throttle_event.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace gw::filters::throttle {
namespace {

const EventApiFields& api() {
  static const EventApiFields* fields = [] {
    auto* f = new EventApiFields{"/pets/v1:1.0.0", "",      "/pets/v1/1.0.0/a:GET", "10kPerMin",
                                 "/pets/v1",       "1.0.0", "Pets \"ü\"",           ""};
    f->finish();
    return f;
  }();
  return *fields;
}

ThrottleEvent sample() {
  ThrottleEvent e;
  e.message_id = "m1";
  e.app_key = "app1:alice";
  e.app_tier = "50PerMin";
  e.subscription_key = "app1:/pets/v1:1.0.0";
  e.subscription_tier = "Gold";
  e.user_id = "alice";
  e.app_id = "app1";
  e.client_ip = "127.0.0.1";
  e.api = &api();
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
  EXPECT_EQ(p["apiName"], "Pets \"\xc3\xbc\"");  // escaped quotes, UTF-8 kept
  EXPECT_EQ(p["apiTier"], "");
  nlohmann::json props = nlohmann::json::parse(p["properties"].get<std::string>());
  EXPECT_EQ(props["ip"], 2130706433);  // 127.0.0.1 as an integer
}

TEST(ThrottleEventTest, EventsWrittenIntoAReusedBufferAreWhole) {
  ThrottleEvent e = sample();
  std::string scratch;
  EXPECT_EQ(writeEventJson(scratch, e), eventJson(e));
  const std::string long_user(3000, 'u');
  e.user_id = long_user;
  EXPECT_EQ(writeEventJson(scratch, e), eventJson(e));
  e.user_id = "bob";
  e.client_ip = "::1";  // properties written as an escaped string
  EXPECT_EQ(writeEventJson(scratch, e), eventJson(e));
  EXPECT_NO_THROW(nlohmann::json::parse(writeEventJson(scratch, e)));
}

TEST(ThrottleEventTest, BatchesAreArraysUnlessOneEventPerPost) {
  std::vector<std::string> two = {eventJson(sample()), eventJson(sample())};
  nlohmann::json arr = nlohmann::json::parse(batchJson(two, true));
  ASSERT_TRUE(arr.is_array());
  EXPECT_EQ(arr.size(), 2u);
  nlohmann::json one = nlohmann::json::parse(batchJson({eventJson(sample())}, false));
  EXPECT_TRUE(one.is_object());
  EXPECT_TRUE(nlohmann::json::parse(batchJson({eventJson(sample())}, true)).is_array());
}

// The body the traffic-manager client fills as events are published.
TEST(ThrottleEventTest, EventBatchBuildsTheBodyAndStartsOver) {
  EventBatch batch(true);
  EXPECT_EQ(batch.take(), "");
  batch.add(R"({"a":1})");
  batch.add(R"({"b":2})");
  EXPECT_EQ(batch.count(), 2u);
  EXPECT_EQ(batch.take(), R"([{"a":1},{"b":2}])");
  EXPECT_EQ(batch.count(), 0u);
  batch.add(R"({"c":3})");
  EXPECT_EQ(batch.take(), R"([{"c":3}])");
  EventBatch single(false);
  single.add(R"({"a":1})");
  EXPECT_EQ(single.take(), R"({"a":1})");
}

// A value that needs escaping after plain bytes, and long plain runs.
TEST(ThrottleEventTest, JsonStringsEscapeAfterPlainRuns) {
  std::string out = "x";
  appendJsonString(out, "plain/text-" + std::string(100, 'z') + "\"q\"\t");
  EXPECT_EQ(out, "x\"plain/text-" + std::string(100, 'z') + "\\\"q\\\"\\u0009\"");
}

TEST(ThrottleEventTest, JsonStringsEscapeControlsAndInvalidUtf8) {
  std::string out;
  appendJsonString(out, std::string("a\"\\\n\x01\xff\xc3\xa9", 8));
  EXPECT_EQ(out, "\"a\\\"\\\\\\u000a\\u0001\\u00ff\xc3\xa9\"");
  EXPECT_EQ(nlohmann::json::parse(out), std::string("a\"\\\n\x01\xc3\xbf\xc3\xa9"));
}

// ASCII values with one byte to escape (or none) at every position of every
// length around the 8-byte steps: the writer looks for such bytes a word at a
// time, the last word overlapping the one before, and must miss none.
TEST(ThrottleEventTest, JsonStringsFindALoneByteToEscapeAnywhere) {
  const auto reference = [](const std::string& v) {
    std::string out = "\"";
    for (const char c : v) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      } else {
        out += c;
      }
    }
    return out + "\"";
  };
  for (size_t n = 0; n <= 40; ++n) {
    const std::string plain(n, 'a');
    std::string out;
    appendJsonString(out, plain);
    EXPECT_EQ(out, reference(plain));
    for (size_t at = 0; at < n; ++at) {
      for (const char c : {'"', '\\', '\n', '\x01'}) {
        std::string v = plain;
        v[at] = c;
        out.clear();
        appendJsonString(out, v);
        ASSERT_EQ(out, reference(v)) << n << " " << at;
      }
    }
  }
}

// inet_pton(AF_INET) as the reference the hand-written parser must match.
int64_t ptonReference(std::string_view ip) {
  if (ip.size() >= INET_ADDRSTRLEN) return -1;
  const std::string text(ip);  // inet_pton stops at a NUL, as c_str() does
  in_addr addr{};
  if (inet_pton(AF_INET, text.c_str(), &addr) != 1) return -1;
  return static_cast<int64_t>(ntohl(addr.s_addr));
}

TEST(ThrottleEventTest, Ipv4AsIntegerMatchesInetPton) {
  EXPECT_EQ(ipv4AsInteger("1.2.3.4"), 16909060);
  EXPECT_EQ(ipv4AsInteger("255.255.255.255"), 4294967295);
  EXPECT_EQ(ipv4AsInteger("::1"), -1);
  for (const char* ip : {"0.0.0.0",
                         "127.0.0.1",
                         "10.0.0.255",
                         "1.2.3",
                         "1.2.3.4.",
                         ".1.2.3.4",
                         "1..2.3",
                         "01.2.3.4",
                         "1.2.3.04",
                         "1.2.3.0",
                         "256.1.1.1",
                         "1.2.3.256",
                         "1.2.3.4 ",
                         " 1.2.3.4",
                         "1.2.3.-4",
                         "1.2.3.4a",
                         "",
                         ".",
                         "1",
                         "1.2.3.4.5",
                         "999.0.0.0",
                         "0x1.2.3.4",
                         "::ffff:1.2.3.4",
                         "1.2.3.4:80"}) {
    EXPECT_EQ(ipv4AsInteger(ip), ptonReference(ip)) << ip;
  }
  EXPECT_EQ(ipv4AsInteger(std::string_view("1.2.3.4\0x", 9)), 16909060);      // ends at the NUL
  EXPECT_EQ(ipv4AsInteger(std::string_view("1.2.3.4\0xxxxxxxxxx", 18)), -1);  // too long
  std::mt19937 random(8);  // strings of digits, dots and a few others, against inet_pton
  const char kAlphabet[] = "0123456789...x: ";
  for (int i = 0; i < 200000; ++i) {
    std::string ip(random() % 17, ' ');
    for (char& c : ip) c = kAlphabet[random() % (sizeof(kAlphabet) - 1)];
    ASSERT_EQ(ipv4AsInteger(ip), ptonReference(ip)) << ip;
  }
  ThrottleEvent e = sample();
  e.client_ip = "::1";
  nlohmann::json p = nlohmann::json::parse(eventJson(e))["event"]["payloadData"];
  EXPECT_EQ(nlohmann::json::parse(p["properties"].get<std::string>())["ipv6"], "::1");
}

}  // namespace
}  // namespace gw::filters::throttle
