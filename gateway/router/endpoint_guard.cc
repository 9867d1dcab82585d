#include "gateway/router/endpoint_guard.h"

#include "absl/strings/str_join.h"
#include "gateway/common/strcat.h"

namespace gw::router {
namespace {

void addGuards(const std::string& api, const conf::EndpointConfig& ep, stats::Store& stats,
               EndpointGuards& out) {
  if (ep.retry.count == 0 && !ep.circuit_breaker) return;
  for (const conf::EndpointUrl& url : ep.urls) {
    auto guard = std::make_unique<EndpointGuard>();
    guard->api = api;
    const stats::Labels labels = {{"api", api}, {"endpoint", url.url}};
    guard->retries =
        &stats.counter("microgw_endpoint_retries_total",
                       "Upstream retries by advanceEndpointConfig.retryConfig.", labels);
    if (ep.circuit_breaker) {
      guard->breaker = std::make_unique<CircuitBreaker>(*ep.circuit_breaker);
      guard->rejected =
          &stats.counter("microgw_circuit_breaker_rejected_total",
                         "Requests answered 503 because the endpoint's circuit was open.", labels);
      guard->opened = &stats.counter("microgw_circuit_breaker_opened_total",
                                     "Times the endpoint's circuit breaker opened.", labels);
      guard->state = &stats.gauge("microgw_circuit_breaker_state",
                                  "Circuit breaker state: 0 closed, 1 open, 2 half-open.", labels);
      guard->state->set(0);
    }
    out[&url] = std::move(guard);
  }
}

std::string codes(const std::vector<int>& status_codes) {
  return status_codes.empty() ? std::string("none") : absl::StrJoin(status_codes, ", ");
}

}  // namespace

std::string describeResilience(const conf::EndpointConfig& ep) {
  if (ep.retry.count == 0 && !ep.circuit_breaker) return "";
  std::string out = gw::cat("timeout ", ep.timeout_ms, " ms");
  if (ep.retry.count > 0) {
    const conf::RetryConfig& r = ep.retry;
    gw::catAppend(&out, ", ", r.count, " retries (wait ", r.interval_ms, " ms x ",
                  r.back_off_factor, "^n, max ", r.max_wait_interval_ms, " ms; status codes ",
                  codes(r.status_codes), ")");
  }
  if (ep.circuit_breaker) {
    const conf::CircuitBreakerConfig& c = *ep.circuit_breaker;
    gw::catAppend(&out, ", circuit breaker per URL (opens when more than ", c.failure_threshold,
                  " of >= ", c.request_volume_threshold, " requests in ", c.time_window_ms,
                  " ms fail; probe after ", c.reset_time_ms, " ms; status codes ",
                  codes(c.status_codes), ")");
  }
  return out;
}

EndpointGuards buildEndpointGuards(const RouteTable& routes, stats::Store& stats) {
  EndpointGuards guards;
  for (const auto& api : routes.apis()) {
    const std::string& title = api->api().title;
    addGuards(title, api->api().production, stats, guards);
    if (api->api().sandbox) addGuards(title, *api->api().sandbox, stats, guards);
    for (const conf::Operation& op : api->api().operations) {
      if (op.endpoint) addGuards(title, *op.endpoint, stats, guards);
      if (op.sandbox) addGuards(title, *op.sandbox, stats, guards);
    }
  }
  return guards;
}

}  // namespace gw::router
