#pragma once

// When and after how long the router retries a failed upstream attempt
// (advanceEndpointConfig.retryConfig). Pure logic, immutable, thread-safe.
//
// Which failures are retried, by method:
//  - the request never reached the backend (connect refused, name not
//    resolved, connect timeout, proxy refused): any method;
//  - the backend answered with one of retryConfig.statusCodes: any method, as
//    in WSO2 (the user listed answers that mean "not done", such as 503);
//  - the backend took the request and then timed out or closed without an
//    answer: only idempotent methods (GET, HEAD, OPTIONS, TRACE, PUT, DELETE),
//    because a POST or PATCH may have taken effect and would run twice.
// The router adds the conditions that do not depend on the config: the
// request body was kept whole (small, complete, no trailers) and nothing of a
// response went to the client yet.
//
// Example:
//
//   RetryPolicy policy(endpoint.retry);
//   if (policy.shouldRetry(AttemptFailure::Timeout, 0, "GET", retries_done)) {
//     timer->enable(policy.delay(retries_done + 1));
//   }

#include <chrono>
#include <cstdint>
#include <string_view>

#include "conf/config.h"

namespace gw::router {

enum class AttemptFailure {
  NotSent,  // the request did not reach the backend (connect or proxy failure)
  Timeout,  // sent, no answer within timeoutInMillis
  Closed,   // sent, the connection closed or reset before an answer
  Status,   // the backend answered with a status code
};

class RetryPolicy {
 public:
  // `config` must outlive the policy.
  explicit RetryPolicy(const conf::RetryConfig& config) : config_(config) {}

  // True when the attempt that failed this way may be retried, `retries_done`
  // retries having been made already. `status` is read for Status only.
  bool shouldRetry(AttemptFailure failure, int status, std::string_view method,
                   uint32_t retries_done) const;
  // True when `status` is one of retryConfig.statusCodes.
  bool retriesStatus(int status) const;
  // The wait before retry number `retry` (1 for the first):
  // intervalInMillis * backOffFactor^(retry-1), at most maxWaitIntervalInMillis.
  std::chrono::milliseconds delay(uint32_t retry) const;
  uint32_t count() const { return config_.count; }

 private:
  const conf::RetryConfig& config_;
};

}  // namespace gw::router
