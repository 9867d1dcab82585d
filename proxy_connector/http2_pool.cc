#include "proxy_connector/http2_pool.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <cerrno>
#include <cstring>

#include "gateway/common/bev_write.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "proxy_connector/connect_protocol.h"

namespace gw::proxy {
namespace {

// Keep at most this much codec output queued on the socket.
constexpr size_t kSocketHighWatermark = 1 << 20;
constexpr size_t kSocketLowWatermark = 256 << 10;

}  // namespace

// A connect in progress and the requests waiting for it.
class Http2Pool::Pending : public ConnectCallbacks {
 public:
  Pending(Http2Pool& pool, const ConnectRequest& request, size_t max_streams)
      : pool_(pool), request_(request), max_streams_(max_streams) {
    std::string storage;
    key_ = keyOf(request, storage);
  }
  void start() { connect_ = pool_.connector_.connect(request_, *this); }

  void onConnected(UpstreamConnectionPtr connection) override;
  void onConnectFailed(const ConnectFailure& failure) override;
  // The backend chose HTTP/1.1: the first waiter takes the connection.
  void onDeclined(UpstreamConnectionPtr connection, std::list<Handle*> waiters);

  Http2Pool& pool_;
  ConnectRequest request_;
  std::string key_;
  size_t max_streams_;
  ConnectHandlePtr connect_;
  std::list<Handle*> waiters_;
};

class Http2Pool::Handle : public WaitHandle {
 public:
  Handle(Pending* pending, Waiter& waiter) : pending_(pending), waiter_(waiter) {}
  ~Handle() override {
    if (pending_ != nullptr) pending_->waiters_.remove(this);
  }
  Pending* pending_;
  Waiter& waiter_;
};

void Http2Pool::Pending::onConnected(UpstreamConnectionPtr connection) {
  connect_.reset();
  std::list<Handle*> waiters;
  waiters.swap(waiters_);
  for (Handle* h : waiters) h->pending_ = nullptr;
  if (connection->absoluteForm()) {
    // A forwarding proxy takes HTTP/1 requests in absolute form only.
    ConnectFailure f;
    f.reason = FailureReason::ProxyOther;
    f.message = "HTTP/2 backend behind a forwarding proxy";
    f.detail = gw::cat(
        "the endpoint asks for HTTP/2 but its proxy forwards absolute-form HTTP/1 "
        "requests (httpMode = forward): use httpMode = connect, or drop the "
        "endpoint's http2 setting, for ",
        request_.target.authority());
    pool_.connector_.release(std::move(connection), false);
    for (Handle* h : waiters) h->waiter_.onHttp2Failed(f);
    pool_.onPendingDone(this);
    return;
  }
  if (request_.offer_http2 && connection->negotiatedProtocol() != "h2") {
    onDeclined(std::move(connection), std::move(waiters));
    return;
  }
  Http2PoolConnection& c = pool_.adopt(request_, std::move(connection), max_streams_);
  // Hand out places in order; whoever does not fit waits for another connection.
  std::list<Handle*> rest;
  for (Handle* h : waiters) {
    if (!c.closed() && c.codec().acceptsStreams()) {
      h->waiter_.onHttp2Ready(c);
    } else {
      rest.push_back(h);
    }
  }
  if (!rest.empty()) {
    auto next = std::make_unique<Pending>(pool_, request_, max_streams_);
    for (Handle* h : rest) h->pending_ = next.get();
    next->waiters_ = std::move(rest);
    Pending* p = next.get();
    pool_.pending_.push_back(std::move(next));
    p->start();
  }
  pool_.onPendingDone(this);
}

void Http2Pool::Pending::onDeclined(UpstreamConnectionPtr connection, std::list<Handle*> waiters) {
  Http2Pool& pool = pool_;
  if (pool.http1_.insert(key_).second) {
    GW_LOG_DEBUG("upstream HTTP/2: ", connection->describe(),
                 " chose HTTP/1.1 in ALPN; its requests go over HTTP/1.1");
  }
  pool.onPendingDone(this);  // `this` is gone
  for (Handle* h : waiters) {
    h->waiter_.onHttp2Declined(std::move(connection));  // null after the first
  }
}

void Http2Pool::Pending::onConnectFailed(const ConnectFailure& failure) {
  connect_.reset();
  std::list<Handle*> waiters;
  waiters.swap(waiters_);
  for (Handle* h : waiters) h->pending_ = nullptr;
  const ConnectFailure f = failure;
  pool_.onPendingDone(this);  // `this` is gone after the waiters ran
  for (Handle* h : waiters) h->waiter_.onHttp2Failed(f);
}

Http2Pool::Http2Pool(event::Dispatcher& dispatcher, Connector& connector, uint32_t idle_timeout_ms)
    : dispatcher_(dispatcher),
      connector_(connector),
      connector_owner_(connector.weak_from_this().lock()),
      idle_timeout_ms_(idle_timeout_ms) {}

Http2Pool::~Http2Pool() = default;

struct Http2Pool::Registered {
  event::Dispatcher* dispatcher;
  Connector* connector;
  Http2Pool* pool;
};

std::vector<Http2Pool::Registered>& Http2Pool::registry() {
  // Destroying the list at thread exit frees only the list: a pool left in it
  // is not closed then (the worker's event base is gone by that time, and
  // closing connections would touch freed bufferevents). Connectors forget()
  // their pools when destroyed, so none is left in practice.
  thread_local std::vector<Registered> pools;
  return pools;
}

Http2Pool& Http2Pool::forWorker(event::Dispatcher& dispatcher, Connector& connector,
                                uint32_t idle_timeout_ms) {
  // A pool with no connection and no connect in progress holds nothing and is
  // dropped here, so a dispatcher made later at the same address gets a fresh pool.
  std::vector<Registered>& pools = registry();
  for (auto it = pools.begin(); it != pools.end();) {
    if (it->pool->connections_.empty() && it->pool->pending_.empty() && it->pool->http1_.empty()) {
      delete it->pool;
      it = pools.erase(it);
    } else {
      ++it;
    }
  }
  if (Http2Pool* pool = existing(dispatcher, connector)) return *pool;
  // A reload gave this worker a new connector: the old pool takes no new
  // streams and its connections close as their last stream ends.
  for (const Registered& e : pools) {
    if (e.dispatcher == &dispatcher) e.pool->retire();
  }
  pools.push_back({&dispatcher, &connector, new Http2Pool(dispatcher, connector, idle_timeout_ms)});
  return *pools.back().pool;
}

void Http2Pool::forget(event::Dispatcher& dispatcher, Connector& connector) {
  std::vector<Registered>& pools = registry();
  for (auto it = pools.begin(); it != pools.end();) {
    if (it->dispatcher == &dispatcher && it->connector == &connector) {
      delete it->pool;
      it = pools.erase(it);
    } else {
      ++it;
    }
  }
}

Http2Pool* Http2Pool::existing(event::Dispatcher& dispatcher, Connector& connector) {
  for (const Registered& e : registry()) {
    if (e.dispatcher == &dispatcher && e.connector == &connector) return e.pool;
  }
  return nullptr;
}

std::string_view Http2Pool::keyOf(const ConnectRequest& r, std::string& storage) {
  if (!r.pool_key.empty()) return r.pool_key;
  storage = poolKey(r);  // the route, the proxy's password only hashed
  return storage;
}

Http2PoolConnection* Http2Pool::ready(const ConnectRequest& request) {
  if (retired_ || connections_.empty()) return nullptr;
  std::string storage;
  auto [begin, end] = connections_.equal_range(keyOf(request, storage));
  for (auto it = begin; it != end; ++it) {
    Http2PoolConnection& c = *it->second;
    if (!c.closed() && c.codec().acceptsStreams()) return &c;
  }
  return nullptr;
}

bool Http2Pool::declinedHttp2(const ConnectRequest& request) const {
  if (http1_.empty()) return false;
  std::string storage;
  return http1_.find(keyOf(request, storage)) != http1_.end();
}

Http2Pool::WaitHandlePtr Http2Pool::wait(const ConnectRequest& request, size_t max_streams,
                                         Waiter& waiter) {
  std::string storage;
  const std::string_view key = keyOf(request, storage);
  Pending* target = nullptr;
  for (auto& p : pending_) {
    if (p->key_ == key && p->waiters_.size() < p->max_streams_) {
      target = p.get();
      break;
    }
  }
  bool start = false;
  if (target == nullptr) {
    pending_.push_back(std::make_unique<Pending>(*this, request, max_streams));
    target = pending_.back().get();
    start = true;
  }
  auto handle = std::make_unique<Handle>(target, waiter);
  target->waiters_.push_back(handle.get());
  if (start) target->start();
  return handle;
}

Http2PoolConnection& Http2Pool::adopt(const ConnectRequest& request,
                                      UpstreamConnectionPtr connection, size_t max_streams) {
  std::string storage;
  const std::string key(keyOf(request, storage));
  if (auto it = http1_.find(key); it != http1_.end()) http1_.erase(it);  // h2 again
  auto c = std::make_unique<Http2PoolConnection>(*this, key, std::move(connection), max_streams);
  Http2PoolConnection& ref = *c;
  connections_.emplace(key, std::move(c));
  GW_LOG_DEBUG("upstream HTTP/2: new HTTP/2 connection to ", ref.description(), " (up to ",
               max_streams, " streams)");
  return ref;
}

void Http2Pool::onPendingDone(Pending* pending) {
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->get() == pending) {
      // Deleting a ConnectCallbacks from inside its own callback is safe: the
      // connector calls it last.
      pending_.erase(it);
      return;
    }
  }
}

void Http2Pool::remove(Http2PoolConnection* connection) {
  auto [begin, end] = connections_.equal_range(connection->key());
  for (auto it = begin; it != end; ++it) {
    if (it->second.get() == connection) {
      dispatcher_.deferredDelete(std::move(it->second));
      connections_.erase(it);
      return;
    }
  }
}

size_t Http2Pool::connectionCount() const { return connections_.size(); }

void Http2Pool::retire() {
  retired_ = true;
  std::vector<Http2PoolConnection*> all;
  for (auto& [key, c] : connections_) all.push_back(c.get());
  for (Http2PoolConnection* c : all) c->checkIdle();
}

Http2PoolConnection::Http2PoolConnection(Http2Pool& pool, std::string key,
                                         UpstreamConnectionPtr connection, size_t max_streams)
    : pool_(pool),
      key_(std::move(key)),
      connector_owner_(pool.connectorOwner()),
      connection_(std::move(connection)),
      codec_(max_streams),
      description_(gw::cat(connection_->describe(), " (h2)")) {
  bufferevent* bev = connection_->bev();
  bufferevent_setcb(bev, &onRead, &onWrite, &onEvent, this);
  bufferevent_setwatermark(bev, EV_WRITE, kSocketLowWatermark, 0);
  bufferevent_enable(bev, EV_READ);
  write_path_ = gw::net::writePathOf(bev);
  if (write_path_.direct()) {
    bufferevent_disable(bev, EV_WRITE);
  } else {
    bufferevent_enable(bev, EV_WRITE);
  }
  idle_timer_ = pool_.dispatcher().createTimer([this] {
    if (codec_.activeStreams() == 0) close("idle");
  });
  flush_event_.reset(event_new(pool_.dispatcher().base(), -1, 0, &onFlush, this));
  flushNow();  // the connection preface and SETTINGS
  if (evbuffer_get_length(bufferevent_get_input(bev)) > 0) readInput();
}

// Closed by deleting it, which is what Connector::release(c, false) does, but
// without the pool (it may be gone); connector_owner_ outlives connection_.
Http2PoolConnection::~Http2PoolConnection() {
  if (connection_) {
    bufferevent_setcb(connection_->bev(), nullptr, nullptr, nullptr, nullptr);
    connection_.reset();
  }
}

void Http2PoolConnection::flush() {
  if (flush_pending_ || !connection_ || closed_) return;
  flush_pending_ = true;
  event_active(flush_event_.get(), EV_TIMEOUT, 1);
}

void Http2PoolConnection::onFlush(evutil_socket_t, short, void* arg) {
  static_cast<Http2PoolConnection*>(arg)->flushNow();
}

void Http2PoolConnection::flushNow() {
  flush_pending_ = false;
  if (!connection_ || closed_) return;
  bufferevent* bev = connection_->bev();
  evbuffer* out = bufferevent_get_output(bev);
  while (evbuffer_get_length(out) < kSocketHighWatermark) {
    if (codec_.moveOutput(out) == 0) break;
  }
  gw::net::flushOutput(bev, write_path_);
  checkIdle();
}

void Http2PoolConnection::onWrite(bufferevent* bev, void* arg) {
  auto* c = static_cast<Http2PoolConnection*>(arg);
  gw::net::onOutputDrained(bev, c->write_path_);
  c->flushNow();
}

void Http2PoolConnection::onRead(bufferevent*, void* arg) {
  static_cast<Http2PoolConnection*>(arg)->readInput();
}

void Http2PoolConnection::readInput() {
  if (closed_) return;
  evbuffer* in = bufferevent_get_input(connection_->bev());
  while (!closed_ && evbuffer_get_length(in) > 0) {
    evbuffer_iovec vec;
    if (evbuffer_peek(in, -1, nullptr, &vec, 1) < 1) break;
    const bool ok = codec_.decode(static_cast<const char*>(vec.iov_base), vec.iov_len);
    evbuffer_drain(in, vec.iov_len);
    if (!ok && !closed_) {
      GW_LOG_WARN("upstream HTTP/2: HTTP/2 connection to ", description_,
                  " failed: ", codec_.error());
      flushNow();  // our GOAWAY, when nghttp2 wrote one
      close(codec_.error());
      return;
    }
  }
  flushNow();
}

void Http2PoolConnection::onEvent(bufferevent*, short events, void* arg) {
  auto* c = static_cast<Http2PoolConnection*>(arg);
  if (events & BEV_EVENT_EOF) {
    c->readInput();
    c->close("the backend closed the connection");
  } else if (events & BEV_EVENT_ERROR) {
    c->close(gw::cat("connection error: ", strerror(errno)));
  }
}

void Http2PoolConnection::close(std::string_view why) {
  if (closed_) return;
  closed_ = true;
  idle_timer_.reset();
  if (codec_.activeStreams() > 0) {
    GW_LOG_DEBUG("upstream HTTP/2: HTTP/2 connection to ", description_, " closing with ",
                 codec_.activeStreams(), " open streams: ", why);
  }
  if (connection_) {
    // The socket is closed by the destructor, after the current callback:
    // a caller up the stack may still hold its buffers.
    bufferevent_setcb(connection_->bev(), nullptr, nullptr, nullptr, nullptr);
    bufferevent_disable(connection_->bev(), EV_READ | EV_WRITE);
  }
  pool_.remove(this);
  codec_.decodeEof();  // open streams fail; their owners may retry elsewhere
}

void Http2PoolConnection::checkIdle() {
  if (closed_ || codec_.activeStreams() > 0) {
    if (idle_timer_) idle_timer_->disable();
    return;
  }
  if (!codec_.reusable() || pool_.retired_) {
    close("no longer reusable (GOAWAY, error or a new connector) and idle");
    return;
  }
  if (!idle_timer_->enabled()) {
    idle_timer_->enable(std::chrono::milliseconds(pool_.idleTimeoutMs()));
  }
}

}  // namespace gw::proxy
