#include "gateway/router/retry_policy.h"

#include <gtest/gtest.h>

namespace gw::router {
namespace {

using std::chrono::milliseconds;

conf::RetryConfig config(uint32_t count, uint32_t interval, double factor, uint32_t max_wait,
                         std::vector<int> codes = {}) {
  conf::RetryConfig c;
  c.count = count;
  c.interval_ms = interval;
  c.back_off_factor = factor;
  c.max_wait_interval_ms = max_wait;
  c.status_codes = std::move(codes);
  return c;
}

TEST(RetryPolicy, DelayGrowsByBackOffFactorUpToMaxWait) {
  const conf::RetryConfig c = config(5, 100, 2.0, 500);
  const RetryPolicy p(c);
  EXPECT_EQ(p.delay(1), milliseconds(100));
  EXPECT_EQ(p.delay(2), milliseconds(200));
  EXPECT_EQ(p.delay(3), milliseconds(400));
  EXPECT_EQ(p.delay(4), milliseconds(500));  // 800 capped
  EXPECT_EQ(p.delay(50), milliseconds(500));
}

TEST(RetryPolicy, NoCapWhenMaxWaitIsZeroButNeverBeyondADay) {
  const conf::RetryConfig c = config(100, 1000, 10.0, 0);
  const RetryPolicy p(c);
  EXPECT_EQ(p.delay(3), milliseconds(100000));
  EXPECT_EQ(p.delay(100), milliseconds(24LL * 3600 * 1000));
}

TEST(RetryPolicy, DefaultsRetryAtOnceWithFixedInterval) {
  const conf::RetryConfig zero = config(2, 0, 1.0, 0);
  EXPECT_EQ(RetryPolicy(zero).delay(1), milliseconds(0));
  const conf::RetryConfig fixed = config(3, 250, 1.0, 0);
  EXPECT_EQ(RetryPolicy(fixed).delay(3), milliseconds(250));
}

TEST(RetryPolicy, CountLimitsRetries) {
  const conf::RetryConfig c = config(2, 0, 1.0, 0);
  const RetryPolicy p(c);
  EXPECT_TRUE(p.shouldRetry(AttemptFailure::NotSent, 0, "GET", 0));
  EXPECT_TRUE(p.shouldRetry(AttemptFailure::NotSent, 0, "GET", 1));
  EXPECT_FALSE(p.shouldRetry(AttemptFailure::NotSent, 0, "GET", 2));
  const conf::RetryConfig none = config(0, 0, 1.0, 0);
  EXPECT_FALSE(RetryPolicy(none).shouldRetry(AttemptFailure::NotSent, 0, "GET", 0));
}

struct Case {
  AttemptFailure failure;
  int status;
  const char* method;
  bool retried;
};

TEST(RetryPolicy, WhichFailuresAreRetriedByMethod) {
  const conf::RetryConfig c = config(3, 0, 1.0, 0, {502, 503});
  const RetryPolicy p(c);
  const Case cases[] = {
      // Never reached the backend: any method.
      {AttemptFailure::NotSent, 0, "GET", true},
      {AttemptFailure::NotSent, 0, "POST", true},
      // A listed answer: any method (the user said it means "not done").
      {AttemptFailure::Status, 503, "GET", true},
      {AttemptFailure::Status, 502, "POST", true},
      {AttemptFailure::Status, 500, "GET", false},
      {AttemptFailure::Status, 200, "GET", false},
      // Taken and then silent or closed: idempotent methods only.
      {AttemptFailure::Timeout, 0, "GET", true},
      {AttemptFailure::Timeout, 0, "PUT", true},
      {AttemptFailure::Timeout, 0, "DELETE", true},
      {AttemptFailure::Timeout, 0, "POST", false},
      {AttemptFailure::Closed, 0, "HEAD", true},
      {AttemptFailure::Closed, 0, "PATCH", false},
      {AttemptFailure::Closed, 0, "POST", false},
  };
  for (const Case& k : cases) {
    EXPECT_EQ(p.shouldRetry(k.failure, k.status, k.method, 0), k.retried)
        << static_cast<int>(k.failure) << " " << k.status << " " << k.method;
  }
}

}  // namespace
}  // namespace gw::router
