#pragma once

// The admin listener ([admin] host/port, default 127.0.0.1:9797), on the main
// thread's dispatcher: GET /healthz (alive), /ready (accepting traffic; 503
// while starting or draining) and /metrics (Prometheus text format).
//
// It parses requests with the same codec and limits as the main listener
// (maxUriLength -> 414, maxHeaderSize -> 431, maxEntityBodySize -> 413,
// headerReadTimeoutInMillis -> 408, each answered and closed) and holds at
// most [admin] maxConnections connections: one more is answered 503 and
// closed. Main thread only.

#include <atomic>
#include <map>
#include <memory>

#include "absl/status/status.h"
#include "conf/config.h"
#include "gateway/event/dispatcher.h"
#include "gateway/stats/stats.h"

struct evconnlistener;
struct sockaddr;

namespace gw::server {

class AdminConnection;

class AdminServer {
 public:
  // `dispatcher`, `stats` and `ready` must outlive this.
  AdminServer(event::Dispatcher& dispatcher, stats::Store& stats, const std::atomic<bool>& ready);
  ~AdminServer();

  // Binds [admin] host:port (never shared: a port another process listens on
  // is an error naming the key); `limits` are the main listener's.
  absl::Status listen(const conf::AdminConfig& config, const conf::ListenerConfig& limits);

  size_t activeConnections() const { return connections_.size(); }

 private:
  friend class AdminConnection;
  static void onAccept(evconnlistener* listener, int fd, ::sockaddr* addr, int len, void* arg);
  void accept(int fd, const std::string& peer);
  void refuse(int fd, const std::string& peer);
  // Called by a connection that closed; it is deleted on a later loop iteration.
  void remove(AdminConnection* connection);

  event::Dispatcher& dispatcher_;
  stats::Store& stats_;
  const std::atomic<bool>& ready_;
  conf::AdminConfig config_;
  conf::ListenerConfig limits_;
  evconnlistener* listener_ = nullptr;
  std::map<AdminConnection*, std::unique_ptr<AdminConnection>> connections_;
  event::MonotonicTime last_refusal_log_{};
};

}  // namespace gw::server
