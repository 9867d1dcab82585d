#include "gateway/server/connection_manager.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <sys/socket.h>

#include "gateway/common/bev_write.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/http/http1_server_codec.h"
#include "gateway/http/request_target.h"
#include "gateway/router/route_table.h"
#include "gateway/router/upstream_headers.h"
#include "gateway/server/access_log.h"
#include "gateway/server/transport_policy.h"
#include "gateway/stats/stats.h"

namespace gw::server {
namespace {
// Client socket buffer watermarks for response streaming.
constexpr size_t kWriteHighWatermark = 1 << 20;
constexpr size_t kWriteLowWatermark = 256 << 10;
// Stop reading from the client when this much unparsed input waits.
constexpr size_t kReadHighWatermark = 1 << 20;
// After a final response on a connection we close, keep discarding the
// client's late bytes this long so the response is not lost to a TCP reset.
constexpr std::chrono::milliseconds kLingerTime{2000};

http::UnderscoreHeaders codecUnderscoreAction(conf::UnderscoreHeaderAction action) {
  switch (action) {
    case conf::UnderscoreHeaderAction::Reject:
      return http::UnderscoreHeaders::Reject;
    case conf::UnderscoreHeaderAction::Allow:
      return http::UnderscoreHeaders::Allow;
    case conf::UnderscoreHeaderAction::Drop:
      break;
  }
  return http::UnderscoreHeaders::Drop;
}

http::KeepAlivePolicy codecKeepAlive(conf::KeepAliveMode mode) {
  switch (mode) {
    case conf::KeepAliveMode::Always:
      return http::KeepAlivePolicy::Always;
    case conf::KeepAliveMode::Never:
      return http::KeepAlivePolicy::Never;
    case conf::KeepAliveMode::Auto:
      break;
  }
  return http::KeepAlivePolicy::Auto;
}
}  // namespace

// One request/response exchange and its filter chain.
class ConnectionManager::ActiveStream : public http::RequestDecoder,
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
    for (const auto& factory : runtime_->filter_factories) filters.push_back(factory());
    chain_ = std::make_unique<http::FilterChain>(*this, std::move(filters));
  }
  ~ActiveStream() override { chain_->destroy(); }

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
    if (auto refused = applyTransportPolicy(route_, conn_.transport_,
                                            runtime_->config->listener.tls, headers.headers)) {
      chain_->sendLocalReply(refused->status, refused->message, refused->description);
      return;
    }
    chain_->decodeHeaders(std::move(headers), end_stream);
    // Tell a waiting client to send its body, unless the chain already answered.
    if (!end_stream && !chain_->responseStarted() && !done_) {
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
    status_ = headers.status;
    encoder_.encodeHeaders(headers, end_stream);
    conn_.scheduleFlush();
    if (end_stream) complete();
  }
  void writeData(std::string& data, bool end_stream) override {
    bytes_ += data.size();
    encoder_.encodeData(data, end_stream);
    conn_.scheduleFlush();
    conn_.checkWriteWatermark();
    if (end_stream) complete();
  }
  void writeTrailers(http::HeaderMap& trailers) override {
    encoder_.encodeTrailers(trailers);
    conn_.scheduleFlush();
    complete();
  }
  void resetStream(std::string_view reason) override {
    GW_LOG_WARN("downstream ", conn_.peer_, ": closing connection mid-response: ", reason);
    status_ = status_ == 0 ? 502 : status_;
    aborted_by_ = abortedBy(chain_->localReplyStatus());
    logAndCount();
    conn_.close();
  }
  void readDisableDownstream(bool disable) override { conn_.readDisable(disable); }
  const router::RouteMatch* route() const override { return &route_; }
  const std::string& downstreamAddress() const override { return conn_.peer_; }
  bool downstreamTls() const override { return conn_.transport_.tls; }
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
    logAndCount();
    conn_.onStreamComplete();
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
};

ConnectionManager::ConnectionManager(WorkerContext& worker, bufferevent* bev, std::string peer,
                                     DownstreamTransport transport)
    : worker_(worker), bev_(bev), peer_(std::move(peer)), transport_(std::move(transport)) {
  const conf::ListenerConfig& l = worker_.runtime()->config->listener;
  http::CodecLimits limits{
      l.max_uri_length,
      l.max_header_size,
      l.max_entity_body_size,
      l.max_header_count,
      codecUnderscoreAction(l.headers_with_underscores),
      &worker_.stats().counter("microgw_downstream_headers_with_underscores_dropped_total",
                               "Request header and trailer fields dropped because their name has "
                               "an underscore (listenerConfig.headersWithUnderscoresAction).")};
  limits.keep_alive = codecKeepAlive(l.keep_alive);
  codec_ = std::make_unique<http::Http1ServerCodec>(*this, bufferevent_get_output(bev_), limits);
  timer_ = worker_.dispatcher().createTimer([this] { onTimer(); });
  flush_event_.reset(event_new(worker_.dispatcher().base(), -1, 0, &onFlushCb, this));
}

ConnectionManager::~ConnectionManager() {
  if (stream_) stream_->abort(499);
  stream_.reset();
  timer_.reset();
  if (bev_ != nullptr) bufferevent_free(bev_);
}

void ConnectionManager::start() {
  bufferevent_setcb(bev_, &onReadCb, &onWriteCb, &onEventCb, this);
  bufferevent_setwatermark(bev_, EV_WRITE, kWriteLowWatermark, 0);
  bufferevent_setwatermark(bev_, EV_READ, 0, kReadHighWatermark);
  // EV_WRITE stays off (libevent enables it by default): responses go out
  // through flushOutput() (bev_write.h).
  bufferevent_disable(bev_, EV_WRITE);
  bufferevent_enable(bev_, EV_READ);
  armIdle();
}

void ConnectionManager::armIdle() {
  timer_mode_ = TimerMode::Idle;
  timer_->enable(std::chrono::milliseconds(worker_.runtime()->config->listener.idle_timeout_ms));
}

void ConnectionManager::onReadCb(bufferevent*, void* arg) {
  static_cast<ConnectionManager*>(arg)->onRead();
}
void ConnectionManager::onWriteCb(bufferevent*, void* arg) {
  static_cast<ConnectionManager*>(arg)->onWrite();
}
void ConnectionManager::onEventCb(bufferevent*, short events, void* arg) {
  static_cast<ConnectionManager*>(arg)->onEvent(events);
}

void ConnectionManager::onRead() {
  if (closed_) return;
  evbuffer* input = bufferevent_get_input(bev_);
  if (lingering_) {
    evbuffer_drain(input, evbuffer_get_length(input));
    return;
  }
  if (!codec_->streamActive() && timer_mode_ != TimerMode::HeaderRead &&
      evbuffer_get_length(input) > 0) {
    // A request has begun: it must finish its headers in time.
    timer_mode_ = TimerMode::HeaderRead;
    timer_->enable(
        std::chrono::milliseconds(worker_.runtime()->config->listener.header_read_timeout_ms));
  }
  in_dispatch_ = true;
  codec_->dispatch(input);
  in_dispatch_ = false;
}

http::RequestDecoder& ConnectionManager::newStream(http::ResponseEncoder& encoder) {
  timer_->disable();
  timer_mode_ = TimerMode::None;
  if (worker_.draining()) codec_->disableKeepAlive();
  // listenerConfig.maxPipelinedRequests: this request waited behind that many
  // others; its response closes the connection (the client sends the rest again).
  const int64_t max_pipelined = worker_.runtime()->config->listener.max_pipelined_requests;
  if (max_pipelined > 0 && pipelined_ >= max_pipelined) codec_->disableKeepAlive();
  stream_ = std::make_unique<ActiveStream>(*this, encoder);
  return *stream_;
}

void ConnectionManager::onStreamComplete() {
  // The stream may be deep in its own callbacks: delete it later.
  worker_.dispatcher().deferredDelete(std::move(stream_));
  if (!codec_->keepAlive() || close_after_response_ || worker_.draining()) {
    closeAfterWrite();
    return;
  }
  codec_->resume();
  armIdle();
  // Pipelined requests may already wait in the input buffer. Parse them from
  // a fresh callback so this stack (maybe the router's) unwinds first.
  if (evbuffer_get_length(bufferevent_get_input(bev_)) > 0) {
    ++pipelined_;  // sent before this response: one more request in the pipeline
    bufferevent_trigger(bev_, EV_READ, BEV_OPT_DEFER_CALLBACKS);
  } else {
    pipelined_ = 0;
  }
}

void ConnectionManager::onProtocolError(int status, std::string_view message,
                                        std::string_view description) {
  GW_LOG_INFO("downstream ", peer_, ": ", status, " ", message, ": ", description);
  if (stream_ && stream_->chain().responseStarted()) {
    stream_->abort(status);
    close();
    return;
  }
  if (stream_) {
    stream_->abort(status);
    worker_.dispatcher().deferredDelete(std::move(stream_));
  } else {
    worker_.requestCounter("", status).inc();
    worker_.accessLog().write(AccessLogEntry{peer_, "-", "-", status, 0, "", 0, ""});
  }
  std::string body = http::localReplyBody(status, message, description);
  std::string out = gw::cat("HTTP/1.1 ", status, " ", http::reasonPhrase(status),
                            "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(),
                            "\r\nConnection: close\r\n\r\n", body);
  evbuffer_add(bufferevent_get_output(bev_), out.data(), out.size());
  closeAfterWrite();
}

void ConnectionManager::closeAfterWrite() {
  if (closed_) return;
  close_after_write_ = true;
  timer_->disable();
  if (evbuffer_get_length(bufferevent_get_output(bev_)) == 0) {
    onWrite();
    return;
  }
  bufferevent_setwatermark(bev_, EV_WRITE, 0, 0);  // call onWrite when fully flushed
  scheduleFlush();
}

// Response bytes written during one loop callback (headers, body, end) leave
// in one writev, right after that callback.
void ConnectionManager::scheduleFlush() {
  if (flush_scheduled_ || closed_) return;
  flush_scheduled_ = true;
  event_active(flush_event_.get(), EV_WRITE, 0);
}

void ConnectionManager::onFlushCb(evutil_socket_t, short, void* arg) {
  static_cast<ConnectionManager*>(arg)->onFlush();
}

void ConnectionManager::onFlush() {
  flush_scheduled_ = false;
  if (closed_) return;
  gw::net::flushOutput(bev_);
  if (evbuffer_get_length(bufferevent_get_output(bev_)) == 0) onWrite();
}

void ConnectionManager::onWrite() {
  if (closed_) return;
  gw::net::onOutputDrained(bev_);
  if (close_after_write_) {
    if (evbuffer_get_length(bufferevent_get_output(bev_)) > 0) return;
    if (lingering_) return;
    // Half-close and discard late input for a moment (see kLingerTime).
    lingering_ = true;
    shutdown(bufferevent_getfd(bev_), SHUT_WR);
    readDisable(false);
    read_disable_count_ = 0;
    bufferevent_enable(bev_, EV_READ);
    bufferevent_setwatermark(bev_, EV_READ, 0, 0);
    evbuffer* input = bufferevent_get_input(bev_);
    evbuffer_drain(input, evbuffer_get_length(input));
    timer_mode_ = TimerMode::Linger;
    timer_->enable(kLingerTime);
    return;
  }
  if (above_high_watermark_) {
    above_high_watermark_ = false;
    if (stream_) stream_->chain().onBelowWriteBufferLowWatermark();
  }
}

void ConnectionManager::checkWriteWatermark() {
  if (above_high_watermark_ || !stream_) return;
  if (evbuffer_get_length(bufferevent_get_output(bev_)) > kWriteHighWatermark) {
    above_high_watermark_ = true;
    stream_->chain().onAboveWriteBufferHighWatermark();
  }
}

void ConnectionManager::onEvent(short events) {
  if (closed_) return;
  if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
    if (lingering_ || !stream_ || stream_->done()) {
      close();
      return;
    }
    if ((events & BEV_EVENT_EOF) && codec_->requestComplete()) {
      // The client half-closed after a complete request: still answer it.
      close_after_response_ = true;
      codec_->disableKeepAlive();
      return;
    }
    GW_LOG_DEBUG("downstream ", peer_, ": client went away mid-request");
    close();
  }
}

void ConnectionManager::onTimer() {
  switch (timer_mode_) {
    case TimerMode::Idle:
      close();
      return;
    case TimerMode::HeaderRead:
      onProtocolError(408, "Request timeout",
                      gw::cat("request headers not received within ",
                              worker_.runtime()->config->listener.header_read_timeout_ms,
                              " ms (listenerConfig.headerReadTimeoutInMillis)"));
      return;
    case TimerMode::Linger:
      close();
      return;
    case TimerMode::None:
      return;
  }
}

void ConnectionManager::drain() {
  codec_->disableKeepAlive();
  if (!stream_ || stream_->done()) close();
}

void ConnectionManager::readDisable(bool disable) {
  if (closed_) return;
  if (disable) {
    if (read_disable_count_++ == 0) bufferevent_disable(bev_, EV_READ);
  } else if (read_disable_count_ > 0 && --read_disable_count_ == 0) {
    bufferevent_enable(bev_, EV_READ);
  }
}

void ConnectionManager::close() {
  if (closed_) return;
  closed_ = true;
  timer_->disable();
  bufferevent_disable(bev_, EV_READ | EV_WRITE);
  bufferevent_setcb(bev_, nullptr, nullptr, nullptr, nullptr);
  if (stream_) {
    stream_->abort(499);
    worker_.dispatcher().deferredDelete(std::move(stream_));
  }
  worker_.connectionClosed(*this);
}

}  // namespace gw::server
