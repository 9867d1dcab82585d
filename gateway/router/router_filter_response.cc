// RouterFilter's response side: the backend's response events (from the
// HTTP/1 codec or an HTTP/2 stream) into the encode chain, and the client's
// write-buffer watermarks that pause and resume reading the backend.

#include <event2/bufferevent.h>
#include <event2/event.h>

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
  } else if (h2_stream_ == nullptr) {
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
  } else if (h2_stream_ != nullptr) {
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

// The codec refused a bad status or header name already (502 in readResponse)
// and skips the body of HEAD, 204 and 304 answers itself.
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
  out.headers = forwardedResponseHeaders(response.headers);
  // Neither ever has a body; a length would only mislead the client.
  if (status == 204 || status == 304) out.headers.remove("content-length");
  response_connection_ = connectionOptions(response.headers);
  response_headers_done_ = true;
  if (config_->upstream_latency) {
    config_->upstream_latency->observe(
        std::chrono::duration<double>(decoder_callbacks_->dispatcher().now() - start_).count());
  }
  // An HTTP/2 HEADERS frame that ends the stream ends the client's stream
  // the same way: a gRPC "trailers-only" response carries grpc-status there,
  // and a client reads it only from a header section that ends the stream.
  decoder_callbacks_->encodeHeaders(std::move(out), no_body && h2_stream_ != nullptr);
  return !destroyed_;
}

bool RouterFilter::onResponseData(std::string_view data) {
  std::string chunk(data);
  decoder_callbacks_->encodeData(chunk, false);
  if (!destroyed_ && h2_stream_ != nullptr) {
    // HTTP/2: the backend may send as much more as the client took.
    if (waiting_for_client_) {
      h2_unconsumed_ += data.size();
    } else {
      if (timer_) timer_->enable(std::chrono::milliseconds(endpoints().timeout_ms));
      h2_stream_->consumed(data.size());
      if (h2_conn_ != nullptr) h2_conn_->flush();
    }
  }
  return !destroyed_;
}

// 1xx answers never get here: the real response follows on the same connection.
void RouterFilter::onResponseComplete(http::HeaderMap&& trailers, bool keep_alive) {
  response_complete_ = true;
  reusable_ = keep_alive && request_written_;
  // The caller drains what was parsed, then finishResponse() runs.
  response_trailers_ = std::move(trailers);
  if (h2_stream_ != nullptr) {
    // HTTP/2: the stream ended (the connection stays in the pool). A response
    // that came before the whole request ends the upload too.
    if (!request_written_) h2_stream_->reset();
    h2_stream_ = nullptr;
    h2_conn_ = nullptr;
    finishResponse();
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
