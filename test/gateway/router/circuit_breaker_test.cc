#include "gateway/router/circuit_breaker.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "test/mocks/fake_clock.h"

namespace gw::router {
namespace {

using Admission = CircuitBreaker::Admission;
using State = CircuitBreaker::State;
using Transition = CircuitBreaker::Transition;
using std::chrono::milliseconds;

// A breaker driven by a FakeClock (no sleeping).
class CircuitBreakerTest : public ::testing::Test {
 protected:
  CircuitBreakerTest() {
    config_.request_volume_threshold = 4;
    config_.time_window_ms = 10000;
    config_.bucket_size_ms = 1000;
    config_.failure_threshold = 0.5;
    config_.reset_time_ms = 5000;
    config_.status_codes = {500, 503};
  }
  int64_t now() const {
    return std::chrono::duration_cast<milliseconds>(clock_.steadyNow().time_since_epoch()).count();
  }
  Transition request(CircuitBreaker& cb, bool failed) {
    const Admission a = cb.admit(now());
    EXPECT_NE(a, Admission::Rejected);
    return cb.onOutcome(now(), failed, a == Admission::Probe);
  }
  // Opens `cb`: 4 requests, all failed.
  void open(CircuitBreaker& cb) {
    for (int i = 0; i < 3; ++i) EXPECT_EQ(request(cb, true), Transition::None);
    EXPECT_EQ(request(cb, true), Transition::Opened);
    ASSERT_EQ(cb.state(), State::Open);
  }

  conf::CircuitBreakerConfig config_;
  test::FakeClock clock_;
};

TEST_F(CircuitBreakerTest, StaysClosedBelowTheRequestVolume) {
  CircuitBreaker cb(config_);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(request(cb, true), Transition::None);
  EXPECT_EQ(cb.state(), State::Closed);
  EXPECT_EQ(cb.window(now()).total, 3u);
  EXPECT_EQ(cb.window(now()).failures, 3u);
}

TEST_F(CircuitBreakerTest, OpensWhenTheFailureRatioExceedsTheThreshold) {
  CircuitBreaker cb(config_);
  // 2 of 4 failed: 0.5 is not above 0.5.
  request(cb, false);
  request(cb, true);
  request(cb, false);
  EXPECT_EQ(request(cb, true), Transition::None);
  EXPECT_EQ(cb.state(), State::Closed);
  // 3 of 5: above.
  EXPECT_EQ(request(cb, true), Transition::Opened);
  EXPECT_EQ(cb.state(), State::Open);
  EXPECT_EQ(cb.admit(now()), Admission::Rejected);
  EXPECT_EQ(cb.msUntilProbe(now()), 5000);
}

TEST_F(CircuitBreakerTest, OldBucketsLeaveTheRollingWindow) {
  CircuitBreaker cb(config_);
  for (int i = 0; i < 3; ++i) request(cb, true);
  clock_.advance(milliseconds(10000));  // those three are now outside the 10 s window
  EXPECT_EQ(cb.window(now()).total, 0u);
  EXPECT_EQ(request(cb, true), Transition::None);
  EXPECT_EQ(cb.state(), State::Closed);
  clock_.advance(milliseconds(4500));
  for (int i = 0; i < 2; ++i) request(cb, false);
  EXPECT_EQ(cb.window(now()).total, 3u);
  EXPECT_EQ(request(cb, true), Transition::None);  // 2 of 4: not above 0.5
}

TEST_F(CircuitBreakerTest, HalfOpenAfterResetTimeLetsOneProbeThrough) {
  CircuitBreaker cb(config_);
  open(cb);
  clock_.advance(milliseconds(4999));
  EXPECT_EQ(cb.admit(now()), Admission::Rejected);
  EXPECT_EQ(cb.msUntilProbe(now()), 1);
  clock_.advance(milliseconds(1));
  EXPECT_EQ(cb.admit(now()), Admission::Probe);
  EXPECT_EQ(cb.state(), State::HalfOpen);
  EXPECT_EQ(cb.admit(now()), Admission::Rejected);  // one probe at a time
  EXPECT_EQ(cb.onOutcome(now(), false, /*probe=*/true), Transition::Closed);
  EXPECT_EQ(cb.state(), State::Closed);
  EXPECT_EQ(cb.window(now()).total, 0u);  // a fresh window
  EXPECT_EQ(cb.admit(now()), Admission::Allowed);
}

TEST_F(CircuitBreakerTest, AFailedProbeOpensAgainForResetTime) {
  CircuitBreaker cb(config_);
  open(cb);
  clock_.advance(milliseconds(5000));
  ASSERT_EQ(cb.admit(now()), Admission::Probe);
  clock_.advance(milliseconds(300));
  EXPECT_EQ(cb.onOutcome(now(), true, /*probe=*/true), Transition::Reopened);
  EXPECT_EQ(cb.state(), State::Open);
  clock_.advance(milliseconds(4999));
  EXPECT_EQ(cb.admit(now()), Admission::Rejected);
  clock_.advance(milliseconds(1));
  EXPECT_EQ(cb.admit(now()), Admission::Probe);
}

TEST_F(CircuitBreakerTest, AnAbandonedProbeFreesTheSlot) {
  CircuitBreaker cb(config_);
  open(cb);
  clock_.advance(milliseconds(5000));
  ASSERT_EQ(cb.admit(now()), Admission::Probe);
  cb.onProbeAbandoned();
  EXPECT_EQ(cb.admit(now()), Admission::Probe);
}

TEST_F(CircuitBreakerTest, AProbeThatNeverReportsIsReplacedAfterResetTime) {
  CircuitBreaker cb(config_);
  open(cb);
  clock_.advance(milliseconds(5000));
  ASSERT_EQ(cb.admit(now()), Admission::Probe);
  clock_.advance(milliseconds(4999));
  EXPECT_EQ(cb.admit(now()), Admission::Rejected);
  clock_.advance(milliseconds(1));
  EXPECT_EQ(cb.admit(now()), Admission::Probe);
}

TEST_F(CircuitBreakerTest, OutcomesOfRequestsAdmittedBeforeItOpenedAreIgnored) {
  CircuitBreaker cb(config_);
  const Admission late = cb.admit(now());
  open(cb);
  EXPECT_EQ(cb.onOutcome(now(), false, late == Admission::Probe), Transition::None);
  EXPECT_EQ(cb.state(), State::Open);
}

TEST_F(CircuitBreakerTest, StatusCodesCountAsFailures) {
  CircuitBreaker cb(config_);
  EXPECT_TRUE(cb.countsAsFailure(503));
  EXPECT_TRUE(cb.countsAsFailure(500));
  EXPECT_FALSE(cb.countsAsFailure(502));
  EXPECT_FALSE(cb.countsAsFailure(200));
}

TEST_F(CircuitBreakerTest, ZeroVolumeAndThresholdOpenOnTheFirstFailure) {
  config_.request_volume_threshold = 0;
  config_.failure_threshold = 0.0;
  CircuitBreaker cb(config_);
  EXPECT_EQ(request(cb, false), Transition::None);
  EXPECT_EQ(request(cb, true), Transition::Opened);
}

// Workers share one breaker: concurrent outcomes are all counted within a
// bucket, and exactly one caller sees the opening.
TEST_F(CircuitBreakerTest, SharedByThreads) {
  config_.request_volume_threshold = 1000000;  // never opens while counting
  CircuitBreaker cb(config_);
  const int64_t t = now();
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&cb, t] {
      for (int j = 0; j < 10000; ++j) cb.onOutcome(t, j % 2 == 0, false);
    });
  }
  for (std::thread& th : threads) th.join();
  const CircuitBreaker::Window w = cb.window(t);
  EXPECT_EQ(w.total, 40000u);
  EXPECT_EQ(w.failures, 20000u);
}

}  // namespace
}  // namespace gw::router
