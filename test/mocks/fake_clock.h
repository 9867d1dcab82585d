#pragma once

// A fake clock for the time seams filters take as functions (jwt_authn's
// JwtAuthnConfig::now_seconds, JwksProvider's SteadyClock): tests advance it
// instead of sleeping.
//
//   gw::test::FakeClock clock(1'800'000'000);
//   auto config = buildConfig(..., clock.wallSecondsFn());
//   clock.advance(std::chrono::seconds(301));  // the cached token expired

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace gw::test {

class FakeClock {
 public:
  explicit FakeClock(int64_t wall_seconds = 1'800'000'000) : state_(std::make_shared<State>()) {
    state_->wall_seconds = wall_seconds;
  }

  // Moves both clocks forward.
  void advance(std::chrono::milliseconds by) {
    state_->steady += by;
    state_->wall_millis += by.count();
  }

  int64_t wallSeconds() const { return state_->wall_seconds + state_->wall_millis / 1000; }
  std::chrono::steady_clock::time_point steadyNow() const { return state_->steady; }

  // Seams. The functions share the clock's state and stay valid after the
  // FakeClock is gone (a config may outlive the test fixture's clock).
  std::function<int64_t()> wallSecondsFn() const {
    return [state = state_] { return state->wall_seconds + state->wall_millis / 1000; };
  }
  std::function<std::chrono::steady_clock::time_point()> steadyFn() const {
    return [state = state_] { return state->steady; };
  }

 private:
  struct State {
    int64_t wall_seconds = 0;
    int64_t wall_millis = 0;  // advanced since construction
    std::chrono::steady_clock::time_point steady{std::chrono::hours(1)};
  };
  std::shared_ptr<State> state_;
};

}  // namespace gw::test
