#pragma once

// advanceEndpointConfig's retryConfig and circuitBreaker (WSO2 API Microgateway
// 3.2 spelling, Ballerina's HTTP client semantics), as parsed by
// conf/advance_endpoint_config.cc. Immutable after loading.

#include <cstdint>
#include <vector>

namespace gw::conf {

// advanceEndpointConfig.retryConfig. Retry n (1-based) waits
// intervalInMillis * backOffFactor^(n-1), at most maxWaitIntervalInMillis.
struct RetryConfig {
  uint32_t count = 0;                 // retries after the first attempt; 0 = none
  uint32_t interval_ms = 0;           // intervalInMillis
  double back_off_factor = 1.0;       // backOffFactor
  uint32_t max_wait_interval_ms = 0;  // maxWaitIntervalInMillis; 0 = no cap
  std::vector<int> status_codes;      // backend answers that are retried (besides failures)
};

// advanceEndpointConfig.circuitBreaker: per endpoint URL of the endpoint set.
struct CircuitBreakerConfig {
  uint32_t request_volume_threshold = 10;  // rollingWindow.requestVolumeThreshold
  uint32_t time_window_ms = 60000;         // rollingWindow.timeWindowInMillis
  uint32_t bucket_size_ms = 10000;         // rollingWindow.bucketSizeInMillis
  double failure_threshold = 0.5;          // ratio of failed requests (0.0 - 1.0)
  uint32_t reset_time_ms = 10000;          // resetTimeInMillis: open -> half-open
  std::vector<int> status_codes;           // backend answers counted as failures
};

}  // namespace gw::conf
