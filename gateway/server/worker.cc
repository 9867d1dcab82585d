#include "gateway/server/worker.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>
#include <utility>

#include "gateway/common/heap_stats.h"
#include "gateway/common/log.h"
#include "gateway/stats/stats.h"
#include "proxy_connector/connector_impl.h"

namespace gw::server {
namespace {

// The client's address as the access log shows it. IPv4 is formatted here:
// inet_ntop goes through sprintf, ~1,300 instructions a call, paid on every
// accept and on every parked connection's next request.
std::string addressText(const sockaddr* addr) {
  if (addr->sa_family == AF_INET) {
    const auto* b = reinterpret_cast<const unsigned char*>(
        &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr.s_addr);
    char buf[INET_ADDRSTRLEN];
    char* p = buf;
    for (int i = 0; i < 4; ++i) {
      if (i > 0) *p++ = '.';
      const unsigned v = b[i];
      if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
      *p++ = static_cast<char>('0' + v % 10);
    }
    return std::string(buf, p);
  }
  char buf[INET6_ADDRSTRLEN] = "?";
  if (addr->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, buf, sizeof(buf));
  }
  return buf;
}

// An HTTP/2 session holds ~32 kB while in use (nghttp2's 16 kB frame
// buffer, its stream table, HPACK tables); after this many were deleted by
// parking (~8 MiB), the allocator's free pages go back to the kernel. Rare
// enough that the page faults of reusing them cost nothing measurable.
constexpr int kHttp2ParksPerRelease = 256;

// Owns a closed connection (or a finished handshake) until the dispatcher
// gets round to deleting it.
template <typename T>
struct Deferred : event::DeferredDeletable {
  explicit Deferred(std::unique_ptr<T> o) : object(std::move(o)) {}
  std::unique_ptr<T> object;
};

}  // namespace

Worker::Worker(int index, RuntimeConstSharedPtr runtime, stats::Store& stats, AccessLog& access_log,
               int listen_fd, int tls_listen_fd)
    : index_(index),
      runtime_(std::move(runtime)),
      stats_(stats),
      access_log_(access_log),
      listen_fd_(listen_fd) {
  dispatcher_ = event::createDispatcher("worker-" + std::to_string(index));
  connector_ = makeConnector(*runtime_);
  active_gauge_ =
      &stats_.gauge("microgw_downstream_connections_active", "Open client connections.");
  idle_released_gauge_ = &idleReleasedGauge(stats_);
  parked_gauge_ = &stats_.gauge("microgw_downstream_connections_parked",
                                "Idle connections waiting as bare sockets (over TLS with their "
                                "TLS session) for their next request (counted in _idle_released "
                                "too).");
  parking_ = std::make_unique<IdleParking>(
      *dispatcher_,
      [this](evutil_socket_t fd, std::chrono::milliseconds parked_for) {
        resumeParked(fd, parked_for);
      },
      [this](evutil_socket_t fd) { parkedClosing(fd); });
  listener_.reset(listenOn(listen_fd_, &Worker::onAccept));
  if (tls_listen_fd >= 0) {
    tls_listener_.reset(listenOn(tls_listen_fd, &Worker::onAcceptTls));
    constexpr const char* kHandshakes = "microgw_downstream_tls_handshakes_total";
    constexpr const char* kHelp = "TLS handshakes on the listener by result.";
    handshakes_ok_ = &stats_.counter(kHandshakes, kHelp, {{"result", "success"}});
    handshakes_failed_ = &stats_.counter(kHandshakes, kHelp, {{"result", "failure"}});
  }
  accept_pause_ = dispatcher_->createTimer([this] {
    if (listener_) evconnlistener_enable(listener_.get());
    if (tls_listener_) evconnlistener_enable(tls_listener_.get());
  });
}

evconnlistener* Worker::listenOn(int fd, evconnlistener_cb cb) {
  evconnlistener* l = evconnlistener_new(dispatcher_->base(), cb, this,
                                         LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
  evconnlistener_set_error_cb(l, &Worker::onAcceptError);
  return l;
}

Worker::~Worker() {
  accept_pause_.reset();
  listener_.reset();
  tls_listener_.reset();
  handshakes_.clear();
  connections_.clear();
  parking_.reset();
  parked_tls_.clear();  // the TLS sessions of the sockets it closed
  connector_.reset();
  dispatcher_.reset();
}

void Worker::start() {
  thread_ = std::thread([this] {
    dispatcher_->run();
    // Loop ended: close what is left on this thread, then let one more
    // non-blocking iteration run the deferred deletions they queued.
    listener_.reset();
    tls_listener_.reset();
    handshakes_.clear();
    connections_.clear();
    parking_.reset();
    parked_tls_.clear();  // the TLS sessions of the sockets it closed
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
  tls_listener_.reset();
  handshakes_.clear();  // not yet serving anything
  std::vector<ConnectionManager*> open;
  for (auto& [ptr, conn] : connections_) open.push_back(ptr);
  for (ConnectionManager* c : open) c->drain();
  parking_->closeAll();  // idle keep-alive connections: nothing in flight
  exitIfDrained();
}

void Worker::exitIfDrained() {
  if (draining_ && connections_.empty() && parking_->size() == 0) dispatcher_->exit();
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

void Worker::onAcceptError(evconnlistener*, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  int err = EVUTIL_SOCKET_ERROR();
  // Out of descriptors or memory: accept() would fail again at once, so back
  // off briefly instead of spinning the loop.
  GW_LOG_ERROR("worker ", self->index_, ": accept failed: ", evutil_socket_error_to_string(err),
               err == EMFILE || err == ENFILE ? " (raise the open-files limit, ulimit -n)" : "",
               "; pausing accepts for 100 ms");
  if (self->listener_) evconnlistener_disable(self->listener_.get());
  if (self->tls_listener_) evconnlistener_disable(self->tls_listener_.get());
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
  addConnection(bev, addressText(addr), DownstreamTransport{});
}

void Worker::onAcceptTls(evconnlistener*, evutil_socket_t fd, sockaddr* addr, int, void* arg) {
  static_cast<Worker*>(arg)->acceptTls(fd, addr);
}

void Worker::acceptTls(evutil_socket_t fd, sockaddr* addr) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const tls::ServerContextPtr& context = runtime_->tls_context;
  if (context == nullptr) {
    evutil_closesocket(fd);
    return;
  }
  auto pending = std::make_unique<PendingTlsConnection>(
      *dispatcher_, context->get(), fd, addressText(addr), handshake_log_,
      [this](PendingTlsConnection& p, bufferevent* bev, DownstreamTransport transport) {
        handshakeDone(p, bev, std::move(transport));
      });
  const auto timeout =
      std::chrono::milliseconds(runtime_->config->listener.tls.handshake_timeout_ms);
  if (!pending->start(timeout)) return;
  PendingTlsConnection* raw = pending.get();
  handshakes_.emplace(raw, std::move(pending));
}

void Worker::handshakeDone(PendingTlsConnection& pending, bufferevent* bev,
                           DownstreamTransport transport) {
  auto it = handshakes_.find(&pending);
  if (it == handshakes_.end()) return;
  std::string peer = pending.peer();
  dispatcher_->deferredDelete(
      std::make_unique<Deferred<PendingTlsConnection>>(std::move(it->second)));
  handshakes_.erase(it);
  if (bev == nullptr) {
    handshakes_failed_->inc();
    return;
  }
  handshakes_ok_->inc();
  addConnection(bev, std::move(peer), std::move(transport));
  // Bytes that came with the end of the handshake are already in the input.
  if (evbuffer_get_length(bufferevent_get_input(bev)) > 0) bufferevent_trigger(bev, EV_READ, 0);
}

ConnectionManager& Worker::track(bufferevent* bev, std::string peer,
                                 DownstreamTransport transport) {
  auto conn =
      std::make_unique<ConnectionManager>(*this, bev, std::move(peer), std::move(transport));
  ConnectionManager& raw = *conn;
  connections_.emplace(&raw, std::move(conn));
  return raw;
}

void Worker::addConnection(bufferevent* bev, std::string peer, DownstreamTransport transport) {
  ConnectionManager& conn = track(bev, std::move(peer), std::move(transport));
  active_.fetch_add(1);
  active_gauge_->add(1);
  conn.start();
}

bool Worker::forget(ConnectionManager& connection) {
  auto it = connections_.find(&connection);
  if (it == connections_.end()) return false;
  dispatcher_->deferredDelete(std::make_unique<Deferred<ConnectionManager>>(std::move(it->second)));
  connections_.erase(it);
  return true;
}

void Worker::connectionClosed(ConnectionManager& connection) {
  if (!forget(connection)) return;
  active_.fetch_sub(1);
  active_gauge_->sub(1);
  exitIfDrained();
}

bool Worker::parkIdle(ConnectionManager& connection, evutil_socket_t fd,
                      std::chrono::milliseconds idle_left, const http::Http2IdleState* http2,
                      std::unique_ptr<ParkedTls>& tls) {
  if (draining_ || !connections_.contains(&connection) || !parking_->park(fd, idle_left)) {
    return false;
  }
  if (tls != nullptr) parked_tls_.insert_or_assign(fd, std::move(tls));
  if (http2 != nullptr) {
    parked_http2_.insert_or_assign(fd, *http2);
    // What the deleted sessions held stays in the allocator's free pages,
    // resident, until something reuses it: after a wave of connections has
    // gone idle that is the bulk of the process's memory.
    if (++http2_parked_since_release_ == kHttp2ParksPerRelease) {
      http2_parked_since_release_ = 0;
      heap::releaseFreeMemory();
    }
  }
  forget(connection);  // still an open connection: active_ stays
  idle_released_gauge_->add(1);
  parked_gauge_->add(1);
  return true;
}

void Worker::resumeParked(evutil_socket_t fd, std::chrono::milliseconds parked_for) {
  const auto parked_tls = parked_tls_.find(fd);
  bufferevent* bev = nullptr;
  if (parked_tls == parked_tls_.end()) {
    bev = bufferevent_socket_new(dispatcher_->base(), fd, BEV_OPT_CLOSE_ON_FREE);
  } else {
    // The session as it was: its handshake is done (a new socket BIO is made for it).
    bev = bufferevent_openssl_socket_new(dispatcher_->base(), fd, parked_tls->second->ssl.get(),
                                         BUFFEREVENT_SSL_OPEN, BEV_OPT_CLOSE_ON_FREE);
  }
  if (bev == nullptr) {
    GW_LOG_WARN("worker ", index_, ": out of memory for an idle connection's buffers; closing it");
    parkedClosing(fd);  // still parked: the last words go through its TLS session, if any
    evutil_closesocket(fd);
    return;
  }
  std::unique_ptr<ParkedTls> tls;
  if (parked_tls != parked_tls_.end()) {
    tls = std::move(parked_tls->second);
    parked_tls_.erase(parked_tls);
    tls->ssl.release();  // the bufferevent's now
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
  }
  std::optional<http::Http2IdleState> http2;
  if (auto it = parked_http2_.find(fd); it != parked_http2_.end()) {
    http2 = std::move(it->second);
    parked_http2_.erase(it);
  }
  idle_released_gauge_->sub(1);
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  std::string peer = getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0
                         ? addressText(reinterpret_cast<sockaddr*>(&addr))
                         : "?";
  parked_gauge_->sub(1);
  track(bev, std::move(peer), tls != nullptr ? std::move(*tls->transport) : DownstreamTransport{})
      .resume(parked_for, http2 ? &*http2 : nullptr);  // still counted active
}

void Worker::parkedClosing(evutil_socket_t fd) {
  std::unique_ptr<ParkedTls> tls;
  if (auto it = parked_tls_.find(fd); it != parked_tls_.end()) {
    tls = std::move(it->second);
    parked_tls_.erase(it);
    // Parked without a BIO (ConnectionManager::park): one on the socket, for the last words.
    BIO* bio = BIO_new_socket(fd, BIO_NOCLOSE);
    if (bio != nullptr) SSL_set_bio(tls->ssl.get(), bio, bio);
  }
  if (auto it = parked_http2_.find(fd); it != parked_http2_.end()) {
    // An idle timeout or draining: say so, as an unparked session would. The
    // socket's send buffer is empty (parked with nothing to send), so this
    // is never partial; a client that already went away makes it fail.
    const auto goaway = http::Http2ServerCodec::goAwayFrame(it->second.last_stream_id);
    if (tls != nullptr) {  // never plain bytes into a TLS connection
      if (SSL_get_wbio(tls->ssl.get()) != nullptr) {
        [[maybe_unused]] const int sent =
            SSL_write(tls->ssl.get(), goaway.data(), static_cast<int>(goaway.size()));
      }
    } else {
      [[maybe_unused]] const ssize_t sent =
          send(fd, goaway.data(), goaway.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    parked_http2_.erase(it);
  }
  if (tls != nullptr && SSL_get_wbio(tls->ssl.get()) != nullptr) {
    SSL_shutdown(tls->ssl.get());  // close_notify
  }
  ERR_clear_error();  // a client gone already: nothing to report
  idle_released_gauge_->sub(1);
  parked_gauge_->sub(1);
  active_.fetch_sub(1);
  active_gauge_->sub(1);
  exitIfDrained();
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
