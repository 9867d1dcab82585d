#pragma once

// One downstream (client) connection: reads bytes, runs them through the
// HTTP codec, and for each request builds a filter chain (ActiveStream) whose
// encode output goes back through the codec. Holds a list of active streams:
// HTTP/1 has at most one at a time (pipelined requests wait in the input),
// HTTP/2 many. The codec is picked by ALPN, or on a plain connection by the
// HTTP/2 preface (h2c prior knowledge, when [http2] enable). Owns the client
// bufferevent. A connection idle for kIdleReleaseDelay lets go of what it
// can rebuild (HTTP/1: its codec; HTTP/2: the session's frame buffer pages),
// and then all of itself: the socket (over TLS with its TLS session) waits in
// the worker's IdleParking and the next request gets a new ConnectionManager
// (HTTP/2 a session resumed from Http2IdleState), so that many idle keep-alive clients
// cost little memory. Single-threaded: lives on the
// worker that accepted the connection, which owns it and deletes it
// (deferred) after it reports itself closed or parked.

#include <event2/bufferevent.h>
#include <event2/event.h>

#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "gateway/common/bev_write.h"
#include "gateway/event/dispatcher.h"
#include "gateway/http/codec.h"
#include "gateway/http/filter_chain.h"
#include "gateway/server/downstream_transport.h"
#include "gateway/server/runtime.h"

struct ssl_st;  // OpenSSL's SSL

namespace gw::proxy {
class Connector;
}
namespace gw::stats {
class Store;
class Counter;
class Gauge;
}  // namespace gw::stats

namespace gw::http {
class Http1ServerCodec;
class Http2ServerCodec;
struct Http2IdleState;
}  // namespace gw::http

namespace gw::server {

// What a parked TLS connection keeps besides its socket: its TLS session
// (one reference to the SSL object, whose socket BIO is made again when it
// resumes) and what the handshake negotiated.
struct ParkedTls {
  struct SslFree {
    void operator()(ssl_st* ssl) const;
  };
  std::unique_ptr<ssl_st, SslFree> ssl;
  std::unique_ptr<DownstreamTransport> transport;
};

class AccessLog;
class ConnectionManager;

// What a connection needs from its worker.
class WorkerContext {
 public:
  virtual ~WorkerContext() = default;
  virtual event::Dispatcher& dispatcher() = 0;
  // The connector and the Runtime for new streams; a reload replaces them
  // (on this thread), and each stream keeps the pair it started with.
  virtual const std::shared_ptr<proxy::Connector>& connector() = 0;
  virtual stats::Store& stats() = 0;
  virtual const RuntimeConstSharedPtr& runtime() = 0;
  virtual AccessLog& accessLog() = 0;
  virtual bool draining() const = 0;
  // A per-worker cached counter for requests by API and status class.
  virtual stats::Counter& requestCounter(const std::string& api, int status) = 0;
  // The connection is finished; the worker deletes it later (deferred).
  virtual void connectionClosed(ConnectionManager& connection) = 0;
  // An idle plain connection hands its socket over to wait for the next
  // request (idle_parking.h), with `http2` what its HTTP/2 session resumes
  // from (null for HTTP/1); `tls` what a TLS connection keeps (null for a
  // plain one). On true the worker owns `fd` and `tls` and deletes the
  // connection later, as after connectionClosed(). False: both stay the caller's.
  virtual bool parkIdle(ConnectionManager& connection, evutil_socket_t fd,
                        std::chrono::milliseconds idle_left, const http::Http2IdleState* http2,
                        std::unique_ptr<ParkedTls>& tls) = 0;
};

// Idle connections that released their memory: parked ones, and those not
// parked (yet) without their codec (HTTP/1) or frame buffer pages (HTTP/2).
stats::Gauge& idleReleasedGauge(stats::Store& stats);

class ConnectionManager : public http::ServerCodecCallbacks {
 public:
  // Takes ownership of `bev` (a connected client socket, or a TLS bufferevent
  // whose handshake is done); `transport` says what was negotiated.
  ConnectionManager(WorkerContext& worker, bufferevent* bev, std::string peer_address,
                    DownstreamTransport transport = {});
  ~ConnectionManager() override;

  void start();
  // A parked socket (WorkerContext::parkIdle) with bytes to read: HTTP/1,
  // or HTTP/2 resuming from `http2`. `parked_for`: how long it waited (a
  // quick return makes it park later).
  void resume(std::chrono::milliseconds parked_for, const http::Http2IdleState* http2);
  // Graceful shutdown: finish the current requests (HTTP/2: GOAWAY), then
  // close; close now if idle.
  void drain();

  const DownstreamTransport& transport() const;

  // http::ServerCodecCallbacks
  http::RequestDecoder& newStream(http::ResponseEncoder& encoder) override;
  void onProtocolError(int status, std::string_view message, std::string_view description) override;
  void onStreamRefused(int status, std::string_view description) override;

 private:
  class ActiveStream;
  friend class ActiveStream;

  static void onReadCb(bufferevent* bev, void* arg);
  static void onWriteCb(bufferevent* bev, void* arg);
  static void onEventCb(bufferevent* bev, short events, void* arg);

  static void onFlushCb(evutil_socket_t fd, short events, void* arg);

  void onRead();
  void onWrite();
  void onFlush();
  void scheduleFlush();
  void onEvent(short events);
  // `resumed`: a parked connection's codec again (not a new HTTP/2 connection).
  void createCodec(std::string_view alpn, bool resumed = false);
  // codec_ when it speaks HTTP/2, else null.
  http::Http2ServerCodec* http2() const;
  void dispatch();
  void onStreamComplete(ActiveStream& stream);
  // Takes a finished or reset stream out of the list and deletes it later.
  void removeStream(ActiveStream& stream);
  void abortStreams(int status);
  void closeAfterWrite();
  void close();
  void onTimer();
  // The IdleRelease, LatePark and ParkRetry timers (connection_idle.cc).
  void onIdleTimer();
  void armIdle();
  // Frees what an idle connection can rebuild (see the class comment).
  void releaseIdleMemory();
  void setIdleReleased(bool released);
  // Hands a released connection's socket (and TLS session) to the worker's
  // parking; true: this connection is done.
  bool park(std::chrono::milliseconds idle_left);
  // Parks, or (HTTP/2, `may_retry`) sends what parking needs first (a
  // WINDOW_UPDATE) and tries again in kParkRetryDelay, or waits out the
  // idle timeout.
  void parkOrWait(bool may_retry);
  // What is left of the idle timeout (from the IdleRelease timer on).
  std::chrono::milliseconds idleLeft() const;
  void setUpBufferevent();
  const gw::net::WritePath& writePath();
  void readDisable(bool disable);
  void checkWriteWatermark();
  // Lets the codec place the frames it holds (HTTP/2) and schedules their
  // write; false when it placed nothing.
  bool placeCodecOutput();

  WorkerContext& worker_;
  bufferevent* bev_;               // null once parked
  gw::net::WritePath write_path_;  // bev_'s, from setUpBufferevent()
  std::string peer_;
  // What TLS negotiated; null on a plain connection (kept small: most are idle).
  const std::unique_ptr<const DownstreamTransport> tls_;
  // Null until the protocol is known, and on an idle HTTP/1 connection that
  // released it (idle_released_; the next request's first byte makes a new one).
  std::unique_ptr<http::ServerCodec> codec_;
  http::Http1ServerCodec* http1_ = nullptr;  // codec_ when it is HTTP/1
  std::list<std::unique_ptr<ActiveStream>> streams_;
  event::TimerPtr timer_;
  event::MonotonicTime idle_deadline_;  // when the idle timeout ends (set at IdleRelease)
  struct EventDeleter {
    void operator()(::event* e) const { event_free(e); }
  };
  std::unique_ptr<::event, EventDeleter> flush_event_;  // made when first needed
  bool flush_scheduled_ = false;
  // IdleRelease: idle, memory not yet released; LatePark: released, parked
  // when it fires (park_late_); ParkRetry: an HTTP/2 session sent what
  // parking needs (prepareIdle), parked when it fires;
  // Idle: the rest of the idle timeout.
  enum class TimerMode {
    None,
    IdleRelease,
    LatePark,
    ParkRetry,
    Idle,
    HeaderRead,
    Linger
  } timer_mode_ = TimerMode::None;
  int read_disable_count_ = 0;
  bool above_high_watermark_ = false;
  bool close_after_write_ = false;
  bool close_after_response_ = false;
  bool lingering_ = false;
  bool closed_ = false;
  bool in_dispatch_ = false;
  // HTTP/1, idle, codec released (counted in the worker's idle-released gauge).
  bool idle_released_ = false;
  // Resumed from the parking soon after it was parked: park only after
  // kLateParkDelay more of idleness (connection_idle.cc).
  bool park_late_ = false;
  // Requests in a row that were already waiting when the previous response
  // ended (HTTP/1.1 pipelining), for listenerConfig.maxPipelinedRequests.
  int64_t pipelined_ = 0;
};

}  // namespace gw::server
