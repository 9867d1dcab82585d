#pragma once

// A worker thread: one Dispatcher, its own SO_REUSEPORT listening sockets on
// the shared host:port and, when the TLS listener is on, host:httpsPort (the
// kernel spreads connections across workers), its own upstream Connector and
// pool, the TLS handshakes in progress and the connections it accepted.
// Thread-safety: start(), updateRuntime(), drain(), stop() and join() are
// called from the main thread; everything else runs on the worker's own thread.

#include <event2/listener.h>

#include <atomic>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "gateway/http/http2_server_codec.h"
#include "gateway/server/connection_manager.h"
#include "gateway/server/idle_parking.h"
#include "gateway/server/tls_accept.h"
#include "gateway/tls/handshake_log.h"
#include "proxy_connector/connector.h"

namespace gw::server {

class Worker : public WorkerContext {
 public:
  // Takes ownership of `listen_fd` and `tls_listen_fd` (bound and listening;
  // -1 = no TLS listener). TLS handshakes use the runtime's tls_context.
  Worker(int index, RuntimeConstSharedPtr runtime, stats::Store& stats, AccessLog& access_log,
         int listen_fd, int tls_listen_fd = -1);
  ~Worker() override;

  void start();
  // Serve new requests from `runtime` (a reload). The swap happens on the
  // worker's thread (posted); streams already running keep their snapshot.
  // With `new_connector` (the upstream settings changed), new requests get a
  // fresh connector and pool, built here on the calling thread so that loading
  // trust stores never stalls the worker; the old connector and its pooled
  // connections go away with the last stream that used them.
  void updateRuntime(RuntimeConstSharedPtr runtime, bool new_connector);
  // Stop accepting, let in-flight requests finish, close idle connections;
  // the thread exits when no connection is left.
  void drain();
  // Exit now, whatever is in flight.
  void stop();
  void join();
  size_t activeConnections() const { return active_.load(); }

  // WorkerContext
  event::Dispatcher& dispatcher() override { return *dispatcher_; }
  const std::shared_ptr<proxy::Connector>& connector() override { return connector_; }
  stats::Store& stats() override { return stats_; }
  const RuntimeConstSharedPtr& runtime() override { return runtime_; }
  AccessLog& accessLog() override { return access_log_; }
  bool draining() const override { return draining_; }
  stats::Counter& requestCounter(const std::string& api, int status) override;
  void connectionClosed(ConnectionManager& connection) override;
  bool parkIdle(ConnectionManager& connection, evutil_socket_t fd,
                std::chrono::milliseconds idle_left, const http::Http2IdleState* http2,
                std::unique_ptr<ParkedTls>& tls) override;

 private:
  static void onAccept(evconnlistener* listener, evutil_socket_t fd, sockaddr* addr, int len,
                       void* arg);
  static void onAcceptError(evconnlistener* listener, void* arg);
  static void onAcceptTls(evconnlistener* listener, evutil_socket_t fd, sockaddr* addr, int len,
                          void* arg);
  void accept(evutil_socket_t fd, sockaddr* addr);
  void acceptTls(evutil_socket_t fd, sockaddr* addr);
  void handshakeDone(PendingTlsConnection& pending, bufferevent* bev,
                     DownstreamTransport transport);
  void addConnection(bufferevent* bev, std::string peer, DownstreamTransport transport);
  // A parked socket with bytes to read gets a new ConnectionManager.
  void resumeParked(evutil_socket_t fd, std::chrono::milliseconds parked_for);
  // A parked socket is closing (already off connections_, still counted):
  // an HTTP/2 client is told so with a GOAWAY first.
  void parkedClosing(evutil_socket_t fd);
  // A new ConnectionManager in connections_ (not counted: the callers do).
  ConnectionManager& track(bufferevent* bev, std::string peer, DownstreamTransport transport);
  // Takes `connection` out of connections_ and deletes it later; false if unknown.
  bool forget(ConnectionManager& connection);
  void exitIfDrained();
  evconnlistener* listenOn(int fd, evconnlistener_cb cb);
  void drainOnThread();
  std::shared_ptr<proxy::Connector> makeConnector(const Runtime& runtime);

  struct ListenerDeleter {
    void operator()(evconnlistener* l) const { evconnlistener_free(l); }
  };

  int index_;
  RuntimeConstSharedPtr runtime_;
  stats::Store& stats_;
  AccessLog& access_log_;
  int listen_fd_;
  event::DispatcherPtr dispatcher_;
  std::shared_ptr<proxy::Connector> connector_;
  std::unique_ptr<evconnlistener, ListenerDeleter> listener_;
  std::unique_ptr<evconnlistener, ListenerDeleter> tls_listener_;
  std::map<PendingTlsConnection*, std::unique_ptr<PendingTlsConnection>> handshakes_;
  tls::HandshakeLogLimiter handshake_log_;
  stats::Counter* handshakes_ok_ = nullptr;
  stats::Counter* handshakes_failed_ = nullptr;
  event::TimerPtr accept_pause_;  // re-enables accepting after an accept error
  // Open connections by address. A flat table: ~30 bytes per connection
  // where a std::map node took 64 (5,000 idle connections are a use case).
  absl::flat_hash_map<ConnectionManager*, std::unique_ptr<ConnectionManager>> connections_;
  std::map<std::pair<std::string, int>, stats::Counter*> request_counters_;
  // Idle keep-alive connections between requests, as bare sockets;
  // counted in active_ like the connections_.
  std::unique_ptr<IdleParking> parking_;
  // What each parked HTTP/2 connection's session resumes from, by socket.
  absl::flat_hash_map<evutil_socket_t, http::Http2IdleState> parked_http2_;
  // And each parked TLS connection's TLS session, by socket.
  absl::flat_hash_map<evutil_socket_t, std::unique_ptr<ParkedTls>> parked_tls_;
  int http2_parked_since_release_ = 0;  // see kHttp2ParksPerRelease (worker.cc)
  stats::Gauge* active_gauge_ = nullptr;
  stats::Gauge* idle_released_gauge_ = nullptr;
  stats::Gauge* parked_gauge_ = nullptr;
  std::atomic<size_t> active_{0};
  bool draining_ = false;
  std::thread thread_;
};

}  // namespace gw::server
