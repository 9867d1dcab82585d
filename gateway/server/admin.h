#pragma once

// The admin listener ([admin] host/port, default 127.0.0.1:9797), on the main
// thread's dispatcher: GET /healthz (alive), /ready (accepting traffic; 503
// while starting or draining) and /metrics (Prometheus text format).

#include <atomic>
#include <memory>

#include "absl/status/status.h"
#include "conf/config.h"
#include "gateway/event/dispatcher.h"
#include "gateway/stats/stats.h"

struct evhttp;
struct evhttp_request;

namespace gw::server {

class AdminServer {
 public:
  AdminServer(event::Dispatcher& dispatcher, stats::Store& stats, const std::atomic<bool>& ready);
  ~AdminServer();
  absl::Status listen(const conf::AdminConfig& config);

 private:
  static void handle(::evhttp_request* req, void* arg);
  stats::Store& stats_;
  const std::atomic<bool>& ready_;
  evhttp* http_ = nullptr;
};

}  // namespace gw::server
