#include "gateway/server/admin.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <cstring>

#include "gateway/common/strcat.h"

namespace gw::server {

AdminServer::AdminServer(event::Dispatcher& dispatcher, stats::Store& stats,
                         const std::atomic<bool>& ready)
    : stats_(stats), ready_(ready) {
  http_ = evhttp_new(dispatcher.base());
  evhttp_set_gencb(http_, &AdminServer::handle, this);
}

AdminServer::~AdminServer() {
  if (http_ != nullptr) evhttp_free(http_);
}

absl::Status AdminServer::listen(const conf::AdminConfig& config) {
  if (evhttp_bind_socket(http_, config.host.c_str(), config.port) != 0) {
    return absl::UnavailableError(gw::cat("admin listener: cannot bind ", config.host, ":",
                                          config.port, " (in use? change [admin] port)"));
  }
  return absl::OkStatus();
}

void AdminServer::handle(evhttp_request* req, void* arg) {
  auto* self = static_cast<AdminServer*>(arg);
  const char* uri = evhttp_request_get_uri(req);
  std::string path = uri == nullptr ? "/" : uri;
  path = path.substr(0, path.find('?'));
  evbuffer* body = evbuffer_new();
  int status = 200;
  const char* type = "text/plain; charset=utf-8";
  if (path == "/healthz") {
    evbuffer_add_printf(body, "ok\n");
  } else if (path == "/ready") {
    bool ready = self->ready_.load();
    status = ready ? 200 : 503;
    evbuffer_add_printf(body, ready ? "ready\n" : "not ready\n");
  } else if (path == "/metrics") {
    std::string text = self->stats_.renderPrometheus();
    evbuffer_add(body, text.data(), text.size());
    type = "text/plain; version=0.0.4";
  } else {
    status = 404;
    evbuffer_add_printf(body, "not found: try /healthz, /ready or /metrics\n");
  }
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
  evhttp_send_reply(req, status, status == 200 ? "OK" : (status == 404 ? "Not Found" : "Service Unavailable"), body);
  evbuffer_free(body);
}

}  // namespace gw::server
