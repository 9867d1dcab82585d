#pragma once

// A per-worker pool of HTTP/2 connections to backends that hands out streams,
// not connections: every request to a backend becomes a stream on one shared
// connection until that connection holds maxActiveStreamsPerConnection (or the
// backend's SETTINGS_MAX_CONCURRENT_STREAMS), then a second connection opens.
// A connection that got GOAWAY, failed, or was closed by the backend takes no
// new streams and is closed when its last stream ends; an idle connection is
// closed after [httpClients] poolIdleTimeoutInMillis.
//
// https backends are asked for "h2" in ALPN, and until the first handshake
// answers, their protocol is unknown. Requests then wait here as for a known
// HTTP/2 backend: up to max_streams of them on each connect in progress, so a
// burst of 640 requests to a new backend opens 13 connections (CONNECT
// tunnels, TLS handshakes), not 640. When the backend chooses HTTP/1.1, the
// pool remembers it (declinedHttp2()) and hands the new connection to the
// first waiter; the others connect on their own, over HTTP/1.1, as later
// requests do. A later connection that negotiates h2 (adopt()) makes the
// backend HTTP/2 again.
//
// Connections come from the worker's Connector (so direct, through a
// CONNECT tunnel, or TLS, as for HTTP/1) and are never given back to it. The
// router and the internal HttpClient share the pool: a key manager that
// speaks HTTP/2 gets one connection for all of a worker's validations.
//
// Example (in the router or HttpClient):
//
//   Http2Pool& pool = Http2Pool::forWorker(dispatcher, connector, idle_ms);
//   if (Http2PoolConnection* c = pool.ready(request)) {
//     stream_ = c->codec().newStream(head, end_stream, *this);
//     c->flush();
//   } else {
//     wait_ = pool.wait(request, max_streams, *this);  // onHttp2Ready / onHttp2Failed /
//   }                                                  // onHttp2Declined later
//
// Threading: one pool per worker thread; everything runs on that thread.
// Lifetime: the pool lives as long as the thread (thread_local); a waiter must
// outlive its WaitHandle, a stream's callbacks must outlive the stream.

#include <event2/event.h>

#include <functional>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/common/bev_write.h"
#include "gateway/event/dispatcher.h"
#include "gateway/http/http2_client_codec.h"
#include "proxy_connector/connector.h"

namespace gw::proxy {

class Http2Pool;

// One HTTP/2 connection of the pool: the upstream bytes and their codec.
class Http2PoolConnection : public event::DeferredDeletable {
 public:
  Http2PoolConnection(Http2Pool& pool, std::string key, UpstreamConnectionPtr connection,
                      size_t max_streams);
  ~Http2PoolConnection() override;

  http::UpstreamCodec& codec() { return codec_; }
  // Writes what the codec produced to the socket, once the event loop is done
  // with the current callbacks. Call after using a stream: the streams that one
  // client read starts go out together, in one TLS record and one write (a
  // TLS record per stream costs the proxy and the backend a read and a
  // decryption each).
  void flush();
  const std::string& description() const { return description_; }
  const std::string& key() const { return key_; }
  bool closed() const { return closed_; }

 private:
  friend class Http2Pool;
  static void onRead(struct bufferevent* bev, void* arg);
  static void onWrite(struct bufferevent* bev, void* arg);
  static void onEvent(struct bufferevent* bev, short events, void* arg);
  static void onFlush(evutil_socket_t, short, void* arg);
  void flushNow();
  void readInput();
  // Fails the open streams (their callbacks run) and gives the connection up.
  void close(std::string_view why);
  void checkIdle();

  Http2Pool& pool_;  // not used once closed (the pool may be gone before the destructor runs)
  std::string key_;
  // The connector connection_ came from, kept alive until connection_ is gone
  // (declared first, destroyed last): the pool may be deleted before this
  // connection's deferred deletion runs.
  std::shared_ptr<Connector> connector_owner_;
  UpstreamConnectionPtr connection_;
  http::Http2ClientCodec codec_;
  gw::net::WritePath write_path_;  // how flush() writes connection_
  std::string description_;
  event::TimerPtr idle_timer_;
  struct EventFree {
    void operator()(struct event* e) const { event_free(e); }
  };
  std::unique_ptr<struct event, EventFree> flush_event_;  // flush() activates it
  bool flush_pending_ = false;
  bool closed_ = false;
};

class Http2Pool {
 public:
  // Told when a connection with room for a stream is there, or why none came.
  class Waiter {
   public:
    virtual ~Waiter() = default;
    virtual void onHttp2Ready(Http2PoolConnection& connection) = 0;
    virtual void onHttp2Failed(const ConnectFailure& failure) = 0;
    // The https backend chose HTTP/1.1 in ALPN. `connection` is the new
    // connection, for this waiter to use over HTTP/1.1, or null: connect again
    // (through the Connector: the HTTP/1.1 path).
    virtual void onHttp2Declined(UpstreamConnectionPtr connection) = 0;
  };
  // Cancels the wait when destroyed.
  class WaitHandle {
   public:
    virtual ~WaitHandle() = default;
  };
  using WaitHandlePtr = std::unique_ptr<WaitHandle>;

  Http2Pool(event::Dispatcher& dispatcher, Connector& connector, uint32_t idle_timeout_ms);
  ~Http2Pool();

  // This worker thread's pool (made on first use for this dispatcher and connector).
  static Http2Pool& forWorker(event::Dispatcher& dispatcher, Connector& connector,
                              uint32_t idle_timeout_ms);
  // The pool forWorker() made for this dispatcher and connector, or nullptr;
  // never makes one (a request that only looks for a pooled HTTP/2
  // connection must not build and drop a pool each time).
  static Http2Pool* existing(event::Dispatcher& dispatcher, Connector& connector);
  // Deletes this thread's pool for `dispatcher` and `connector` and closes its
  // connections: called by the connector's destructor, which they must not
  // outlive (an internal service's thread ends, or a replaced worker
  // connector goes once its pool let go of it).
  static void forget(event::Dispatcher& dispatcher, Connector& connector);

  // A connection to `request`'s backend that takes a stream now, or nullptr.
  Http2PoolConnection* ready(const ConnectRequest& request);
  // True when the last handshake with `request`'s https backend chose
  // HTTP/1.1 although "h2" was offered: connect to it through the Connector.
  bool declinedHttp2(const ConnectRequest& request) const;
  // Waits for a new connection (or a place on one being set up). `waiter` is
  // called once, never inline.
  WaitHandlePtr wait(const ConnectRequest& request, size_t max_streams, Waiter& waiter);
  // Takes over a connection that is already set up (e.g. TLS whose ALPN chose
  // "h2") and returns it, ready for a stream.
  Http2PoolConnection& adopt(const ConnectRequest& request, UpstreamConnectionPtr connection,
                             size_t max_streams);

  // The worker's connector was replaced (reload): no new streams; connections
  // close when idle.
  void retire();

  event::Dispatcher& dispatcher() { return dispatcher_; }
  uint32_t idleTimeoutMs() const { return idle_timeout_ms_; }
  const std::shared_ptr<Connector>& connectorOwner() const { return connector_owner_; }
  size_t connectionCount() const;

 private:
  friend class Http2PoolConnection;
  class Pending;
  class Handle;
  struct Registered;
  static std::vector<Registered>& registry();
  // The connector's pool key (ConnectRequest::pool_key, made once by the
  // caller), or one made into `storage`.
  static std::string_view keyOf(const ConnectRequest& request, std::string& storage);
  void onPendingDone(Pending* pending);
  // Removes a closed connection (deleted after the current callback).
  void remove(Http2PoolConnection* connection);

  event::Dispatcher& dispatcher_;
  Connector& connector_;
  // Keeps connector_ alive while this pool uses it (connects in progress, and
  // its connections' connection-limit slots): a reload may drop the worker's
  // reference first. Null when no shared_ptr owns the connector (unit tests).
  std::shared_ptr<Connector> connector_owner_;
  uint32_t idle_timeout_ms_;
  bool retired_ = false;
  std::multimap<std::string, std::unique_ptr<Http2PoolConnection>, std::less<>> connections_;
  std::list<std::unique_ptr<Pending>> pending_;
  std::set<std::string, std::less<>> http1_;  // keys of https backends that chose HTTP/1.1
};

}  // namespace gw::proxy
