// LibeventDispatcher: post() from other threads wakes a loop that has nothing
// else to do, runs every callback once and in order, never inline; deferred
// deletion happens on the next loop iteration.

#include "gateway/event/dispatcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace gw::event {
namespace {

using std::chrono::milliseconds;

// Runs `d` until something calls exit(), or fails the test after 10 s (a timer
// on the loop itself: a lost wake-up leaves the loop asleep in epoll).
void runWithDeadline(Dispatcher& d) {
  // (EXPECT, not ASSERT: the caller still joins its threads.)
  bool timed_out = false;
  TimerPtr deadline = d.createTimer([&] {
    timed_out = true;
    d.exit();
  });
  deadline->enable(milliseconds(10000));
  d.run();
  EXPECT_FALSE(timed_out) << "the loop was not woken";
}

TEST(DispatcherTest, PostFromAnotherThreadWakesAnIdleLoop) {
  DispatcherPtr d = createDispatcher("test");
  for (int round = 0; round < 20; ++round) {
    bool ran = false;
    std::thread poster([&] {
      std::this_thread::sleep_for(milliseconds(5));  // the loop is asleep by then
      d->post([&] {
        ran = true;
        d->exit();
      });
    });
    runWithDeadline(*d);
    poster.join();
    ASSERT_TRUE(ran);
    if (HasFailure()) return;  // one lost wake-up is enough; do not wait 10 s more each
  }
}

TEST(DispatcherTest, EveryPostRunsOnceAndInOrderPerThread) {
  DispatcherPtr d = createDispatcher("test");
  constexpr int kThreads = 4, kPosts = 20000;
  std::vector<std::vector<int>> seen(kThreads);
  int done = 0;
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < kPosts; ++i) {
        d->post([&, t, i] {
          seen[t].push_back(i);
          if (++done == kThreads * kPosts) d->exit();
        });
      }
    });
  }
  runWithDeadline(*d);
  for (auto& p : posters) p.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<size_t>(kPosts)) << "thread " << t;
    for (int i = 0; i < kPosts; ++i) ASSERT_EQ(seen[t][i], i) << "thread " << t;
  }
}

TEST(DispatcherTest, PostBeforeRunAndFromACallbackRunsLaterNeverInline) {
  DispatcherPtr d = createDispatcher("test");
  std::vector<int> order;
  d->post([&] {
    order.push_back(1);
    d->post([&] {
      order.push_back(3);
      d->exit();
    });
    order.push_back(2);  // the inner post has not run yet
  });
  EXPECT_TRUE(order.empty());
  runWithDeadline(*d);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

class Deletable : public DeferredDeletable {
 public:
  explicit Deletable(std::atomic<int>& gone) : gone_(gone) {}
  ~Deletable() override { ++gone_; }

 private:
  std::atomic<int>& gone_;
};

TEST(DispatcherTest, DeferredDeleteHappensOnTheNextIteration) {
  DispatcherPtr d = createDispatcher("test");
  std::atomic<int> gone{0};
  int seen_inline = -1;
  d->post([&] {
    d->deferredDelete(std::make_unique<Deletable>(gone));
    seen_inline = gone;
    d->post([&] { d->exit(); });
  });
  runWithDeadline(*d);
  EXPECT_EQ(seen_inline, 0);
  EXPECT_EQ(gone, 1);
}

TEST(DispatcherTest, TimersStillFire) {
  DispatcherPtr d = createDispatcher("test");
  const auto start = std::chrono::steady_clock::now();
  TimerPtr t = d->createTimer([&] { d->exit(); });
  t->enable(milliseconds(30));
  runWithDeadline(*d);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(25));
}

// Re-arming a pending timer for later only records the deadline (the libevent
// timeout fires early and is added again): the callback still waits for the
// later deadline, and runs once.
TEST(DispatcherTest, TimerReArmedLaterFiresAtTheLaterDeadline) {
  DispatcherPtr d = createDispatcher("test");
  int fired = 0;
  std::chrono::steady_clock::time_point start, at;
  TimerPtr t = d->createTimer([&] {
    ++fired;
    at = std::chrono::steady_clock::now();
  });
  TimerPtr stop = d->createTimer([&] { d->exit(); });
  start = std::chrono::steady_clock::now();
  t->enable(milliseconds(20));
  t->enable(milliseconds(80));
  EXPECT_TRUE(t->enabled());
  stop->enable(milliseconds(200));
  runWithDeadline(*d);
  EXPECT_EQ(fired, 1);
  EXPECT_GE(at - start, milliseconds(80));
  EXPECT_FALSE(t->enabled());
}

TEST(DispatcherTest, TimerReArmedEarlierFiresEarlier) {
  DispatcherPtr d = createDispatcher("test");
  const auto start = std::chrono::steady_clock::now();
  TimerPtr t = d->createTimer([&] { d->exit(); });
  t->enable(milliseconds(5000));
  t->enable(milliseconds(20));
  runWithDeadline(*d);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
}

// disable() leaves libevent's timeout in place; it must fire to no effect, and
// a later enable() must still work (and a destroyed timer never fires).
TEST(DispatcherTest, DisabledTimerDoesNotFireAndCanBeArmedAgain) {
  DispatcherPtr d = createDispatcher("test");
  int fired = 0;
  TimerPtr t = d->createTimer([&] { ++fired; });
  int gone_fired = 0;
  TimerPtr gone = d->createTimer([&] { ++gone_fired; });
  gone->enable(milliseconds(10));
  gone->disable();
  gone->enable(milliseconds(10));
  gone.reset();
  t->enable(milliseconds(10));
  t->disable();
  EXPECT_FALSE(t->enabled());
  TimerPtr rearm = d->createTimer([&] { t->enable(milliseconds(10)); });
  rearm->enable(milliseconds(50));
  TimerPtr stop = d->createTimer([&] { d->exit(); });
  stop->enable(milliseconds(150));
  runWithDeadline(*d);
  EXPECT_EQ(fired, 1);  // the second arming only
  EXPECT_EQ(gone_fired, 0);
}

// Timers are recycled (a destroyed timer's libevent event, still scheduled,
// goes to the next timer made): the old timeout must neither run the old
// callback nor fire the new timer early, or at all when it is not armed.
TEST(DispatcherTest, RecycledTimersKeepTheirOwnDeadlines) {
  DispatcherPtr d = createDispatcher("test");
  int old_fired = 0, idle_fired = 0, late_fired = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(), late_at;
  for (int i = 0; i < 8; ++i) {
    TimerPtr t = d->createTimer([&] { ++old_fired; });
    t->enable(milliseconds(10));
  }
  TimerPtr idle = d->createTimer([&] { ++idle_fired; });  // never armed
  TimerPtr late = d->createTimer([&] {
    ++late_fired;
    late_at = std::chrono::steady_clock::now();
  });
  late->enable(milliseconds(60));
  TimerPtr stop = d->createTimer([&] { d->exit(); });
  stop->enable(milliseconds(150));
  runWithDeadline(*d);
  EXPECT_EQ(old_fired, 0);
  EXPECT_EQ(idle_fired, 0);
  EXPECT_EQ(late_fired, 1);
  EXPECT_GE(late_at - start, milliseconds(60));
}

// A callback may re-arm its own timer (ConnectionManager's idle timer does).
TEST(DispatcherTest, TimerReArmedFromItsCallback) {
  DispatcherPtr d = createDispatcher("test");
  int fired = 0;
  TimerPtr t;
  t = d->createTimer([&] {
    if (++fired == 3) {
      d->exit();
    } else {
      t->enable(milliseconds(5));
    }
  });
  t->enable(milliseconds(5));
  runWithDeadline(*d);
  EXPECT_EQ(fired, 3);
}

}  // namespace
}  // namespace gw::event
