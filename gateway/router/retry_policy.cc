#include "gateway/router/retry_policy.h"

#include <algorithm>
#include <cmath>

#include "gateway/router/upstream_headers.h"

namespace gw::router {
namespace {

// No wait is longer than a day, whatever backOffFactor^n grows to.
constexpr double kMaxDelayMs = 24.0 * 3600 * 1000;

}  // namespace

bool RetryPolicy::retriesStatus(int status) const {
  return std::find(config_.status_codes.begin(), config_.status_codes.end(), status) !=
         config_.status_codes.end();
}

bool RetryPolicy::shouldRetry(AttemptFailure failure, int status, std::string_view method,
                              uint32_t retries_done) const {
  if (retries_done >= config_.count) return false;
  switch (failure) {
    case AttemptFailure::NotSent:
      return true;
    case AttemptFailure::Status:
      return retriesStatus(status);
    case AttemptFailure::Timeout:
    case AttemptFailure::Closed:
      return isIdempotent(method);
  }
  return false;
}

std::chrono::milliseconds RetryPolicy::delay(uint32_t retry) const {
  const double exponent = retry > 0 ? static_cast<double>(retry - 1) : 0.0;
  double ms = config_.interval_ms * std::pow(config_.back_off_factor, exponent);
  if (!std::isfinite(ms) || ms > kMaxDelayMs) ms = kMaxDelayMs;
  if (config_.max_wait_interval_ms > 0)
    ms = std::min(ms, static_cast<double>(config_.max_wait_interval_ms));
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

}  // namespace gw::router
