#pragma once

// ConnectionManager::ActiveStream: one request/response exchange on a
// downstream connection and its filter chain. Internal to the connection
// manager (connection_manager.cc is its only includer); split out so that the
// connection's byte handling and the stream's filter chain read separately.
//
// Threading and lifetime: as ConnectionManager (one worker thread; the
// connection owns its streams and removes each when it completes).

#include <event2/buffer.h>
#include <event2/event.h>

#include <memory>
#include <string>
#include <string_view>

#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/http/http1_server_codec.h"
#include "gateway/http/request_target.h"
#include "gateway/router/route_table.h"
#include "gateway/router/upstream_headers.h"
#include "gateway/server/access_log.h"
#include "gateway/server/connection_manager.h"
#include "gateway/server/transport_policy.h"
#include "gateway/stats/stats.h"

namespace gw::server {

// One request/response exchange and its filter chain.
class ConnectionManager::ActiveStream : public http::RequestDecoder,
                                        public http::StreamCallbacks,
                                        public http::FilterChainOwner,
                                        public event::DeferredDeletable {
 public:
  ActiveStream(ConnectionManager& conn, http::ResponseEncoder& encoder)
      : conn_(conn),
        encoder_(encoder),
        runtime_(conn.worker_.runtime()),
        connector_(conn.worker_.connector()),
        start_(conn.worker_.dispatcher().now()) {
    std::vector<http::StreamFilterPtr> filters;
    filters.reserve(runtime_->filter_factories.size());
    for (const auto& factory : runtime_->filter_factories) filters.push_back(factory());
    chain_ = std::make_unique<http::FilterChain>(*this, std::move(filters));
    encoder_.setStreamCallbacks(this);
  }
  ~ActiveStream() override { chain_->destroy(); }

  // Where this stream sits in the connection's list.
  std::list<std::unique_ptr<ActiveStream>>::iterator position_;

  // http::RequestDecoder
  void decodeHeaders(http::RequestHeaders headers, bool end_stream) override {
    method_ = headers.method;
    // Before any filter: a client's Connection option cannot reach what the gateway sets.
    router::dropConnectionOptions(headers.headers);
    absl::Status target = http::normalizeRequestTarget(headers.path);
    path_ = headers.path;
    if (!target.ok()) {
      chain_->sendLocalReply(400, "Bad request", std::string(target.message()));
      return;
    }
    route_ = runtime_->routes->match(headers.method, headers.path);
    if (auto refused = applyTransportPolicy(route_, conn_.transport(),
                                            runtime_->config->listener.tls, headers.headers)) {
      chain_->sendLocalReply(refused->status, refused->message, refused->description);
      return;
    }
    chain_->decodeHeaders(std::move(headers), end_stream);
    // Tell a waiting client to send its body, unless the chain already answered.
    if (!end_stream && !chain_->responseStarted() && !done_ && encoder_live_) {
      encoder_.encode100Continue();
      conn_.scheduleFlush();
    }
  }
  void decodeData(std::string& data, bool end_stream) override {
    chain_->decodeData(data, end_stream);
  }
  void decodeTrailers(http::HeaderMap trailers) override {
    chain_->decodeTrailers(std::move(trailers));
  }

  // http::FilterChainOwner
  void writeHeaders(http::ResponseHeaders& headers, bool end_stream) override {
    if (!encoder_live_) return;
    // A local reply to a gRPC call goes out as 200 with its grpc-status; the
    // log keeps the gateway's own status.
    status_ = chain_->localReplyStatus() != 0 ? chain_->localReplyStatus() : headers.status;
    encoder_.encodeHeaders(headers, end_stream);
    conn_.scheduleFlush();
    if (end_stream) complete();
  }
  void writeData(std::string& data, bool end_stream) override {
    if (!encoder_live_) return;
    bytes_ += data.size();
    encoder_.encodeData(data, end_stream);
    conn_.scheduleFlush();
    if (conn_.http1_ != nullptr) conn_.checkWriteWatermark();
    if (end_stream) complete();
  }
  void writeTrailers(http::HeaderMap& trailers) override {
    if (!encoder_live_) return;
    // gRPC: a local reply after the response started ends it with trailers.
    if (chain_->localReplyStatus() != 0) aborted_by_ = abortedBy(chain_->localReplyStatus());
    encoder_.encodeTrailers(trailers);
    conn_.scheduleFlush();
    complete();
  }
  void resetStream(std::string_view reason) override {
    if (done_) return;
    status_ = status_ == 0 ? 502 : status_;
    aborted_by_ = abortedBy(chain_->localReplyStatus());
    logAndCount();
    if (conn_.http1_ != nullptr) {
      GW_LOG_WARN("downstream ", conn_.peer_, ": closing connection mid-response: ", reason);
      conn_.close();
      return;
    }
    GW_LOG_WARN("downstream ", conn_.peer_, ": resetting HTTP/2 stream mid-response: ", reason);
    done_ = true;
    encoder_live_ = false;
    encoder_.setStreamCallbacks(nullptr);
    encoder_.resetStream();
    chain_->destroy();  // the upstream request ends now, as with an HTTP/1 close
    conn_.scheduleFlush();
    conn_.onStreamComplete(*this);
  }
  void readDisableDownstream(bool disable) override {
    if (conn_.http1_ != nullptr) {
      conn_.readDisable(disable);
    } else if (encoder_live_) {
      encoder_.readDisable(disable);
      conn_.scheduleFlush();  // a WINDOW_UPDATE may be due
    }
  }

  // http::StreamCallbacks (HTTP/2)
  void onResetStream(std::string_view reason) override {
    encoder_live_ = false;
    if (done_) return;
    GW_LOG_DEBUG("downstream ", conn_.peer_, ": ", reason);
    abort(499);
    conn_.onStreamComplete(*this);
  }
  void onAboveWriteBufferHighWatermark() override { chain_->onAboveWriteBufferHighWatermark(); }
  void onBelowWriteBufferLowWatermark() override { chain_->onBelowWriteBufferLowWatermark(); }
  const router::RouteMatch* route() const override { return &route_; }
  const std::string& downstreamAddress() const override { return conn_.peer_; }
  bool downstreamTls() const override { return conn_.transport().tls; }
  event::Dispatcher& dispatcher() override { return conn_.worker_.dispatcher(); }
  proxy::Connector& connector() override { return *connector_; }
  stats::Store& stats() override { return conn_.worker_.stats(); }
  void setUpstreamDescription(std::string d) override { upstream_ = std::move(d); }

  http::FilterChain& chain() { return *chain_; }
  bool done() const { return done_; }

  // The request ended without a response through the chain (protocol error, client gone).
  void abort(int status) {
    if (done_) return;
    done_ = true;
    if (encoder_live_) {
      encoder_live_ = false;
      encoder_.setStreamCallbacks(nullptr);
      if (conn_.http1_ == nullptr) encoder_.resetStream();
    }
    if (status_ != 0) {
      // The response had started: keep the status it went out with.
      if (aborted_by_.empty()) aborted_by_ = "client";
    } else {
      status_ = status;
    }
    logAndCount();
    chain_->destroy();
  }

 private:
  void complete() {
    if (done_) return;
    done_ = true;
    // The codec lets go of a stream whose response ended.
    encoder_live_ = false;
    logAndCount();
    conn_.onStreamComplete(*this);
  }
  void logAndCount() {
    if (logged_) return;
    logged_ = true;
    double ms = std::chrono::duration<double, std::milli>(conn_.worker_.dispatcher().now() - start_)
                    .count();
    const std::string& api = route_.apiName();
    conn_.worker_.requestCounter(api, status_).inc();
    conn_.worker_.accessLog().write(AccessLogEntry{conn_.peer_, method_, path_, status_, bytes_,
                                                   upstream_, ms, api, aborted_by_});
    if (!aborted_by_.empty()) {
      conn_.worker_.stats()
          .counter("microgw_responses_aborted_total",
                   "Responses cut off after they started, by who ended them.",
                   {{"by", std::string(aborted_by_)}})
          .inc();
    }
  }

  ConnectionManager& conn_;
  http::ResponseEncoder& encoder_;
  // The snapshot and connector this stream started on. Declared before the
  // chain so they outlive the filters, which point into them.
  const RuntimeConstSharedPtr runtime_;
  const std::shared_ptr<proxy::Connector> connector_;
  std::unique_ptr<http::FilterChain> chain_;
  router::RouteMatch route_;
  event::MonotonicTime start_;
  std::string method_, path_, upstream_;
  int status_ = 0;
  uint64_t bytes_ = 0;
  std::string_view aborted_by_;  // see AccessLogEntry::aborted_by
  bool done_ = false;
  bool logged_ = false;
  // False once the codec may have deleted `encoder_` (response ended, stream reset).
  bool encoder_live_ = true;
};

}  // namespace gw::server
