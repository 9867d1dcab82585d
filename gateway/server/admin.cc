#include "gateway/server/admin.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "gateway/common/heap_stats.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/http/filter_chain.h"
#include "gateway/http/http1_server_codec.h"

namespace gw::server {
namespace {

// Unparsed input held per connection at most (requests are answered one at a time).
constexpr size_t kReadHighWatermark = 64 << 10;
// After a response on a connection we close, late client bytes are discarded
// this long so the response is not lost to a TCP reset.
constexpr std::chrono::milliseconds kLingerTime{2000};
// At most one "connection refused" log line per this interval.
constexpr std::chrono::seconds kRefusalLogInterval{1};

std::string peerName(const sockaddr* addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
  } else if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  }
  return gw::cat(host, ":", port);
}

std::string fullResponse(int status, std::string_view type, std::string_view body) {
  return gw::cat("HTTP/1.1 ", status, " ", http::reasonPhrase(status), "\r\nContent-Type: ", type,
                 "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
}

}  // namespace

// One admin connection: requests parsed by the main listener's codec, answered
// one at a time. Deleted through the dispatcher once closed.
class AdminConnection : public http::ServerCodecCallbacks,
                        public http::RequestDecoder,
                        public event::DeferredDeletable {
 public:
  AdminConnection(AdminServer& server, bufferevent* bev, std::string peer)
      : server_(server), bev_(bev), peer_(std::move(peer)) {
    const conf::ListenerConfig& l = server_.limits_;
    http::CodecLimits limits;
    limits.max_uri_length = l.max_uri_length;
    limits.max_header_size = l.max_header_size;
    limits.max_entity_body_size = l.max_entity_body_size;
    codec_ = std::make_unique<http::Http1ServerCodec>(*this, bufferevent_get_output(bev_), limits);
    timer_ = server_.dispatcher_.createTimer([this] { onTimer(); });
  }
  ~AdminConnection() override {
    timer_.reset();
    if (bev_ != nullptr) bufferevent_free(bev_);
  }

  void start() {
    bufferevent_setcb(bev_, &onReadCb, &onWriteCb, &onEventCb, this);
    bufferevent_setwatermark(bev_, EV_READ, 0, kReadHighWatermark);
    bufferevent_enable(bev_, EV_READ | EV_WRITE);
    armTimer(TimerMode::Idle);
  }

 private:
  enum class TimerMode { Idle, Request, Linger };

  // http::ServerCodecCallbacks
  http::RequestDecoder& newStream(http::ResponseEncoder& encoder) override {
    encoder_ = &encoder;
    return *this;
  }
  void onProtocolError(int status, std::string_view message,
                       std::string_view description) override {
    GW_LOG_INFO("admin ", peer_, ": ", status, " ", message, ": ", description);
    const std::string body = http::localReplyBody(status, message, description);
    const std::string out = fullResponse(status, "application/json", body);
    evbuffer_add(bufferevent_get_output(bev_), out.data(), out.size());
    closeAfterWrite();
  }

  // http::RequestDecoder
  void decodeHeaders(http::RequestHeaders headers, bool end_stream) override {
    path_ = std::string(headers.pathOnly());
    if (end_stream) respond();
  }
  void decodeData(std::string& data, bool end_stream) override {
    data.clear();  // the admin endpoints take no body
    if (end_stream) respond();
  }
  void decodeTrailers(http::HeaderMap) override { respond(); }

  void respond();
  void closeAfterWrite();
  void close();
  void armTimer(TimerMode mode);
  void onTimer();
  void onRead();
  void onWrite();

  static void onReadCb(bufferevent*, void* arg) { static_cast<AdminConnection*>(arg)->onRead(); }
  static void onWriteCb(bufferevent*, void* arg) { static_cast<AdminConnection*>(arg)->onWrite(); }
  static void onEventCb(bufferevent*, short, void* arg) {
    static_cast<AdminConnection*>(arg)->close();  // EOF or error: nothing more to answer
  }

  AdminServer& server_;
  bufferevent* bev_;
  std::string peer_;
  std::unique_ptr<http::Http1ServerCodec> codec_;
  http::ResponseEncoder* encoder_ = nullptr;
  event::TimerPtr timer_;
  TimerMode timer_mode_ = TimerMode::Idle;
  std::string path_;
  bool close_after_write_ = false;
  bool lingering_ = false;
  bool closed_ = false;
};

void AdminConnection::respond() {
  int status = 200;
  std::string type = "text/plain; charset=utf-8";
  std::string body;
  if (path_ == "/healthz") {
    body = "ok\n";
  } else if (path_ == "/ready") {
    const bool ready = server_.ready_.load();
    status = ready ? 200 : 503;
    body = ready ? "ready\n" : "not ready\n";
  } else if (path_ == "/metrics") {
    body = server_.stats_.renderPrometheus();
    type = "text/plain; version=0.0.4";
  } else if (path_ == "/memory") {
    body = heap::heapStatsJson(heap::heapStats());
    type = "application/json";
  } else {
    status = 404;
    body = "not found: try /healthz, /ready, /metrics or /memory\n";
  }
  http::ResponseHeaders headers;
  headers.status = status;
  headers.headers.add("Content-Type", type);
  headers.headers.add("Content-Length", std::to_string(body.size()));
  encoder_->encodeHeaders(headers, false);
  encoder_->encodeData(body, true);
  encoder_ = nullptr;
  if (!codec_->keepAlive()) {
    closeAfterWrite();
    return;
  }
  codec_->resume();
  armTimer(TimerMode::Idle);
  // A pipelined request may wait already: parse it from a fresh callback.
  if (evbuffer_get_length(bufferevent_get_input(bev_)) > 0) {
    bufferevent_trigger(bev_, EV_READ, BEV_OPT_DEFER_CALLBACKS);
  }
}

void AdminConnection::onRead() {
  if (closed_) return;
  evbuffer* input = bufferevent_get_input(bev_);
  if (close_after_write_) {
    evbuffer_drain(input, evbuffer_get_length(input));
    return;
  }
  if (timer_mode_ == TimerMode::Idle && evbuffer_get_length(input) > 0) {
    armTimer(TimerMode::Request);  // headers and body must arrive within the header timeout
  }
  codec_->dispatch(input);
}

void AdminConnection::closeAfterWrite() {
  if (close_after_write_) return;
  close_after_write_ = true;
  timer_->disable();
  bufferevent_setwatermark(bev_, EV_WRITE, 0, 0);
  if (evbuffer_get_length(bufferevent_get_output(bev_)) == 0) onWrite();
}

void AdminConnection::onWrite() {
  if (closed_ || !close_after_write_ || lingering_) return;
  if (evbuffer_get_length(bufferevent_get_output(bev_)) > 0) return;
  lingering_ = true;
  shutdown(bufferevent_getfd(bev_), SHUT_WR);
  bufferevent_enable(bev_, EV_READ);
  bufferevent_setwatermark(bev_, EV_READ, 0, 0);
  armTimer(TimerMode::Linger);
}

void AdminConnection::armTimer(TimerMode mode) {
  timer_mode_ = mode;
  const conf::ListenerConfig& l = server_.limits_;
  switch (mode) {
    case TimerMode::Idle:
      timer_->enable(std::chrono::milliseconds(l.idle_timeout_ms));
      return;
    case TimerMode::Request:
      timer_->enable(std::chrono::milliseconds(l.header_read_timeout_ms));
      return;
    case TimerMode::Linger:
      timer_->enable(kLingerTime);
      return;
  }
}

void AdminConnection::onTimer() {
  if (timer_mode_ == TimerMode::Request && codec_->streamActive()) {
    onProtocolError(408, "Request timeout",
                    gw::cat("request not received within ", server_.limits_.header_read_timeout_ms,
                            " ms (listenerConfig.headerReadTimeoutInMillis)"));
    return;
  }
  close();
}

void AdminConnection::close() {
  if (closed_) return;
  closed_ = true;
  timer_->disable();
  bufferevent_disable(bev_, EV_READ | EV_WRITE);
  server_.remove(this);
}

AdminServer::AdminServer(event::Dispatcher& dispatcher, stats::Store& stats,
                         const std::atomic<bool>& ready)
    : dispatcher_(dispatcher), stats_(stats), ready_(ready) {}

AdminServer::~AdminServer() {
  if (listener_ != nullptr) evconnlistener_free(listener_);
  connections_.clear();
}

absl::Status AdminServer::listen(const conf::AdminConfig& config,
                                 const conf::ListenerConfig& limits) {
  config_ = config;
  limits_ = limits;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(config.port);
  if (int rc = getaddrinfo(config.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return absl::InvalidArgumentError(
        gw::cat("admin.host '", config.host, "' does not resolve: ", gai_strerror(rc)));
  }
  // SO_REUSEADDR only (no SO_REUSEPORT): a port another process listens on fails here.
  listener_ =
      evconnlistener_new_bind(dispatcher_.base(), &AdminServer::onAccept, this,
                              LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
                              128, res->ai_addr, static_cast<int>(res->ai_addrlen));
  const int error = errno;
  freeaddrinfo(res);
  if (listener_ == nullptr) {
    return absl::UnavailableError(gw::cat(
        "admin listener: cannot listen on ", config.host, ":", config.port, ": ",
        std::strerror(error),
        error == EADDRINUSE ? " (another process, maybe another microgw, listens there)" : "",
        "; change [admin] port or stop the other process"));
  }
  return absl::OkStatus();
}

void AdminServer::onAccept(evconnlistener*, int fd, sockaddr* addr, int, void* arg) {
  auto* self = static_cast<AdminServer*>(arg);
  const std::string peer = peerName(addr);
  if (self->connections_.size() >= self->config_.max_connections) {
    self->refuse(fd, peer);
    return;
  }
  self->accept(fd, peer);
}

void AdminServer::accept(int fd, const std::string& peer) {
  evutil_make_socket_nonblocking(fd);
  bufferevent* bev = bufferevent_socket_new(dispatcher_.base(), fd, BEV_OPT_CLOSE_ON_FREE);
  if (bev == nullptr) {
    ::close(fd);
    return;
  }
  auto connection = std::make_unique<AdminConnection>(*this, bev, peer);
  AdminConnection* raw = connection.get();
  connections_.emplace(raw, std::move(connection));
  raw->start();
}

// Over [admin] maxConnections: a short 503, then close, without reading.
void AdminServer::refuse(int fd, const std::string& peer) {
  const std::string out =
      fullResponse(503, "text/plain; charset=utf-8",
                   gw::cat("admin connection limit (", config_.max_connections,
                           ") reached; retry later or raise [admin] maxConnections\n"));
  (void)send(fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(fd);
  stats_
      .counter("microgw_admin_connections_refused_total",
               "Admin connections refused over [admin] maxConnections.")
      .inc();
  const event::MonotonicTime now = dispatcher_.now();
  if (now - last_refusal_log_ >= kRefusalLogInterval) {
    last_refusal_log_ = now;
    GW_LOG_WARN(
        "admin ", peer, ": connection refused: ", connections_.size(),
        " connections open, the limit is [admin] maxConnections = ", config_.max_connections);
  }
}

void AdminServer::remove(AdminConnection* connection) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  dispatcher_.deferredDelete(std::move(it->second));
  connections_.erase(it);
}

}  // namespace gw::server
