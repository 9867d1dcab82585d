#include "gateway/router/router_filter.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/escaping.h"
#include "gateway/common/bev_write.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/http/grpc.h"
#include "gateway/router/upstream_headers.h"
#include "gateway/stats/stats.h"
#include "proxy_connector/connect_protocol.h"
#include "proxy_connector/proxy_resolver.h"

namespace gw::router {
namespace {

// Stop reading the client when this much request body waits for the backend.
constexpr size_t kHighWatermark = 1 << 20;
constexpr size_t kLowWatermark = 256 << 10;
// An idempotent request whose body fits in this much is kept for one retry.
constexpr size_t kReplayBodyLimit = 64 << 10;

}  // namespace

RouterFilter::RouterFilter(std::shared_ptr<const RouterConfig> config)
    : config_(std::move(config)) {}

RouterFilter::~RouterFilter() { onDestroy(); }

http::FilterStatus RouterFilter::decodeHeaders(http::RequestHeaders& headers, bool end_stream) {
  route_ = decoder_callbacks_->route();
  if (route_ == nullptr || route_->result == RouteMatch::Result::NoApi) {
    decoder_callbacks_->sendLocalReply(404, "Resource not found",
                                       "no API or resource matches the request path");
    return http::FilterStatus::StopIteration;
  }
  if (route_->result == RouteMatch::Result::MethodNotAllowed) {
    decoder_callbacks_->sendLocalReply(
        405, "Method not allowed", gw::cat("the resource allows only: ", route_->allowed_methods));
    return http::FilterStatus::StopIteration;
  }
  if (route_->secured() && !decoder_callbacks_->authenticated()) {
    refuseUnauthenticated();
    return http::FilterStatus::StopIteration;
  }
  method_ = headers.method;
  path_ = std::string(headers.pathOnly());
  // Chosen once: every attempt, retry and guard of this stream uses this set.
  const bool sandbox = isSandboxKey(decoder_callbacks_->identity().key_type);
  endpoints_ = route_->endpointsFor(sandbox);
  if (endpoints_ == nullptr) {
    refuseKeyType(sandbox);
    return http::FilterStatus::StopIteration;
  }
  const conf::EndpointConfig& ep = *endpoints_;
  query_ = std::string(headers.query());  // as filters left it (api_key removes its parameter)
  const std::string* te = headers.headers.get("transfer-encoding");
  request_chunked_ = te != nullptr && http::iequals(*te, "chunked");
  request_has_body_ = request_chunked_ || headers.headers.has("content-length");
  // Only a request with a body can have trailers.
  if (!end_stream) request_connection_ = connectionOptions(headers.headers);
  grpc_ = http::isGrpc(headers.headers);
  const std::string* te_field = headers.headers.get("te");
  te_trailers_ = te_field != nullptr && http::hasToken(*te_field, "trailers");
  // securityConfig: the backend gets the gateway's credential, never the client's (WSO2's rule).
  if (!ep.security.authorization.empty()) {
    headers.headers.set("Authorization", ep.security.authorization);
  }
  upstream_head_.headers = forwardedHeaders(headers, decoder_callbacks_->downstreamAddress(),
                                            decoder_callbacks_->downstreamTls(), request_chunked_);
  request_complete_ = end_stream;
  start_ = decoder_callbacks_->dispatcher().now();
  timer_ = decoder_callbacks_->dispatcher().createTimer([this] { onTimeout(); });
  timer_->enable(std::chrono::milliseconds(ep.timeout_ms));
  if (!end_stream && config_->request_body_timeout_ms > 0) {
    body_timer_ = decoder_callbacks_->dispatcher().createTimer([this] { onRequestBodyTimeout(); });
    body_timer_->enable(std::chrono::milliseconds(config_->request_body_timeout_ms));
  }
  const size_t first = ep.type == conf::EndpointType::LoadBalance
                           ? route_->api->nextEndpointIndex(ep.urls.size())
                           : 0;
  if (!pickEndpoint(first)) return http::FilterStatus::StopIteration;  // every circuit open
  return http::FilterStatus::Continue;
}

// The one place that keeps a secured resource from being served unauthenticated:
// whatever the chain holds, no auth filter marked this stream.
void RouterFilter::refuseUnauthenticated() {
  if (config_->unauthenticated != nullptr) config_->unauthenticated->inc();
  http::LocalReply reply;
  reply.status = 401;
  reply.code = "900902";
  reply.message = "Missing Credentials";
  const conf::OperationSecurity& sec = route_->operation->security;
  reply.description =
      !sec.oauth2 && sec.api_key
          ? gw::cat("API '", route_->apiName(),
                    "' accepts only API keys (x-wso2-application-security): send one, and "
                    "keep the api_key filter in the filter chain")
          : gw::cat(
                "the resource is secured: send a valid access token (no authentication "
                "filter validated this request; jwt_authn, oauth2_introspection or api_key must be "
                "in the filter chain)");
  reply.headers.add("WWW-Authenticate", "Bearer");
  decoder_callbacks_->sendLocalReply(reply);
}

// WSO2 (microgateway 3.x) answers a token whose key type has no endpoint set
// with 403, code 900901.
void RouterFilter::refuseKeyType(bool sandbox) {
  const char* kind = sandbox ? "sandbox" : "production";
  const char* key = sandbox ? "x-wso2-sandbox-endpoints" : "x-wso2-production-endpoints";
  GW_LOG_WARN("API '", route_->apiName(), "' ", method_, " ", path_, ": refused a ", kind,
              " token: the API defines no ", key, " (add them, or use a ",
              sandbox ? "production" : "sandbox", " token)");
  http::LocalReply reply;
  reply.status = 403;
  reply.code = "900901";
  reply.message = sandbox ? "Sandbox key offered to the API with no sandbox endpoint"
                          : "Production key offered to the API with no production endpoint";
  reply.description = gw::cat("API '", route_->apiName(), "' has no ", key,
                              " for this resource: ", "call it with a ",
                              sandbox ? "production" : "sandbox", " token");
  decoder_callbacks_->sendLocalReply(reply);
}

void RouterFilter::connectTo(size_t index) {
  const conf::EndpointConfig& ep = endpoints();
  endpoint_ = &ep.urls[index % ep.urls.size()];
  if (!endpoint_->etcd_key.empty() && config_->discovery != nullptr) {
    discovered_ = config_->discovery->lookup(endpoint_->etcd_key);
    if (discovered_) endpoint_ = discovered_.get();  // else its default URL
  }
  ++attempts_;
  prepared_ = &prepare();
  const proxy::ConnectRequest& request = attemptRequest();
  if ((useHttp2() || offersHttp2()) && connectHttp2(request)) return;
  if (grpc_ && !offersHttp2()) {
    refuseGrpcOverHttp1();
    return;
  }
  connect_handle_ = decoder_callbacks_->connector().connect(request, *this);
}

const proxy::ConnectRequest& RouterFilter::attemptRequest() const {
  // retryable() will send it again if a pooled connection was already closed.
  const bool retries_if_stale = !retried_ && !request_has_body_ && isIdempotent(method_);
  return prepared_->connect[retries_if_stale];
}

proxy::ConnectRequest connectRequestFor(const conf::HttpClientsConfig& http_clients,
                                        const conf::EndpointConfig& endpoints,
                                        const conf::EndpointUrl& url) {
  proxy::ConnectRequest req;
  req.target = proxy::Target{url.scheme, url.host, url.port};
  req.proxy = proxy::resolveProxy(http_clients.proxyFor(url.scheme), endpoints.proxy,
                                  /*internal=*/false, url.host, url.port);
  req.offer_http2 = http_clients.enable_http2 && url.scheme == "https";  // see offersHttp2()
  return proxy::withPoolKey(std::move(req));
}

RouterConfig::PreparedEndpoint prepareEndpoint(const conf::HttpClientsConfig& http_clients,
                                               const conf::EndpointConfig& endpoints,
                                               const conf::EndpointUrl& url) {
  RouterConfig::PreparedEndpoint p;
  p.connect[0] = connectRequestFor(http_clients, endpoints, url);
  p.connect[1] = p.connect[0];
  p.connect[1].retries_if_stale = true;
  p.authority = authority(url);
  return p;
}

const RouterConfig::PreparedEndpoint& RouterFilter::prepare() {
  auto it = config_->prepared.find(endpoint_);
  if (it != config_->prepared.end()) return it->second;
  unprepared_ = std::make_unique<RouterConfig::PreparedEndpoint>(
      prepareEndpoint(config_->http_clients, endpoints(), *endpoint_));
  return *unprepared_;
}

void RouterFilter::onConnected(proxy::UpstreamConnectionPtr connection) {
  connect_handle_.reset();
  if (negotiatedHttp2(*connection)) {
    onHttp2Ready(http2Pool().adopt(connectRequest(), std::move(connection),
                                   config_->http_clients.pool.streamsPerConnection()));
    return;
  }
  if (grpc_) {  // the https backend chose HTTP/1.1; the unused connection is pooled
    decoder_callbacks_->connector().release(std::move(connection), true);
    refuseGrpcOverHttp1();
    return;
  }
  connection_ = std::move(connection);
  decoder_callbacks_->setUpstreamDescription(connection_->describe());
  http::Http1UpstreamOptions options;
  options.absolute_form = connection_->absoluteForm();
  if (options.absolute_form) options.proxy_authorization = connection_->proxyAuthorization();
  h1_codec_ = std::make_unique<http::Http1UpstreamCodec>(std::move(options));
  bufferevent* bev = connection_->bev();
  bufferevent_setcb(bev, &RouterFilter::onUpstreamRead, &RouterFilter::onUpstreamWrite,
                    &RouterFilter::onUpstreamEvent, this);
  bufferevent_setwatermark(bev, EV_WRITE, kLowWatermark, 0);
  // Writes go out through flushOutput(): EV_WRITE is armed only while the
  // socket buffer is full (TLS inside a proxy tunnel keeps libevent's own writing).
  // Only what changes (a pooled connection is usually reading, not writing):
  // each enable or disable is an event_add or event_del.
  const short enabled = bufferevent_get_enabled(bev);
  if ((enabled & EV_READ) == 0) bufferevent_enable(bev, EV_READ);
  write_path_ = gw::net::writePathOf(bev);
  if (write_path_.direct()) {
    if (enabled & EV_WRITE) bufferevent_disable(bev, EV_WRITE);
  } else {
    bufferevent_enable(bev, EV_WRITE);
  }
  startStream(*h1_codec_);  // a fresh HTTP/1 connection always takes the stream
  // Bytes may already wait (a tunnel's first bytes arrive with the proxy's 200).
  if (connection_ && evbuffer_get_length(bufferevent_get_input(bev)) > 0) readResponse();
}

std::string RouterFilter::upstreamPath() const {
  const std::string& matched = route_->upstream_path;
  std::string path =
      gw::cat(endpoint_->base_path, std::string_view(matched).substr(0, matched.find('?')),
              upstreamQuery(endpoint_->query, query_));
  if (path.empty() || path[0] != '/') path.insert(0, "/");
  return path;
}

const http::UpstreamRequestHead& RouterFilter::requestHead() {
  upstream_head_.method = method_;
  upstream_head_.scheme = endpoint_->scheme;
  upstream_head_.authority = prepared_->authority;
  upstream_head_.path = upstreamPath();
  if (te_trailers_) {
    // TE is hop-by-hop (forwardedHeaders() drops it), but "trailers" is the one
    // value HTTP/2 carries, and gRPC servers refuse a call without it.
    upstream_head_.headers.remove("te");
    if (h2_conn_ != nullptr) upstream_head_.headers.add("te", "trailers");
  }
  return upstream_head_;
}

bool RouterFilter::startStream(http::UpstreamCodec& codec) {
  const bool end_stream = request_complete_ && pending_body_.empty() && !pending_trailers_;
  stream_ = codec.newStream(requestHead(), end_stream, *this);
  if (stream_ == nullptr) return false;
  if (end_stream) {
    request_written_ = true;
  } else {
    if (!pending_body_.empty() || (request_complete_ && !pending_trailers_)) {
      std::string body;
      body.swap(pending_body_);
      writeBody(body, request_complete_ && !pending_trailers_);
    }
    if (pending_trailers_ && stream_ != nullptr) writeTrailers(*pending_trailers_);
  }
  flushUpstream();
  if (downstream_read_disabled_ && upstreamBufferedBytes() < kHighWatermark) {
    downstream_read_disabled_ = false;
    decoder_callbacks_->readDisableDownstream(false);
  }
  return true;
}

void RouterFilter::flushUpstream() {
  if (connection_) {
    bufferevent* bev = connection_->bev();
    h1_codec_->moveOutput(bufferevent_get_output(bev));
    gw::net::flushOutput(bev, write_path_);
  } else if (h2_conn_ != nullptr) {
    h2_conn_->flush();
  }
}

size_t RouterFilter::upstreamBufferedBytes() const {
  if (connection_) return evbuffer_get_length(bufferevent_get_output(connection_->bev()));
  return stream_ != nullptr ? stream_->bufferedRequestBytes() : 0;
}

void RouterFilter::writeBody(std::string_view data, bool end_stream) {
  if (!replay_overflow_) {
    if (replay_body_.size() + data.size() <= kReplayBodyLimit) {
      replay_body_.append(data.data(), data.size());
    } else {
      replay_overflow_ = true;
      replay_body_.clear();
      replay_body_.shrink_to_fit();
    }
  }
  if (end_stream) request_written_ = true;
  stream_->sendData(data, end_stream);
}

void RouterFilter::writeTrailers(const http::HeaderMap& trailers) {
  replay_overflow_ = true;  // requests with trailers are not replayed
  request_written_ = true;
  // HTTP/1 sends them only after a chunked body (a Content-Length body has none).
  stream_->sendTrailers(forwardedTrailers(trailers, request_connection_));
}

http::FilterStatus RouterFilter::decodeData(std::string& data, bool end_stream) {
  if (end_stream) {
    request_complete_ = true;
    if (body_timer_) body_timer_->disable();
  }
  armTimeoutWhileUploading();
  if (stream_ != nullptr) {
    writeBody(data, end_stream);
    flushUpstream();
    if (!downstream_read_disabled_ && upstreamBufferedBytes() > kHighWatermark) {
      downstream_read_disabled_ = true;
      decoder_callbacks_->readDisableDownstream(true);
    }
  } else {
    pending_body_ += data;
    if (!downstream_read_disabled_ && pending_body_.size() > kHighWatermark) {
      downstream_read_disabled_ = true;
      decoder_callbacks_->readDisableDownstream(true);
    }
  }
  return http::FilterStatus::StopIteration;
}

http::FilterStatus RouterFilter::decodeTrailers(http::HeaderMap& trailers) {
  request_complete_ = true;
  if (body_timer_) body_timer_->disable();
  armTimeoutWhileUploading();
  if (stream_ != nullptr) {
    writeTrailers(trailers);
    flushUpstream();
  } else {
    pending_trailers_ = trailers;
  }
  return http::FilterStatus::StopIteration;
}

// The backend's answer is due timeoutInMillis after the last request byte: a
// slow upload is not a slow backend.
void RouterFilter::armTimeoutWhileUploading() {
  if (timer_ && !response_headers_done_) {
    timer_->enable(std::chrono::milliseconds(endpoints().timeout_ms));
  }
}

void RouterFilter::onUpstreamWrite(bufferevent* bev, void* arg) {
  auto* r = static_cast<RouterFilter*>(arg);
  gw::net::onOutputDrained(bev, r->write_path_);
  if (r->downstream_read_disabled_) {
    r->downstream_read_disabled_ = false;
    r->decoder_callbacks_->readDisableDownstream(false);
  }
}

void RouterFilter::onUpstreamRead(bufferevent*, void* arg) {
  static_cast<RouterFilter*>(arg)->readResponse();
}

// HTTP/1: the backend's bytes into h1_codec_, whose callbacks (the shared
// response handling) may reply, retry or release the connection.
void RouterFilter::readResponse() {
  if (response_headers_done_ && timer_ && !waiting_for_client_) {
    // After the headers, the timeout bounds each silence, not the whole body.
    timer_->enable(std::chrono::milliseconds(endpoints().timeout_ms));
  }
  while (connection_ && !response_complete_) {
    evbuffer* in = bufferevent_get_input(connection_->bev());
    if (evbuffer_get_length(in) == 0) return;
    response_bytes_seen_ = true;
    evbuffer_iovec vec;
    if (evbuffer_peek(in, -1, nullptr, &vec, 1) < 1) return;
    const bool ok = h1_codec_->decode(static_cast<const char*>(vec.iov_base), vec.iov_len);
    // Replied, retrying or released already (a malformed response, the proxy answered).
    if (destroyed_ || !connection_) return;
    evbuffer_drain(in, vec.iov_len);
    if (response_complete_) {
      // Bytes after the response (ok false) or still unread: not reusable.
      reusable_ = reusable_ && ok && h1_codec_->reusable() && evbuffer_get_length(in) == 0;
      finishResponse();
      return;
    }
    if (!ok) {  // bytes the codec had no stream for
      recordOutcome(true);
      failRequest(502, "Invalid response from backend",
                  gw::cat("the backend ", endpoint_->url,
                          " sent a malformed HTTP response: ", h1_codec_->error()));
      return;
    }
  }
}

void RouterFilter::onUpstreamEvent(bufferevent*, short events, void* arg) {
  auto* r = static_cast<RouterFilter*>(arg);
  if (events & BEV_EVENT_EOF) {
    if (r->connection_) r->readResponse();
    if (r->destroyed_ || r->response_complete_ || !r->connection_) return;
    // Ends a close-delimited body, or the stream (onStreamReset -> upstreamClosed).
    r->h1_codec_->decodeEof();
    if (r->destroyed_ || !r->connection_) return;
    if (r->response_complete_) {
      r->reusable_ = false;
      r->finishResponse();
      return;
    }
    r->upstreamClosed("the backend closed the connection");
  } else if (events & BEV_EVENT_ERROR) {
    r->upstreamClosed(gw::cat("connection error: ", strerror(errno)));
  }
}

bool RouterFilter::retryable() const {
  // A body can be sent again only if all of it was kept (small, no trailers).
  bool body_replayable = !request_has_body_ || (request_complete_ && !replay_overflow_);
  return !retried_ && !response_bytes_seen_ && connection_ && connection_->reused() &&
         isIdempotent(method_) && body_replayable;
}

void RouterFilter::upstreamClosed(std::string_view why) {
  if (retryable()) {
    // A pooled connection the backend had already given up on: retry once on another.
    retried_ = true;
    if (config_->retries) config_->retries->inc();
    GW_LOG_DEBUG("router: reused upstream connection closed before a response; retrying ", method_,
                 " ", endpoint_->url);
    releaseConnection(false);
    rewindBody();
    connectTo(endpoint_index_);
    return;
  }
  if (!response_headers_done_) {
    recordOutcome(true);
    if (retryAfter(AttemptFailure::Closed, 0,
                   gw::cat("the backend ", endpoint_->url, " closed before answering"))) {
      return;
    }
    failRequest(502, "Upstream connection closed",
                gw::cat("the backend ", endpoint_->url, " closed before answering: ", why));
  } else {
    failRequest(502, "Upstream connection closed mid-response", why);
  }
}

void RouterFilter::failRequest(int status, std::string_view message, std::string_view description) {
  releaseConnection(false);
  if (timer_) timer_->disable();
  if (retry_timer_) retry_timer_->disable();
  if (body_timer_) body_timer_->disable();
  GW_LOG_WARN("router: ", method_, " ", path_, " -> ", status, " ", message, ": ", description);
  decoder_callbacks_->sendLocalReply(status, message, description);
}

void RouterFilter::onConnectFailed(const proxy::ConnectFailure& failure) {
  connect_handle_.reset();
  const conf::EndpointConfig& ep = endpoints();
  bool connect_level = failure.reason == proxy::FailureReason::Refused ||
                       failure.reason == proxy::FailureReason::Resolve;
  const bool endpoint_down = endpointFailure(failure);
  if (endpoint_down) recordOutcome(true);
  if (connect_level && !failure.proxy_status && attempts_ < ep.urls.size()) {
    GW_LOG_WARN("router: endpoint ", endpoint_->url, " unavailable (", failure.detail,
                "); trying the next one");
    pickEndpoint(endpoint_index_ + 1);
    return;
  }
  if (endpoint_down && retryAfter(AttemptFailure::NotSent, 0, failure.detail)) return;
  if (timer_) timer_->disable();
  if (body_timer_) body_timer_->disable();
  GW_LOG_WARN("router: ", method_, " ", path_, " -> ", failure.http_status, " ", failure.message,
              ": ", failure.detail);
  decoder_callbacks_->sendLocalReply(failure.http_status, failure.message, failure.detail);
}

void RouterFilter::onTimeout() {
  if (waiting_for_client_) {
    onClientStalled();
    return;
  }
  if (retry_timer_ && retry_timer_->enabled()) return;  // the retry re-arms it
  const conf::EndpointConfig& ep = endpoints();
  if (connect_handle_) {
    // Still setting up: name the hop that stayed silent (e.g. the proxy).
    proxy::ConnectFailure f = connect_handle_->abandon(std::chrono::milliseconds(ep.timeout_ms),
                                                       "advanceEndpointConfig.timeoutInMillis");
    connect_handle_.reset();
    if (endpointFailure(f)) {
      recordOutcome(true);
      if (retryAfter(AttemptFailure::NotSent, 0, f.detail)) return;
    }
    failRequest(f.http_status, f.message, f.detail);
    return;
  }
  recordOutcome(true);  // no-op once the response headers counted as the outcome
  if (retryAfter(AttemptFailure::Timeout, 0,
                 gw::cat("the backend ", endpoint_->url, " did not answer within ", ep.timeout_ms,
                         " ms"))) {
    return;
  }
  failRequest(504, "Upstream timeout",
              gw::cat("the backend ", endpoint_->url, " did not answer within ", ep.timeout_ms,
                      " ms (advanceEndpointConfig.timeoutInMillis)"));
}

// The client is the slow side: 408 even when part of the body already went
// upstream (that connection is closed, never reused).
void RouterFilter::onRequestBodyTimeout() {
  connect_handle_.reset();
  failRequest(408, "Request body timeout",
              gw::cat("the request body did not arrive within ", config_->request_body_timeout_ms,
                      " ms of the request headers ([listenerConfig] requestBodyTimeoutInMillis)"));
}

// Forward mode: an answer the proxy generated itself (its 407, or its error
// page) becomes the same 502/504 as the same refusal of a CONNECT.
bool RouterFilter::proxyAnsweredInstead(const http::ResponseHeaders& response) {
  if (!connection_ || !connection_->absoluteForm()) return false;
  const int status = response.status;
  const http::HeaderMap& headers = response.headers;
  std::optional<proxy::ConnectFailure> f = decoder_callbacks_->connector().proxyAnswered(
      *connection_, status, [&headers](const std::string& name) {
        const std::string* v = headers.get(name);
        return v != nullptr ? *v : std::string();
      });
  if (!f) return false;
  if (endpointFailure(*f)) recordOutcome(true);
  failRequest(f->http_status, f->message, f->detail);
  return true;
}

void RouterFilter::releaseConnection(bool reusable) {
  releaseHttp2();  // and a stream on either protocol (no callback follows)
  if (!connection_) return;
  bufferevent_setcb(connection_->bev(), nullptr, nullptr, nullptr, nullptr);
  decoder_callbacks_->connector().release(std::move(connection_), reusable);
}

void RouterFilter::onDestroy() {
  if (destroyed_) return;
  destroyed_ = true;
  timer_.reset();
  retry_timer_.reset();
  if (attempt_open_ && probe_) {
    // The client left before the probe's outcome: let the next request probe.
    if (const EndpointGuard* guard = guardFor(endpoint_); guard && guard->breaker) {
      guard->breaker->onProbeAbandoned();
    }
  }
  body_timer_.reset();
  connect_handle_.reset();
  releaseConnection(false);
}

}  // namespace gw::router
