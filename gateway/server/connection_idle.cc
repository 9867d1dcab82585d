// The idle side of a downstream connection: releasing what an idle
// connection can rebuild, parking its socket (and TLS session) in the
// worker's IdleParking (HTTP/1, and HTTP/2 whose session can be rebuilt),
// taking it up again, and the timers between (see connection_manager.h).

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <optional>

#include "gateway/http/http1_server_codec.h"
#include "gateway/http/http2_server_codec.h"
#include "gateway/server/connection_manager.h"
#include "gateway/stats/stats.h"

namespace gw::server {
namespace {

// An idle connection releases its codec memory after this long without a
// request: soon, so that the next connections reuse what it freed (memory
// freed later stays in the heap as holes between live objects), yet late
// enough that a busy keep-alive connection does not pay for it per request.
constexpr std::chrono::milliseconds kIdleReleaseDelay{100};
// A client that came back within kQuickReturn of being parked sends requests
// every fraction of a second: parking it after each one would cost more than
// it saves (a parked socket's wake-up is a few more syscalls than a released
// codec's), so its connection releases only the codec at kIdleReleaseDelay
// and parks after kLateParkDelay more without a request.
constexpr std::chrono::milliseconds kQuickReturn{1000};
constexpr std::chrono::milliseconds kLateParkDelay{1000};
// An HTTP/2 connection that first had DATA to acknowledge before it could
// park (Http2ServerCodec::prepareIdle) tries again this much later, once the
// WINDOW_UPDATE is out.
constexpr std::chrono::milliseconds kParkRetryDelay{500};

}  // namespace

void ConnectionManager::onIdleTimer() {
  const TimerMode mode = timer_mode_;
  if (mode == TimerMode::IdleRelease) {
    // armIdle() set kIdleReleaseDelay of the idle timeout: the rest counts
    // from here (no clock read per request for it).
    idle_deadline_ =
        worker_.dispatcher().now() +
        std::chrono::milliseconds(worker_.runtime()->config->listener.idle_timeout_ms) -
        kIdleReleaseDelay;
  }
  releaseIdleMemory();  // again after LatePark, ParkRetry: bytes may have come meanwhile
  if (mode == TimerMode::IdleRelease && park_late_ && idleLeft() > kLateParkDelay) {
    timer_mode_ = TimerMode::LatePark;
    timer_->enable(kLateParkDelay);
    return;
  }
  parkOrWait(/*may_retry=*/mode != TimerMode::ParkRetry);
}

void ConnectionManager::armIdle() {
  const std::chrono::milliseconds idle(worker_.runtime()->config->listener.idle_timeout_ms);
  if (idle > kIdleReleaseDelay && !idle_released_) {
    timer_mode_ = TimerMode::IdleRelease;
    timer_->enable(kIdleReleaseDelay);
  } else {
    timer_mode_ = TimerMode::Idle;
    timer_->enable(idle);
  }
}

std::chrono::milliseconds ConnectionManager::idleLeft() const {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      idle_deadline_ - worker_.dispatcher().now());
  return std::max(left, std::chrono::milliseconds(0));
}

void ConnectionManager::parkOrWait(bool may_retry) {
  const std::chrono::milliseconds left = idleLeft();
  timer_mode_ = TimerMode::Idle;
  if (park(left)) return;
  if (http::Http2ServerCodec* h2 = http2();
      may_retry && h2 != nullptr && left > kParkRetryDelay && h2->prepareIdle()) {
    scheduleFlush();
    timer_mode_ = TimerMode::ParkRetry;
    timer_->enable(kParkRetryDelay);
    return;
  }
  timer_->enable(left);
}

void ConnectionManager::releaseIdleMemory() {
  if (closed_ || close_after_write_ || idle_released_ || codec_ == nullptr || !streams_.empty())
    return;
  if (http1_ != nullptr) {
    // Nothing of a next request has arrived (it would have stopped the idle
    // timer); the codec keeps no state between requests on a kept-alive connection.
    if (http1_->streamActive() || !http1_->keepAlive() ||
        evbuffer_get_length(bufferevent_get_input(bev_)) > 0)
      return;
    codec_.reset();
    http1_ = nullptr;
  } else if (!static_cast<http::Http2ServerCodec&>(*codec_).releaseIdleMemory()) {
    return;
  }
  if (!flush_scheduled_) flush_event_.reset();
  setIdleReleased(true);
}

// The socket waits for its next request in the worker's parking
// (idle_parking.h), and this connection goes away; the next request gets a
// fresh one (resume()). An HTTP/2 session parks when a new one can take up
// where it stopped (Http2ServerCodec::idleState). Over TLS the SSL object
// parks too (~13 kB of OpenSSL state that nginx keeps as well), unless it
// holds bytes the socket no longer signals (a record read ahead, or data
// decrypted and not yet taken).
bool ConnectionManager::park(std::chrono::milliseconds idle_left) {
  if (!idle_released_ || http1_ != nullptr || flush_scheduled_ || read_disable_count_ > 0 ||
      evbuffer_get_length(bufferevent_get_output(bev_)) > 0 ||
      evbuffer_get_length(bufferevent_get_input(bev_)) > 0)
    return false;
  std::optional<http::Http2IdleState> session;
  if (http::Http2ServerCodec* h2 = http2()) {
    session = h2->idleState();
    if (!session) return false;
  }
  std::unique_ptr<ParkedTls> tls;
  if (tls_ != nullptr) {
    SSL* ssl = bufferevent_openssl_get_ssl(bev_);
    if (ssl == nullptr || SSL_has_pending(ssl) || SSL_up_ref(ssl) != 1) return false;
    tls = std::make_unique<ParkedTls>();
    tls->ssl.reset(ssl);  // our reference; freeing bev_ drops the bufferevent's
    tls->transport = std::make_unique<DownstreamTransport>(*tls_);
  }
  const evutil_socket_t fd = bufferevent_getfd(bev_);
  if (!worker_.parkIdle(*this, fd, idle_left, session ? &*session : nullptr, tls)) return false;
  // The socket is the parking's now, and this object is deleted later.
  codec_.reset();  // writes nothing: the session had nothing to send
  closed_ = true;
  bufferevent_disable(bev_, EV_READ | EV_WRITE);
  bufferevent_setcb(bev_, nullptr, nullptr, nullptr, nullptr);
  // Freeing it must leave the socket open, and the TLS session as it is.
  if (SSL* ssl = bufferevent_openssl_get_ssl(bev_)) {
    // Without its socket BIO (resume makes a new one); bufferevent_setfd()
    // would SSL_clear() the session.
    SSL_set_bio(ssl, nullptr, nullptr);
  } else {
    bufferevent_setfd(bev_, -1);
  }
  bufferevent_free(bev_);
  bev_ = nullptr;
  timer_->disable();  // may be running this call
  return true;
}

void ConnectionManager::resume(std::chrono::milliseconds parked_for,
                               const http::Http2IdleState* http2_session) {
  park_late_ = parked_for < kQuickReturn;
  setUpBufferevent();  // the socket is readable: onRead runs on the next loop pass
  if (http2_session != nullptr) {
    createCodec("h2", /*resumed=*/true);
    http2()->resume(*http2_session, parked_for);
  } else {
    createCodec("http/1.1");
  }
  armIdle();  // until it does (a spurious wake-up reads nothing)
}

stats::Gauge& idleReleasedGauge(stats::Store& stats) {
  return stats.gauge("microgw_downstream_connections_idle_released",
                     "Idle downstream connections that released their memory 100 ms after their "
                     "last request (parked, or not yet: HTTP/1 without its codec and buffers, "
                     "HTTP/2 without its frame buffer pages).");
}

void ParkedTls::SslFree::operator()(ssl_st* ssl) const { SSL_free(ssl); }

void ConnectionManager::setIdleReleased(bool released) {
  if (released == idle_released_) return;
  idle_released_ = released;
  idleReleasedGauge(worker_.stats()).add(released ? 1 : -1);
}

}  // namespace gw::server
