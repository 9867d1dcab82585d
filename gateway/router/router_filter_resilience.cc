// RouterFilter's advanceEndpointConfig behaviour: picking an endpoint its
// circuit breaker admits, recording attempt outcomes, and retrying on a timer.
// The when-to-retry rules are in retry_policy.h, the breaker in
// circuit_breaker.h; this file only wires them to the request.

#include <chrono>

#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/router/router_filter.h"

namespace gw::router {

int64_t RouterFilter::nowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             decoder_callbacks_->dispatcher().now().time_since_epoch())
      .count();
}

bool RouterFilter::endpointFailure(const proxy::ConnectFailure& failure) {
  switch (failure.reason) {
    case proxy::FailureReason::Resolve:
    case proxy::FailureReason::Refused:
    case proxy::FailureReason::Timeout:
    case proxy::FailureReason::Reset:
    case proxy::FailureReason::ProxyUnavailable:
    case proxy::FailureReason::ProxyTimeout:
    case proxy::FailureReason::TlsHandshake:
      return true;
    default:  // proxy credentials or ACL, TLS verification, the local pool: retrying cannot help
      return false;
  }
}

const EndpointGuard* RouterFilter::guardFor(const conf::EndpointUrl* url) const {
  auto it = config_->guards.find(url);
  return it == config_->guards.end() ? nullptr : it->second.get();
}

// Connects to the first endpoint from `start` on (round the list) whose
// circuit admits the request; answers 503 when every circuit is open.
bool RouterFilter::pickEndpoint(size_t start) {
  const conf::EndpointConfig& ep = endpoints();
  const size_t n = ep.urls.size();
  const conf::EndpointUrl* refused = nullptr;
  for (size_t i = 0; i < n; ++i) {
    const size_t index = (start + i) % n;
    const conf::EndpointUrl& url = ep.urls[index];
    const EndpointGuard* guard = guardFor(&url);
    probe_ = false;
    if (guard != nullptr && guard->breaker) {
      const CircuitBreaker::Admission a = guard->breaker->admit(nowMs());
      if (guard->state) guard->state->set(static_cast<int>(guard->breaker->state()));
      if (a == CircuitBreaker::Admission::Rejected) {
        if (refused == nullptr) refused = &url;
        continue;
      }
      probe_ = a == CircuitBreaker::Admission::Probe;
      if (probe_) {
        GW_LOG_INFO("router: circuit breaker of endpoint ", url.url, " (API '", guard->api,
                    "') half-open: letting one request through as a probe");
      }
    }
    endpoint_index_ = index;
    attempt_open_ = true;
    connectTo(index);
    return true;
  }
  refuseOpenCircuit(*refused, *guardFor(refused));
  return false;
}

void RouterFilter::refuseOpenCircuit(const conf::EndpointUrl& url, const EndpointGuard& guard) {
  const int64_t now = nowMs();
  const int64_t wait_ms = guard.breaker->msUntilProbe(now);
  if (guard.rejected) guard.rejected->inc();
  if (timer_) timer_->disable();
  if (body_timer_) body_timer_->disable();
  http::LocalReply reply;
  reply.status = 503;
  reply.message = "Endpoint circuit open";
  reply.description =
      gw::cat("the circuit breaker of endpoint ", url.url, " (API '", guard.api,
              "') is open after repeated failures; requests are refused for ", wait_ms,
              " ms more, then one is let through to test the backend "
              "(advanceEndpointConfig.circuitBreaker)");
  reply.headers.add("Retry-After", gw::cat((wait_ms + 999) / 1000));
  int64_t last = guard.last_refusal_log_ms.load(std::memory_order_relaxed);
  if (now - last >= 1000 && guard.last_refusal_log_ms.compare_exchange_strong(last, now)) {
    GW_LOG_WARN("router: ", method_, " ", path_, " -> 503: ", reply.description,
                " (refusals are logged at most once a second)");
  }
  decoder_callbacks_->sendLocalReply(reply);
}

// Counts the current attempt's outcome in its endpoint's circuit breaker, once.
void RouterFilter::recordOutcome(bool failed) {
  if (!attempt_open_) return;
  attempt_open_ = false;
  const EndpointGuard* guard = guardFor(endpoint_);
  const bool probe = probe_;
  probe_ = false;
  if (guard == nullptr || !guard->breaker) return;
  CircuitBreaker& cb = *guard->breaker;
  const int64_t now = nowMs();
  const CircuitBreaker::Transition t = cb.onOutcome(now, failed, probe);
  if (guard->state) guard->state->set(static_cast<int>(cb.state()));
  const conf::CircuitBreakerConfig& c = cb.config();
  if (t == CircuitBreaker::Transition::Opened) {
    if (guard->opened) guard->opened->inc();
    const CircuitBreaker::Window w = cb.window(now);
    GW_LOG_WARN("router: circuit breaker of endpoint ", endpoint_->url, " (API '", guard->api,
                "') opened: ", w.failures, " of ", w.total, " requests failed in the last ",
                c.time_window_ms, " ms (failureThreshold ", c.failure_threshold,
                "); refusing requests for ", c.reset_time_ms, " ms");
  } else if (t == CircuitBreaker::Transition::Reopened) {
    GW_LOG_WARN("router: circuit breaker of endpoint ", endpoint_->url, " (API '", guard->api,
                "'): the probe failed; open again for ", c.reset_time_ms, " ms");
  } else if (t == CircuitBreaker::Transition::Closed) {
    GW_LOG_INFO("router: circuit breaker of endpoint ", endpoint_->url, " (API '", guard->api,
                "') closed: the probe succeeded");
  }
}

// Puts what was sent of the request body back in front of what is still to
// send, for the next attempt.
void RouterFilter::rewindBody() {
  replay_body_ += pending_body_;
  pending_body_ = std::move(replay_body_);
  replay_body_.clear();
  request_written_ = false;
}

// Schedules the next attempt when retryConfig allows it and the retry is
// safe: nothing of a response went to the client, and the request body, if
// any, was kept whole (at most 64 KiB, no trailers).
bool RouterFilter::retryAfter(AttemptFailure failure, int status, std::string_view why) {
  const conf::EndpointConfig& ep = endpoints();
  const RetryPolicy policy(ep.retry);
  if (!policy.shouldRetry(failure, status, method_, retries_done_)) return false;
  if (response_headers_done_ || (request_has_body_ && replay_overflow_)) return false;
  ++retries_done_;
  if (const EndpointGuard* guard = guardFor(endpoint_); guard != nullptr && guard->retries) {
    guard->retries->inc();
  }
  const std::chrono::milliseconds wait = policy.delay(retries_done_);
  GW_LOG_WARN("router: ", method_, " ", path_, ": ", why, "; retry ", retries_done_, "/",
              policy.count(), " in ", wait.count(), " ms (advanceEndpointConfig.retryConfig)");
  releaseConnection(false);
  connect_handle_.reset();
  rewindBody();
  response_bytes_seen_ = false;
  response_complete_ = false;
  if (timer_) timer_->disable();
  if (!retry_timer_) {
    retry_timer_ = decoder_callbacks_->dispatcher().createTimer([this] { onRetryTimer(); });
  }
  retry_timer_->enable(wait);
  return true;
}

// A retry goes to the next endpoint of a load_balance or failover list.
void RouterFilter::onRetryTimer() {
  const conf::EndpointConfig& ep = endpoints();
  attempts_ = 0;
  if (timer_) timer_->enable(std::chrono::milliseconds(ep.timeout_ms));
  pickEndpoint(endpoint_index_ + 1);
}

}  // namespace gw::router
