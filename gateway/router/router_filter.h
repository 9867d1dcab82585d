#pragma once

// The router: the terminal upstream filter. Sends the matched request to one
// of its API's production endpoints (sandbox endpoints for a token whose
// keytype is SANDBOX) as one http::UpstreamStream (upstream_codec.h), whatever
// the protocol: HTTP/1.1 on a connection of its own from proxy_connector
// (directly or via the forward proxy; Http1UpstreamCodec), or a stream on a
// shared HTTP/2 connection (Http2Pool) to an endpoint configured with `http2:
// prior-knowledge` or that chose "h2" by ALPN (router_filter_http2.cc). The
// request and response handling is the same for both; streams the body both
// ways with flow control, and feeds the backend's response into the encode
// chain. One per request, on the worker thread that owns the client connection.

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "conf/config.h"
#include "gateway/common/bev_write.h"
#include "gateway/discovery/endpoint_store.h"
#include "gateway/event/dispatcher.h"
#include "gateway/http/filter.h"
#include "gateway/http/http1_upstream_codec.h"
#include "gateway/http/upstream_codec.h"
#include "gateway/router/endpoint_guard.h"
#include "gateway/router/retry_policy.h"
#include "gateway/router/route_table.h"
#include "proxy_connector/connector.h"
#include "proxy_connector/http2_pool.h"

namespace gw::stats {
class Histogram;
class Counter;
}  // namespace gw::stats

namespace gw::router {

// Immutable, shared by all router instances.
struct RouterConfig {
  conf::HttpClientsConfig http_clients;  // [httpClients]: proxyFor(scheme)
  // What a request to an endpoint URL needs that depends on config only.
  struct PreparedEndpoint {
    // The connect request (proxy resolved, pool key computed;
    // connectRequestFor()), for each value of ConnectRequest::retries_if_stale.
    proxy::ConnectRequest connect[2];
    std::string authority;  // Host / :authority (upstream_headers.h authority())
  };
  // Made once at start-up for each endpoint URL of the served APIs. Endpoints
  // not in it (etcd gave them) are prepared per request.
  std::unordered_map<const conf::EndpointUrl*, PreparedEndpoint> prepared;
  // advanceEndpointConfig retries and circuit breakers, per endpoint URL.
  EndpointGuards guards;
  // The URLs etcd gave for etcd(<key>, <defaultUrl>) endpoints; null = defaults.
  const discovery::EndpointStore* discovery = nullptr;
  stats::Histogram* upstream_latency = nullptr;
  stats::Counter* retries = nullptr;
  // Secured routes refused because no auth filter validated the request.
  stats::Counter* unauthenticated = nullptr;
  uint32_t request_body_timeout_ms = 0;  // [listenerConfig] requestBodyTimeoutInMillis; 0 = off
  // How long a response may wait on a client whose socket buffer stays full
  // (listenerConfig.idleTimeoutInMillis); 0 = no limit.
  uint32_t client_stall_timeout_ms = 0;
};

// How the router reaches `url`, an endpoint URL of `endpoints`, with the
// pool key filled in.
RouterConfig::PreparedEndpoint prepareEndpoint(const conf::HttpClientsConfig& http_clients,
                                               const conf::EndpointConfig& endpoints,
                                               const conf::EndpointUrl& url);
proxy::ConnectRequest connectRequestFor(const conf::HttpClientsConfig& http_clients,
                                        const conf::EndpointConfig& endpoints,
                                        const conf::EndpointUrl& url);

class RouterFilter : public http::PassThroughFilter,
                     public proxy::ConnectCallbacks,
                     public http::DownstreamWatermarkCallbacks,
                     private http::UpstreamStreamCallbacks,
                     private proxy::Http2Pool::Waiter {
 public:
  explicit RouterFilter(std::shared_ptr<const RouterConfig> config);
  ~RouterFilter() override;

  http::FilterStatus decodeHeaders(http::RequestHeaders& headers, bool end_stream) override;
  http::FilterStatus decodeData(std::string& data, bool end_stream) override;
  http::FilterStatus decodeTrailers(http::HeaderMap& trailers) override;
  void onDestroy() override;
  http::DownstreamWatermarkCallbacks* downstreamWatermarkCallbacks() override { return this; }

  // proxy::ConnectCallbacks
  void onConnected(proxy::UpstreamConnectionPtr connection) override;
  void onConnectFailed(const proxy::ConnectFailure& failure) override;

  // http::DownstreamWatermarkCallbacks
  void onAboveWriteBufferHighWatermark() override;
  void onBelowWriteBufferLowWatermark() override;

 private:
  static void onUpstreamRead(struct bufferevent* bev, void* arg);
  static void onUpstreamWrite(struct bufferevent* bev, void* arg);
  static void onUpstreamEvent(struct bufferevent* bev, short events, void* arg);
  // http::UpstreamStreamCallbacks: the backend's response on stream_, either
  // protocol (router_filter_response.cc).
  bool onResponseHeaders(http::ResponseHeaders&& headers, bool no_body) override;
  bool onResponseData(std::string_view data) override;
  void onResponseComplete(http::HeaderMap&& trailers, bool keep_alive) override;
  void onTrailerDropped(std::string_view name) override;
  void onStreamReset(http::StreamResetReason reason, std::string_view detail) override;
  void onRequestBodyDrained() override;
  // proxy::Http2Pool::Waiter: the HTTP/2 upstream (router_filter_http2.cc).
  void onHttp2Ready(proxy::Http2PoolConnection& connection) override;
  void onHttp2Failed(const proxy::ConnectFailure& failure) override;
  void onHttp2Declined(proxy::UpstreamConnectionPtr connection) override;
  bool useHttp2() const;  // h2c with prior knowledge (the endpoint asks for it)
  // A gRPC call to an endpoint reached over HTTP/1.1: 501 naming the setting.
  void refuseGrpcOverHttp1();
  // https backends with [httpClients] enableHttp2: "h2" is offered in ALPN.
  bool offersHttp2() const;
  // True when the TLS handshake with an https backend chose "h2".
  bool negotiatedHttp2(const proxy::UpstreamConnection& connection) const;
  // This worker's Http2Pool for the worker's connector.
  proxy::Http2Pool& http2Pool();
  // A stream from the pool, now or when a connection has room; false (nothing
  // done) for an https backend that chose HTTP/1.1: connect over HTTP/1.1.
  bool connectHttp2(const proxy::ConnectRequest& request);
  // An HTTP/2 stream the backend refused, sent again on another connection.
  bool retryRefused(std::string_view detail);
  void releaseHttp2();
  void resumeHttp2Reading();
  // endpoint_'s PreparedEndpoint, from the config or made for an etcd URL.
  const RouterConfig::PreparedEndpoint& prepare();
  const proxy::ConnectRequest& connectRequest() const { return prepared_->connect[0]; }
  // This attempt's: connectRequest(), or its variant that lets the connector
  // skip probing a pooled HTTP/1.1 connection when a stale one can be retried.
  const proxy::ConnectRequest& attemptRequest() const;
  std::string upstreamPath() const;

  void refuseUnauthenticated();
  void refuseKeyType(bool sandbox);
  // The endpoint set chosen by the token's key type in decodeHeaders.
  const conf::EndpointConfig& endpoints() const { return *endpoints_; }
  void connectTo(size_t endpoint_index);
  // This attempt's request head (upstream_head_ with the endpoint's target).
  const http::UpstreamRequestHead& requestHead();
  // Starts stream_ on `codec` with what of the request has arrived; false when
  // the codec takes no stream now.
  bool startStream(http::UpstreamCodec& codec);
  // Hands what the stream produced to the connection.
  void flushUpstream();
  // Request bytes written but not yet taken by the backend, for the watermarks.
  size_t upstreamBufferedBytes() const;
  void writeBody(std::string_view data, bool end_stream);
  void writeTrailers(const http::HeaderMap& trailers);
  void readResponse();
  void upstreamClosed(std::string_view why);
  void failRequest(int status, std::string_view message, std::string_view description);
  bool retryable() const;
  void releaseConnection(bool reusable);
  void onTimeout();
  void onRequestBodyTimeout();
  bool proxyAnsweredInstead(const http::ResponseHeaders& response);
  void onClientStalled();
  void armTimeoutWhileUploading();
  void finishResponse();
  // advanceEndpointConfig (router_filter_resilience.cc).
  bool pickEndpoint(size_t start);
  void refuseOpenCircuit(const conf::EndpointUrl& url, const EndpointGuard& guard);
  void recordOutcome(bool failed);
  bool retryAfter(AttemptFailure failure, int status, std::string_view why);
  void onRetryTimer();
  void rewindBody();
  const EndpointGuard* guardFor(const conf::EndpointUrl* url) const;
  int64_t nowMs() const;
  // A connect failure that says the endpoint is down or slow (refused, timed out,
  // unreachable behind the proxy), not a configuration or proxy problem.
  static bool endpointFailure(const proxy::ConnectFailure& failure);

  std::shared_ptr<const RouterConfig> config_;
  const RouteMatch* route_ = nullptr;
  const conf::EndpointConfig* endpoints_ = nullptr;  // production or sandbox, per stream
  std::string method_;
  std::string path_;   // without the query, for log lines
  std::string query_;  // the request's query ("?a=1" or ""), after the filters
  // The request as the backend gets it: headers (forwardedHeaders() in
  // upstream_headers.h) set once; method, scheme, authority and path per attempt.
  http::UpstreamRequestHead upstream_head_;
  std::string request_connection_;  // the client's Connection options, for its trailers
  bool request_chunked_ = false;
  bool grpc_ = false;         // a gRPC call (content-type application/grpc)
  bool te_trailers_ = false;  // the client sent "TE: trailers" (HTTP/2 backends get it too)
  bool request_has_body_ = false;
  bool request_complete_ = false;  // client's request fully received
  bool request_written_ = false;   // fully written upstream
  std::string pending_body_;       // body that arrived before the connection
  std::optional<http::HeaderMap> pending_trailers_;
  bool downstream_read_disabled_ = false;
  // Copy of the body sent upstream, for one retry of an idempotent request.
  std::string replay_body_;
  bool replay_overflow_ = false;

  size_t endpoint_index_ = 0;
  size_t attempts_ = 0;   // connects since the first attempt or the last retry
  bool retried_ = false;  // the one retry after a reused connection closed
  // advanceEndpointConfig: retries made; the current attempt's outcome is not
  // yet counted by its circuit breaker; the attempt is the breaker's probe.
  uint32_t retries_done_ = 0;
  bool attempt_open_ = false;
  bool probe_ = false;
  event::TimerPtr retry_timer_;
  const conf::EndpointUrl* endpoint_ = nullptr;
  discovery::EndpointUrlConstPtr discovered_;                   // holds endpoint_ when etcd gave it
  const RouterConfig::PreparedEndpoint* prepared_ = nullptr;    // endpoint_'s
  std::unique_ptr<RouterConfig::PreparedEndpoint> unprepared_;  // prepared_ for an etcd URL
  proxy::ConnectHandlePtr connect_handle_;
  proxy::UpstreamConnectionPtr connection_;
  event::TimerPtr timer_;
  event::TimerPtr body_timer_;  // requestBodyTimeoutInMillis, until the request is complete
  event::MonotonicTime start_;

  // The attempt's stream, until its response completed or it was reset: on
  // connection_ through h1_codec_ (HTTP/1), or on h2_conn_ (HTTP/2).
  http::UpstreamStream* stream_ = nullptr;
  // connection_'s. On the heap: inline, it made RouterFilter (one per request)
  // too large for malloc's per-thread cache of small blocks.
  std::unique_ptr<http::Http1UpstreamCodec> h1_codec_;
  gw::net::WritePath write_path_;  // how flushUpstream() writes connection_
  // The HTTP/2 attempt: waiting for a connection, or the one its stream is on.
  proxy::Http2Pool::WaitHandlePtr h2_wait_;
  proxy::Http2PoolConnection* h2_conn_ = nullptr;
  size_t h2_unconsumed_ = 0;  // response body passed on while the client was not reading
  uint32_t h2_refusals_ = 0;  // streams the backend refused (GOAWAY, REFUSED_STREAM), retried
  bool response_headers_done_ = false;
  bool response_complete_ = false;
  bool response_bytes_seen_ = false;
  bool waiting_for_client_ = false;  // client's write buffer above its high watermark
  bool reusable_ = false;
  http::HeaderMap response_trailers_;
  std::string response_connection_;  // the backend's Connection options, for its trailers
  bool destroyed_ = false;
};

}  // namespace gw::router
