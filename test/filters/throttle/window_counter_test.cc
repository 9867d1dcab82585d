// Fixed-window counters: exact counts, window ends, and many threads at once.

#include "filters/throttle/window_counter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "filters/throttle/blocked_keys.h"

namespace gw::filters::throttle {
namespace {

TEST(WindowCountersTest, ExactlyLimitPerWindowThenANewWindow) {
  WindowCounters counters;
  const int64_t t0 = 1'000'000;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(counters.consume("k", 3, 60000, t0 + i).allowed);
  WindowCounters::Result over = counters.consume("k", 3, 60000, t0 + 10);
  EXPECT_FALSE(over.allowed);
  EXPECT_EQ(over.window_end_ms, t0 + 60000);  // the window started at the first request
  EXPECT_FALSE(counters.consume("k", 3, 60000, t0 + 59999).allowed);
  EXPECT_TRUE(counters.consume("other", 3, 60000, t0 + 10).allowed);  // keys are separate
  WindowCounters::Result fresh = counters.consume("k", 3, 60000, t0 + 60000);
  EXPECT_TRUE(fresh.allowed);
  EXPECT_EQ(fresh.window_end_ms, t0 + 120000);
}

TEST(WindowCountersTest, AKeyHashedAtStartUpCountsWithTheSameKeyHashedPerRequest) {
  WindowCounters counters;
  const std::string key = "/pets/v1:1.0.0";
  const HashedKey hashed = WindowCounters::hashed(key);
  EXPECT_EQ(hashed.hash, WindowCounters::hashOf("/pets/v1:1.0.0"));
  EXPECT_TRUE(counters.consume(hashed, 2, 60000, 1).allowed);
  EXPECT_TRUE(counters.consume(key, 2, 60000, 2).allowed);
  EXPECT_FALSE(counters.consume(hashed, 2, 60000, 3).allowed);  // one count, one slot
  EXPECT_FALSE(counters.consume("/pets/v1:1.0.0", 2, 60000, 4).allowed);
  EXPECT_EQ(counters.size(), 1u);
}

TEST(WindowCountersTest, ZeroCountRefusesEverything) {
  WindowCounters counters;
  EXPECT_FALSE(counters.consume("k", 0, 1000, 5).allowed);
}

TEST(WindowCountersTest, ExactAcrossThreads) {
  WindowCounters counters;
  constexpr int kThreads = 8, kPerThread = 2000, kLimit = 5000;
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        if (counters.consume("shared", kLimit, 60000, 42).allowed) ++allowed;
        counters.consume("own" + std::to_string(i % 50), kLimit, 60000, 42);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed.load(), kLimit);
}

TEST(WindowCountersTest, EndedWindowsAreSwept) {
  WindowCounters counters;
  for (int i = 0; i < 200000; ++i) counters.consume("k" + std::to_string(i), 1, 10, i);
  EXPECT_LT(counters.size(), 200000u / 4);
}

TEST(BlockedKeysTest, ParsesDecisionsAndHonoursExpiry) {
  absl::StatusOr<std::vector<Decision>> d = parseDecisions(
      R"({"decisions":[{"throttleKey":"/a:1","isThrottled":true,"expiryTimeStamp":5000},
                       {"throttleKey":"/b:1","isThrottled":false,"expiryTimeStamp":9000}]})");
  ASSERT_TRUE(d.ok()) << d.status();
  BlockedKeys blocked;
  EXPECT_TRUE(blocked.empty());
  blocked.replace(*d);
  EXPECT_EQ(blocked.blockedUntil("/a:1", 4999), 5000);
  EXPECT_EQ(blocked.blockedUntil("/a:1", 5000), 0);  // expired
  EXPECT_EQ(blocked.blockedUntil("/b:1", 1), 0);     // not throttled
  blocked.replace({});                               // gone from the list: unblocked
  EXPECT_TRUE(blocked.empty());
  EXPECT_EQ(blocked.blockedUntil("/a:1", 1), 0);
}

TEST(BlockedKeysTest, RefusesMalformedAnswers) {
  for (const char* body : {"nope", "{}", R"({"decisions":{}})", R"([{"isThrottled":true}])",
                           R"([{"throttleKey":5}])"}) {
    EXPECT_FALSE(parseDecisions(body).ok()) << body;
  }
  absl::StatusOr<std::vector<Decision>> bare = parseDecisions(R"([{"throttleKey":"k"}])");
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE((*bare)[0].is_throttled);  // a listed key is blocked unless it says otherwise
}

}  // namespace
}  // namespace gw::filters::throttle
