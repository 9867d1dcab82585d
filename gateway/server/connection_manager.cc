#include "gateway/server/connection_manager.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <sys/socket.h>

#include "gateway/common/bev_read.h"
#include "gateway/common/bev_write.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/http/codec_factory.h"
#include "gateway/http/http1_server_codec.h"
#include "gateway/http/http2_server_codec.h"
#include "gateway/http/request_target.h"
#include "gateway/router/route_table.h"
#include "gateway/router/upstream_headers.h"
#include "gateway/server/access_log.h"
#include "gateway/server/active_stream.h"
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

ConnectionManager::ConnectionManager(WorkerContext& worker, bufferevent* bev, std::string peer,
                                     DownstreamTransport transport)
    : worker_(worker),
      bev_(bev),
      peer_(std::move(peer)),
      tls_(transport.tls ? std::make_unique<const DownstreamTransport>(std::move(transport))
                         : nullptr) {
  timer_ = worker_.dispatcher().createTimer([this] { onTimer(); });
}

const DownstreamTransport& ConnectionManager::transport() const {
  static const DownstreamTransport kPlain;
  return tls_ != nullptr ? *tls_ : kPlain;
}

ConnectionManager::~ConnectionManager() {
  setIdleReleased(false);
  for (auto& stream : streams_) stream->abort(499);
  streams_.clear();
  codec_.reset();
  timer_.reset();
  if (bev_ != nullptr) bufferevent_free(bev_);
}

http::Http2ServerCodec* ConnectionManager::http2() const {
  return codec_ != nullptr && http1_ == nullptr ? static_cast<http::Http2ServerCodec*>(codec_.get())
                                                : nullptr;
}

void ConnectionManager::createCodec(std::string_view alpn, bool resumed) {
  const conf::Config& config = *worker_.runtime()->config;
  const conf::ListenerConfig& l = config.listener;
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
  codec_ = http::createServerCodec(alpn, *this, bufferevent_get_output(bev_), limits,
                                   http::Http2Settings());
  if (codec_->protocol() == http::Protocol::Http1) {
    http1_ = static_cast<http::Http1ServerCodec*>(codec_.get());
  } else if (!resumed) {
    worker_.stats()
        .counter("microgw_downstream_http2_connections_total",
                 "Downstream connections that speak HTTP/2 (ALPN h2 or h2c prior knowledge).")
        .inc();
    if (worker_.draining()) codec_->goAway();
  }  // a parked connection is closed when draining begins: none resumes after
}

void ConnectionManager::setUpBufferevent() {
  gw::net::readDirectly(bev_);  // a plain socket: one readv per read (bev_read.h)
  bufferevent_setcb(bev_, &onReadCb, &onWriteCb, &onEventCb, this);
  bufferevent_setwatermark(bev_, EV_WRITE, kWriteLowWatermark, 0);
  bufferevent_setwatermark(bev_, EV_READ, 0, kReadHighWatermark);
  // EV_WRITE stays off (libevent enables it by default): responses go out
  // through flushOutput() (bev_write.h).
  bufferevent_disable(bev_, EV_WRITE);
  bufferevent_enable(bev_, EV_READ);
  write_path_ = gw::net::writePathOf(bev_);
}

// TLS accepted before this connection was set up has finished its handshake;
// if not, flushes find out again until it has.
const gw::net::WritePath& ConnectionManager::writePath() {
  if (!write_path_.direct()) write_path_ = gw::net::writePathOf(bev_);
  return write_path_;
}

void ConnectionManager::start() {
  setUpBufferevent();
  // Without ALPN and with HTTP/2 on, the first bytes pick the protocol.
  // TLS: the ALPN protocol ("h2", "http/1.1"; empty if none was offered).
  const std::string& alpn = transport().alpn;
  if (!alpn.empty() || !worker_.runtime()->config->http2.enable) createCodec(alpn);
  if (codec_ != nullptr && codec_->protocol() == http::Protocol::Http2)
    scheduleFlush();  // SETTINGS
  armIdle();
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
  if ((codec_ == nullptr || (http1_ != nullptr && !http1_->streamActive())) &&
      timer_mode_ != TimerMode::HeaderRead && evbuffer_get_length(input) > 0) {
    // A request has begun: it must finish its headers in time.
    timer_mode_ = TimerMode::HeaderRead;
    timer_->enable(
        std::chrono::milliseconds(worker_.runtime()->config->listener.header_read_timeout_ms));
  }
  if (idle_released_) {
    setIdleReleased(false);
    // An HTTP/1 connection that released its codec: the next request begins.
    if (codec_ == nullptr) createCodec("http/1.1");
  }
  if (codec_ == nullptr) {
    switch (http::detectHttp2Preface(input)) {
      case http::PrefaceMatch::NeedMore:
        return;
      case http::PrefaceMatch::Http2:
        createCodec("h2");
        armIdle();  // HTTP/2 streams have no header-read phase on the connection
        break;
      case http::PrefaceMatch::Other:
        createCodec("http/1.1");
        break;
    }
  }
  dispatch();
}

void ConnectionManager::dispatch() {
  in_dispatch_ = true;
  codec_->dispatch(bufferevent_get_input(bev_));
  in_dispatch_ = false;
  if (http1_ != nullptr || closed_) return;
  if (codec_->headerBlockOpen()) {
    // HEADERS without END_HEADERS: the CONTINUATIONs must come in time.
    if (timer_mode_ != TimerMode::HeaderRead) {
      timer_mode_ = TimerMode::HeaderRead;
      timer_->enable(
          std::chrono::milliseconds(worker_.runtime()->config->listener.header_read_timeout_ms));
    }
  } else if (timer_mode_ == TimerMode::HeaderRead) {
    if (streams_.empty()) {
      armIdle();
    } else {
      timer_->disable();
      timer_mode_ = TimerMode::None;
    }
  }
  scheduleFlush();  // SETTINGS and PING acknowledgements, WINDOW_UPDATEs; see onFlush
}

http::RequestDecoder& ConnectionManager::newStream(http::ResponseEncoder& encoder) {
  if (streams_.empty()) {
    timer_->disable();
    timer_mode_ = TimerMode::None;
  }
  if (http1_ != nullptr) {
    if (worker_.draining()) http1_->disableKeepAlive();
    // listenerConfig.maxPipelinedRequests: this request waited behind that many
    // others; its response closes the connection (the client sends the rest again).
    const int64_t max_pipelined = worker_.runtime()->config->listener.max_pipelined_requests;
    if (max_pipelined > 0 && pipelined_ >= max_pipelined) http1_->disableKeepAlive();
  }
  auto stream = std::make_unique<ActiveStream>(*this, encoder);
  ActiveStream& ref = *stream;
  ref.position_ = streams_.insert(streams_.end(), std::move(stream));
  return ref;
}

void ConnectionManager::removeStream(ActiveStream& stream) {
  // The stream may be deep in its own callbacks: delete it later.
  std::unique_ptr<ActiveStream> owned = std::move(*stream.position_);
  streams_.erase(stream.position_);
  worker_.dispatcher().deferredDelete(std::move(owned));
}

void ConnectionManager::abortStreams(int status) {
  while (!streams_.empty()) {
    ActiveStream& stream = *streams_.front();
    stream.abort(status);
    removeStream(stream);
  }
}

void ConnectionManager::onStreamComplete(ActiveStream& stream) {
  removeStream(stream);
  if (closed_) return;
  if (http1_ == nullptr) {
    // HTTP/2 closes once the session is done (see onFlush): the last
    // response may still wait for the client's window.
    if (streams_.empty() && timer_mode_ != TimerMode::HeaderRead) armIdle();
    scheduleFlush();
    return;
  }
  if (!http1_->keepAlive() || close_after_response_ || worker_.draining()) {
    closeAfterWrite();
    return;
  }
  http1_->resume();
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
  if (http1_ != nullptr && !streams_.empty()) {
    ActiveStream& stream = *streams_.front();
    stream.abort(status);
    const bool started = stream.chain().responseStarted();
    removeStream(stream);
    if (started) {
      close();
      return;
    }
  } else {
    abortStreams(status);
    worker_.requestCounter("", status).inc();
    worker_.accessLog().write(AccessLogEntry{peer_, "-", "-", status, 0, "", 0, ""});
  }
  codec_->sendProtocolError(status, http::localReplyBody(status, message, description));
  closeAfterWrite();
}

void ConnectionManager::onStreamRefused(int status, std::string_view description) {
  GW_LOG_INFO("downstream ", peer_, ": HTTP/2 stream answered ", status, ": ", description);
  worker_.requestCounter("", status).inc();
  worker_.accessLog().write(AccessLogEntry{peer_, "-", "-", status, 0, "", 0, ""});
}

void ConnectionManager::closeAfterWrite() {
  if (closed_ || close_after_write_) return;
  close_after_write_ = true;
  timer_->disable();
  bufferevent_setwatermark(bev_, EV_WRITE, 0, 0);  // call onWrite when fully flushed
  // onFlush lets the codec place what it holds (an HTTP/2 GOAWAY) first.
  scheduleFlush();
}

// Response bytes written during one loop callback (headers, body, end) leave
// in one writev, right after that callback.
void ConnectionManager::scheduleFlush() {
  if (flush_scheduled_ || closed_) return;
  if (flush_event_ == nullptr)
    flush_event_.reset(event_new(worker_.dispatcher().base(), -1, 0, &onFlushCb, this));
  flush_scheduled_ = true;
  event_active(flush_event_.get(), EV_WRITE, 0);
}

void ConnectionManager::onFlushCb(evutil_socket_t, short, void* arg) {
  static_cast<ConnectionManager*>(arg)->onFlush();
}

void ConnectionManager::onFlush() {
  flush_scheduled_ = false;
  if (closed_) return;
  if (codec_ != nullptr) {
    codec_->flushOutput();
    if (closed_) return;
    if (http1_ == nullptr && codec_->wantsClose()) closeAfterWrite();
  }
  gw::net::flushOutput(bev_, writePath());
  if (evbuffer_get_length(bufferevent_get_output(bev_)) == 0) onWrite();
}

void ConnectionManager::onWrite() {
  if (closed_) return;
  gw::net::onOutputDrained(bev_, writePath());
  if (close_after_write_) {
    if (!lingering_ && placeCodecOutput()) return;
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
  if (http1_ == nullptr) {
    // HTTP/2: the socket took what the codec placed; let it place more.
    placeCodecOutput();
    return;
  }
  if (above_high_watermark_) {
    above_high_watermark_ = false;
    if (!streams_.empty()) streams_.front()->chain().onBelowWriteBufferLowWatermark();
  }
}

bool ConnectionManager::placeCodecOutput() {
  if (codec_ == nullptr || !codec_->wantsWrite()) return false;
  evbuffer* output = bufferevent_get_output(bev_);
  const size_t before = evbuffer_get_length(output);
  codec_->flushOutput();
  // Only what was placed is written (from onFlush): frames that wait for the
  // client's window do not spin the loop.
  if (evbuffer_get_length(output) == before) return false;
  scheduleFlush();
  return true;
}

void ConnectionManager::checkWriteWatermark() {
  if (above_high_watermark_ || streams_.empty()) return;
  if (evbuffer_get_length(bufferevent_get_output(bev_)) > kWriteHighWatermark) {
    above_high_watermark_ = true;
    streams_.front()->chain().onAboveWriteBufferHighWatermark();
  }
}

void ConnectionManager::onEvent(short events) {
  if (closed_) return;
  if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
    if (lingering_ || streams_.empty() || http1_ == nullptr) {
      if (!streams_.empty()) GW_LOG_DEBUG("downstream ", peer_, ": HTTP/2 client went away");
      close();
      return;
    }
    ActiveStream& stream = *streams_.front();
    if (stream.done()) {
      close();
      return;
    }
    if ((events & BEV_EVENT_EOF) && http1_->requestComplete()) {
      // The client half-closed after a complete request: still answer it.
      close_after_response_ = true;
      http1_->disableKeepAlive();
      return;
    }
    GW_LOG_DEBUG("downstream ", peer_, ": client went away mid-request");
    close();
  }
}

void ConnectionManager::onTimer() {
  switch (timer_mode_) {
    case TimerMode::IdleRelease:
    case TimerMode::LatePark:
    case TimerMode::ParkRetry:
      onIdleTimer();
      return;
    case TimerMode::Idle:
      if (codec_ != nullptr && http1_ == nullptr) {
        codec_->goAway();  // an idle HTTP/2 client learns why the connection ends
        closeAfterWrite();
        return;
      }
      close();
      return;
    case TimerMode::HeaderRead:
      if (codec_ == nullptr) createCodec("http/1.1");
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
  if (codec_ == nullptr) {
    close();
    return;
  }
  codec_->goAway();
  if (http1_ != nullptr) {
    if (streams_.empty() || streams_.front()->done()) close();
    return;
  }
  scheduleFlush();  // the GOAWAY; onFlush closes once the session is done
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
  setIdleReleased(false);
  if (timer_ != nullptr) timer_->disable();
  if (bev_ != nullptr) {
    bufferevent_disable(bev_, EV_READ | EV_WRITE);
    bufferevent_setcb(bev_, nullptr, nullptr, nullptr, nullptr);
  }
  abortStreams(499);
  worker_.connectionClosed(*this);
}

}  // namespace gw::server
