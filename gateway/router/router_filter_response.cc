// RouterFilter's response side: the backend's response events on the
// attempt's UpstreamStream (HTTP/1 or HTTP/2 alike) into the encode chain,
// what a stream reset means, and the client's write-buffer watermarks that
// pause and resume reading the backend.

#include <event2/bufferevent.h>
#include <event2/event.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/router/router_filter.h"
#include "gateway/router/upstream_headers.h"
#include "gateway/stats/stats.h"

namespace gw::router {

// While the client's buffer is full the backend is not read, so its silence
// is not the backend's: the timer instead bounds how long the client may sit
// on a full buffer (client_stall_timeout_ms), and the backend's timeout
// restarts when reading does.
void RouterFilter::onAboveWriteBufferHighWatermark() {
  waiting_for_client_ = true;
  if (connection_) {
    bufferevent_disable(connection_->bev(), EV_READ);
  } else if (stream_ == nullptr) {
    return;  // HTTP/2: onResponseData stops consuming, so the backend's window closes
  }
  if (!timer_ || !response_headers_done_) return;
  if (config_->client_stall_timeout_ms > 0) {
    timer_->enable(std::chrono::milliseconds(config_->client_stall_timeout_ms));
  } else {
    timer_->disable();
  }
}

// 408 is only the abort's cause here (the response has started): the chain
// turns it into a reset, logged as aborted=client.
void RouterFilter::onClientStalled() {
  failRequest(
      408, "Client stopped reading",
      gw::cat("the client read nothing of the response for ", config_->client_stall_timeout_ms,
              " ms (listenerConfig.idleTimeoutInMillis)"));
}

void RouterFilter::onBelowWriteBufferLowWatermark() {
  waiting_for_client_ = false;
  if (connection_) {
    bufferevent_enable(connection_->bev(), EV_READ);
  } else if (stream_ != nullptr) {
    resumeHttp2Reading();
  } else {
    return;
  }
  if (timer_ && response_headers_done_ && !response_complete_) {
    timer_->enable(std::chrono::milliseconds(endpoints().timeout_ms));
  }
}

void RouterFilter::onTrailerDropped(std::string_view name) {
  // The body already went out; a bad trailer is dropped, not forwarded.
  GW_LOG_WARN("router: dropped trailer '",
              absl::CEscape(absl::string_view(name.data(), name.size())), "' from the backend ",
              endpoint_->url, ": a field name must be a token (no spaces)");
}

// The codec refused a bad status or header name already (a ProtocolError
// reset, 502) and skips the body of HEAD, 204 and 304 answers itself.
bool RouterFilter::onResponseHeaders(http::ResponseHeaders&& response, bool no_body) {
  const int status = response.status;
  if (proxyAnsweredInstead(response)) return false;
  const EndpointGuard* guard = guardFor(endpoint_);
  recordOutcome(guard != nullptr && guard->breaker && guard->breaker->countsAsFailure(status));
  if (RetryPolicy(endpoints().retry).retriesStatus(status) &&
      retryAfter(AttemptFailure::Status, status,
                 gw::cat("the backend ", endpoint_->url, " answered ", status))) {
    return false;  // this answer never reaches the client
  }
  http::ResponseHeaders out;
  out.status = status;
  out.headers = forwardedResponseHeaders(std::move(response.headers), &response_connection_);
  // Neither ever has a body; a length would only mislead the client.
  if (status == 204 || status == 304) out.headers.remove("content-length");
  response_headers_done_ = true;
  if (config_->upstream_latency) {
    config_->upstream_latency->observe(
        std::chrono::duration<double>(decoder_callbacks_->dispatcher().now() - start_).count());
  }
  // An HTTP/2 HEADERS frame that ends the stream ends the client's stream
  // the same way: a gRPC "trailers-only" response carries grpc-status there,
  // and a client reads it only from a header section that ends the stream.
  decoder_callbacks_->encodeHeaders(std::move(out), no_body && h2_conn_ != nullptr);
  return !destroyed_;
}

bool RouterFilter::onResponseData(std::string_view data) {
  std::string chunk(data);
  decoder_callbacks_->encodeData(chunk, false);
  if (!destroyed_ && h2_conn_ != nullptr && stream_ != nullptr) {
    // HTTP/2: the backend may send as much more as the client took (HTTP/1's
    // flow control is TCP's: readResponse() stops reading instead).
    if (waiting_for_client_) {
      h2_unconsumed_ += data.size();
    } else {
      if (timer_) timer_->enable(std::chrono::milliseconds(endpoints().timeout_ms));
      stream_->consumed(data.size());
      h2_conn_->flush();
    }
  }
  return !destroyed_;
}

// 1xx answers never get here: the real response follows on the same connection.
void RouterFilter::onResponseComplete(http::HeaderMap&& trailers, bool keep_alive) {
  response_complete_ = true;
  reusable_ = keep_alive && request_written_;
  response_trailers_ = std::move(trailers);
  // A response that came before the whole request ends the upload too.
  http::UpstreamStream* stream = std::exchange(stream_, nullptr);
  if (!request_written_) stream->reset();
  // HTTP/1: readResponse() finishes once it drained the parsed bytes, so that
  // the connection goes back to the pool clean. HTTP/2: the stream ended; the
  // connection stays in the pool.
  if (connection_) return;
  h2_conn_ = nullptr;
  finishResponse();
}

// The stream ended without a whole response.
void RouterFilter::onStreamReset(http::StreamResetReason reason, std::string_view detail) {
  stream_ = nullptr;
  h2_unconsumed_ = 0;
  if (destroyed_) return;
  const bool http2 = !connection_;
  h2_conn_ = nullptr;
  if (http2 && reason == http::StreamResetReason::Refused && retryRefused(detail)) return;
  const std::string why =
      http2 ? gw::cat("the backend ", endpoint_->url, " (HTTP/2): ", detail) : std::string(detail);
  switch (reason) {
    case http::StreamResetReason::ProtocolError:
      recordOutcome(true);
      failRequest(502, "Invalid response from backend",
                  http2 ? why
                        : gw::cat("the backend ", endpoint_->url,
                                  " sent a malformed HTTP response: ", detail));
      return;
    case http::StreamResetReason::Reset:
      recordOutcome(true);
      failRequest(502, "Upstream stream reset", why);
      return;
    case http::StreamResetReason::Refused:
    case http::StreamResetReason::ConnectionError:
      if (!http2) {
        upstreamClosed(detail);  // HTTP/1: a reused connection may be retried once
        return;
      }
      if (!response_headers_done_) {
        recordOutcome(true);
        if (retryAfter(AttemptFailure::Closed, 0, why)) return;
        failRequest(502, "Upstream connection closed", why);
      } else {
        failRequest(502, "Upstream connection closed mid-response", why);
      }
      return;
  }
}

void RouterFilter::finishResponse() {
  if (timer_) timer_->disable();
  if (body_timer_) body_timer_->disable();
  releaseConnection(reusable_);
  http::HeaderMap trailers = forwardedTrailers(response_trailers_, response_connection_);
  response_trailers_.clear();
  if (!trailers.empty()) {
    decoder_callbacks_->encodeTrailers(std::move(trailers));
  } else {
    std::string empty;
    decoder_callbacks_->encodeData(empty, true);
  }
}

}  // namespace gw::router
