#include "gateway/server/worker.h"

#include <arpa/inet.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>

#include "gateway/common/log.h"
#include "gateway/stats/stats.h"
#include "proxy_connector/connector_impl.h"

namespace gw::server {
namespace {

std::string addressText(const sockaddr* addr) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (addr->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, buf, sizeof(buf));
  } else if (addr->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, buf, sizeof(buf));
  }
  return buf;
}

// Owns a closed connection until the dispatcher gets round to deleting it.
struct DeferredConnection : event::DeferredDeletable {
  explicit DeferredConnection(std::unique_ptr<ConnectionManager> c) : connection(std::move(c)) {}
  std::unique_ptr<ConnectionManager> connection;
};

}  // namespace

Worker::Worker(int index, RuntimeConstSharedPtr runtime, stats::Store& stats, AccessLog& access_log,
               int listen_fd)
    : index_(index),
      runtime_(std::move(runtime)),
      stats_(stats),
      access_log_(access_log),
      listen_fd_(listen_fd) {
  dispatcher_ = event::createDispatcher("worker-" + std::to_string(index));
  connector_ = makeConnector(*runtime_);
  active_gauge_ =
      &stats_.gauge("microgw_downstream_connections_active", "Open client connections.");
  listener_.reset(evconnlistener_new(dispatcher_->base(), &Worker::onAccept, this,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1,
                                     listen_fd_));
  evconnlistener_set_error_cb(listener_.get(), &Worker::onAcceptError);
  accept_pause_ = dispatcher_->createTimer([this] {
    if (listener_) evconnlistener_enable(listener_.get());
  });
}

Worker::~Worker() {
  accept_pause_.reset();
  listener_.reset();
  connections_.clear();
  connector_.reset();
  dispatcher_.reset();
}

void Worker::start() {
  thread_ = std::thread([this] {
    dispatcher_->run();
    // Loop ended: close what is left on this thread, then let one more
    // non-blocking iteration run the deferred deletions they queued.
    listener_.reset();
    connections_.clear();
    event_base_loop(dispatcher_->base(), EVLOOP_NONBLOCK);
  });
}

std::shared_ptr<proxy::Connector> Worker::makeConnector(const Runtime& runtime) {
  return proxy::createConnector(*dispatcher_,
                                proxy::connectorOptionsFor(runtime.config->http_clients), stats_);
}

void Worker::updateRuntime(RuntimeConstSharedPtr runtime, bool new_connector) {
  // Like the first connector (built in the constructor), the new one is made
  // on the main thread; it only touches the worker's event_base when used.
  std::shared_ptr<proxy::Connector> connector = new_connector ? makeConnector(*runtime) : nullptr;
  dispatcher_->post(
      [this, runtime = std::move(runtime), connector = std::move(connector)]() mutable {
        runtime_ = std::move(runtime);
        if (connector) connector_ = std::move(connector);
      });
}

void Worker::drain() {
  dispatcher_->post([this] { drainOnThread(); });
}

void Worker::drainOnThread() {
  draining_ = true;
  listener_.reset();  // stop accepting: the kernel refuses new connections once all workers close
  std::vector<ConnectionManager*> open;
  for (auto& [ptr, conn] : connections_) open.push_back(ptr);
  for (ConnectionManager* c : open) c->drain();
  if (connections_.empty()) dispatcher_->exit();
}

void Worker::stop() {
  dispatcher_->post([this] { dispatcher_->exit(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::onAccept(evconnlistener*, evutil_socket_t fd, sockaddr* addr, int, void* arg) {
  static_cast<Worker*>(arg)->accept(fd, addr);
}

void Worker::onAcceptError(evconnlistener* listener, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  int err = EVUTIL_SOCKET_ERROR();
  // Out of descriptors or memory: accept() would fail again at once, so back
  // off briefly instead of spinning the loop.
  GW_LOG_ERROR("worker ", self->index_, ": accept failed: ", evutil_socket_error_to_string(err),
               err == EMFILE || err == ENFILE ? " (raise the open-files limit, ulimit -n)" : "",
               "; pausing accepts for 100 ms");
  evconnlistener_disable(listener);
  self->accept_pause_->enable(std::chrono::milliseconds(100));
}

void Worker::accept(evutil_socket_t fd, sockaddr* addr) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  bufferevent* bev = bufferevent_socket_new(dispatcher_->base(), fd, BEV_OPT_CLOSE_ON_FREE);
  if (bev == nullptr) {
    evutil_closesocket(fd);
    return;
  }
  auto conn = std::make_unique<ConnectionManager>(*this, bev, addressText(addr));
  ConnectionManager* raw = conn.get();
  connections_.emplace(raw, std::move(conn));
  active_.fetch_add(1);
  active_gauge_->add(1);
  raw->start();
}

void Worker::connectionClosed(ConnectionManager& connection) {
  auto it = connections_.find(&connection);
  if (it == connections_.end()) return;
  dispatcher_->deferredDelete(std::make_unique<DeferredConnection>(std::move(it->second)));
  connections_.erase(it);
  active_.fetch_sub(1);
  active_gauge_->sub(1);
  if (draining_ && connections_.empty()) dispatcher_->exit();
}

stats::Counter& Worker::requestCounter(const std::string& api, int status) {
  int cls = status / 100;
  auto key = std::make_pair(api, cls);
  auto it = request_counters_.find(key);
  if (it != request_counters_.end()) return *it->second;
  std::string class_label = (cls >= 1 && cls <= 5) ? std::to_string(cls) + "xx" : "other";
  stats::Counter& c = stats_.counter("microgw_requests_total", "Requests by API and status class.",
                                     {{"api", api.empty() ? "none" : api}, {"class", class_label}});
  request_counters_.emplace(key, &c);
  return c;
}

}  // namespace gw::server
