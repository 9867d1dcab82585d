#pragma once

// Turns an event loop until a condition holds or a time limit passes, for
// tests whose peers (fake servers, the code under test) share that loop.
//
// Example:
//   ASSERT_TRUE(gw::testing::runUntil(*dispatcher, [&] { return got_reply; }));

#include <chrono>
#include <functional>

#include "gateway/event/dispatcher.h"

namespace gw::testing {

// Checks `done` every 2 ms while the loop runs; returns its last value.
inline bool runUntil(event::Dispatcher& dispatcher, const std::function<bool()>& done,
                     std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  event::TimerPtr poll;
  poll = dispatcher.createTimer([&] {
    if (done() || std::chrono::steady_clock::now() > deadline) {
      dispatcher.exit();
    } else {
      poll->enable(std::chrono::milliseconds(2));
    }
  });
  poll->enable(std::chrono::milliseconds(0));
  dispatcher.run();
  return done();
}

}  // namespace gw::testing
