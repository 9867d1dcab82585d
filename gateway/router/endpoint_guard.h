#pragma once

// Per endpoint URL state for advanceEndpointConfig: the circuit breaker and the
// metrics of retries and refusals. Built once per configuration (a reload
// starts every breaker closed), shared read-only by all routers; the breaker
// and the counters are atomics.

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>

#include "conf/config.h"
#include "gateway/router/circuit_breaker.h"
#include "gateway/router/route_table.h"
#include "gateway/stats/stats.h"

namespace gw::router {

struct EndpointGuard {
  std::string api;                          // API title, for messages
  std::unique_ptr<CircuitBreaker> breaker;  // null without circuitBreaker
  stats::Counter* retries = nullptr;        // microgw_endpoint_retries_total
  stats::Counter* rejected = nullptr;       // microgw_circuit_breaker_rejected_total
  stats::Counter* opened = nullptr;         // microgw_circuit_breaker_opened_total
  stats::Gauge* state = nullptr;            // microgw_circuit_breaker_state (0, 1, 2)
  // Last refusal logged (ms, monotonic): refusals are logged at most once a second.
  mutable std::atomic<int64_t> last_refusal_log_ms{-1000000};
};

using EndpointGuards = std::unordered_map<const conf::EndpointUrl*, std::unique_ptr<EndpointGuard>>;

// One guard per URL of every endpoint set (API or resource level, production
// or sandbox) that has a
// retryConfig with a count or a circuitBreaker.
EndpointGuards buildEndpointGuards(const RouteTable& routes, stats::Store& stats);

// For the start-up log: "timeout 2000 ms, 3 retries (on 502, 503), circuit
// breaker (...)", or "" when the endpoint set has neither retries nor a breaker.
std::string describeResilience(const conf::EndpointConfig& ep);

}  // namespace gw::router
