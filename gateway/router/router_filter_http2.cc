// RouterFilter's HTTP/2 upstream: the request becomes one stream on a shared
// connection from this worker's Http2Pool. Sending the request and handling
// the response are the same as for HTTP/1 (startStream() in router_filter.cc,
// router_filter_response.cc); this file adds getting the stream, its flow
// control, and retrying a stream the backend refused.

#include <utility>

#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/router/router_filter.h"
#include "gateway/router/upstream_headers.h"
#include "gateway/stats/stats.h"

namespace gw::router {
namespace {

// A stream the backend refused was never processed; it goes again on another
// connection this many times at most (each GOAWAY can refuse it once more).
constexpr uint32_t kMaxRefusedRetries = 3;

}  // namespace

bool RouterFilter::useHttp2() const {
  return config_->http_clients.enable_http2 && endpoints().http2_prior_knowledge &&
         endpoint_->scheme == "http";
}

// https backends: the connector offered "h2" in ALPN (offersHttp2()); a
// connection that negotiated it goes to the HTTP/2 pool (onConnected()).
bool RouterFilter::offersHttp2() const {
  return config_->http_clients.enable_http2 && endpoint_->scheme == "https";
}

bool RouterFilter::negotiatedHttp2(const proxy::UpstreamConnection& connection) const {
  return offersHttp2() && connection.negotiatedProtocol() == "h2";
}

proxy::Http2Pool& RouterFilter::http2Pool() {
  return proxy::Http2Pool::forWorker(decoder_callbacks_->dispatcher(),
                                     decoder_callbacks_->connector(),
                                     config_->http_clients.pool_idle_timeout_ms);
}

// h2c with prior knowledge, and an https backend unless it chose HTTP/1.1 in
// its last handshake: requests share its connections, and a burst to a
// backend not yet connected waits for a few connects instead of opening one
// each. Over HTTP/1.1, a connection whose handshake chooses h2 after all
// joins the pool in onConnected().
bool RouterFilter::connectHttp2(const proxy::ConnectRequest& request) {
  proxy::Http2Pool& pool = http2Pool();
  if (!useHttp2() && pool.declinedHttp2(request)) return false;
  if (proxy::Http2PoolConnection* c = pool.ready(request)) {
    onHttp2Ready(*c);
    return true;
  }
  h2_wait_ = pool.wait(request, config_->http_clients.pool.streamsPerConnection(), *this);
  return true;
}

void RouterFilter::onHttp2Ready(proxy::Http2PoolConnection& connection) {
  h2_wait_.reset();
  h2_conn_ = &connection;
  if (!startStream(connection.codec())) {
    // Taken by others since the pool offered it: wait for another.
    h2_conn_ = nullptr;
    if (!connectHttp2(connectRequest())) {  // the backend chose HTTP/1.1 meanwhile
      connect_handle_ = decoder_callbacks_->connector().connect(attemptRequest(), *this);
    }
    return;
  }
  decoder_callbacks_->setUpstreamDescription(connection.description());
}

// gRPC needs HTTP/2 to the backend (its status travels in trailers, its
// streams go both ways at once): a call to an endpoint reached over HTTP/1.1
// is not sent, and the chain answers it with grpc-status UNIMPLEMENTED.
void RouterFilter::refuseGrpcOverHttp1() {
  const char* fix =
      !config_->http_clients.enable_http2
          ? "[httpClients] enableHttp2 = false sends HTTP/1.1 to every backend; set it to true"
      : endpoint_->scheme == "https"
          ? "the backend chose HTTP/1.1 in ALPN; a gRPC backend must offer h2"
          : "set `http2: prior-knowledge` on the API's endpoints for an h2c gRPC backend";
  failRequest(501, "gRPC needs HTTP/2 to the backend",
              gw::cat("the backend ", endpoint_->url, " of API '", route_->apiName(),
                      "' is reached over HTTP/1.1: ", fix));
}

void RouterFilter::onHttp2Failed(const proxy::ConnectFailure& failure) {
  h2_wait_.reset();
  onConnectFailed(failure);
}

void RouterFilter::onHttp2Declined(proxy::UpstreamConnectionPtr connection) {
  h2_wait_.reset();
  if (connection) {
    onConnected(std::move(connection));  // over HTTP/1.1 (or a gRPC call refused)
  } else {
    connect_handle_ = decoder_callbacks_->connector().connect(attemptRequest(), *this);
  }
}

void RouterFilter::onRequestBodyDrained() {
  if (downstream_read_disabled_) {
    downstream_read_disabled_ = false;
    decoder_callbacks_->readDisableDownstream(false);
  }
}

void RouterFilter::resumeHttp2Reading() {
  if (timer_ && response_headers_done_ && !response_complete_) {
    timer_->enable(std::chrono::milliseconds(endpoints().timeout_ms));
  }
  const size_t n = h2_unconsumed_;
  h2_unconsumed_ = 0;
  if (n > 0 && stream_ != nullptr) {
    stream_->consumed(n);
    flushUpstream();
  }
}

// Gives up the attempt's stream (either protocol) and an HTTP/2 wait.
void RouterFilter::releaseHttp2() {
  h2_wait_.reset();
  h2_unconsumed_ = 0;
  http::UpstreamStream* stream = std::exchange(stream_, nullptr);
  if (stream != nullptr) {
    stream->reset();  // no callback follows
    if (h2_conn_ != nullptr) h2_conn_->flush();
  }
  h2_conn_ = nullptr;
}

// A stream the backend refused (GOAWAY below it, REFUSED_STREAM) was never
// processed: an idempotent request goes again on a new connection
// (kMaxRefusedRetries times at most).
bool RouterFilter::retryRefused(std::string_view detail) {
  const bool body_replayable = !request_has_body_ || (request_complete_ && !replay_overflow_);
  if (response_headers_done_ || h2_refusals_ >= kMaxRefusedRetries || !isIdempotent(method_) ||
      !body_replayable) {
    return false;
  }
  ++h2_refusals_;
  if (config_->retries) config_->retries->inc();
  GW_LOG_INFO("router: ", method_, " ", path_, ": ", detail, "; retrying on a new connection to ",
              endpoint_->url);
  rewindBody();
  connectTo(endpoint_index_);
  return true;
}

}  // namespace gw::router
