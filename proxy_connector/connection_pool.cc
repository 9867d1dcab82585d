#include "proxy_connector/connection_pool.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <vector>

#include "gateway/common/log.h"

namespace gw::proxy {

UpstreamConnectionImpl::UpstreamConnectionImpl(BevPtr bev, Info info, stats::Gauge& active)
    : bev_(std::move(bev)), info_(std::move(info)), active_(active) {
  active_.add(1);
}

UpstreamConnectionImpl::~UpstreamConnectionImpl() { active_.sub(1); }

bool UpstreamConnectionImpl::stillOpen(bool probe_socket) const {
  if (!bev_ || evbuffer_get_length(bufferevent_get_input(bev_.get())) > 0) return false;
  bufferevent* raw = bev_.get();
  // Each TLS layer down the stack (filters, and TLS on the socket at the
  // bottom): bytes its SSL object holds, decrypted or not (a partial record
  // the BIO already pulled in), or ciphertext not yet handed to it.
  for (;;) {
    SSL* ssl = bufferevent_openssl_get_ssl(raw);
    if (ssl != nullptr && (SSL_has_pending(ssl) != 0 || SSL_pending(ssl) > 0)) return false;
    bufferevent* below = bufferevent_get_underlying(raw);
    if (below == nullptr) break;
    if (evbuffer_get_length(bufferevent_get_input(below)) > 0) return false;
    raw = below;
  }
  if (!probe_socket) return true;
  const evutil_socket_t fd = bufferevent_getfd(raw);
  if (fd < 0) return false;
  char c;
  const ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return false;  // peer closed
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
  return false;  // bytes waiting in the socket
}

ConnectionPool::ConnectionPool(event::Dispatcher& dispatcher,
                               std::chrono::milliseconds idle_timeout, uint32_t max_idle_per_key,
                               std::chrono::milliseconds surplus_linger)
    : dispatcher_(dispatcher),
      idle_timeout_(idle_timeout),
      max_idle_per_key_(max_idle_per_key),
      surplus_linger_(std::min(surplus_linger, idle_timeout)) {
  idle_timer_ = dispatcher_.createTimer([this] { onIdleTimeout(); });
}

ConnectionPool::~ConnectionPool() {
  for (auto& [key, list] : idle_) {
    for (auto& idle : list)
      bufferevent_setcb(idle->conn->bev(), nullptr, nullptr, nullptr, nullptr);
  }
}

void ConnectionPool::park(std::unique_ptr<UpstreamConnectionImpl> conn) {
  // Buffers checked here, the socket in take() when the caller cannot send
  // again: a recv() probe costs one syscall per proxied request. Bytes and
  // closes that arrive while idle are seen by the idle callbacks.
  if (max_idle_per_key_ == 0 || idle_timeout_.count() <= 0) return;  // `conn` closes here
  if (!conn->stillOpen(/*probe_socket=*/false)) {
    GW_LOG_DEBUG("not pooling upstream connection ", conn->describe(),
                 ": closed by the peer or unread bytes waiting");
    return;
  }
  IdleList& list = idle_[conn->info().pool_key];
  const bool surplus = list.size() >= max_idle_per_key_;
  auto idle = std::make_unique<Idle>();
  Idle* raw = idle.get();
  raw->pool = this;
  raw->conn = std::move(conn);
  const event::MonotonicTime now = dispatcher_.now();
  raw->expires_at = now + (surplus ? surplus_linger_ : idle_timeout_);
  armFor(raw->expires_at, now);
  bufferevent* bev = raw->conn->bev();
  bufferevent_setcb(bev, &ConnectionPool::onIdleRead, nullptr, &ConnectionPool::onIdleEvent, raw);
  // Any byte wakes the idle watch. Both calls only when needed: each is an
  // event_add or more, and connections are parked once per request.
  size_t low = 0, high = 0;
  bufferevent_getwatermark(bev, EV_READ, &low, &high);
  if (low != 0 || high != 0) bufferevent_setwatermark(bev, EV_READ, 0, 0);
  if ((bufferevent_get_enabled(bev) & EV_READ) == 0) bufferevent_enable(bev, EV_READ);
  list.push_back(std::move(idle));
  // Idle is not active: give back the maxActiveConnections slot (this wakes
  // connects waiting for one; they then take this connection).
  raw->conn->setSlot(nullptr);
}

std::unique_ptr<UpstreamConnectionImpl> ConnectionPool::take(const std::string& key,
                                                             bool probe_socket) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  IdleList& list = it->second;
  while (!list.empty()) {
    std::unique_ptr<Idle> idle = std::move(list.back());
    list.pop_back();
    bufferevent_setcb(idle->conn->bev(), nullptr, nullptr, nullptr, nullptr);
    if (idle->conn->stillOpen(probe_socket)) {
      // An empty list stays in the map: the key comes back with the next park().
      return std::move(idle->conn);
    }
  }
  idle_.erase(it);
  return nullptr;
}

size_t ConnectionPool::idleCount(const std::string& key) const {
  auto it = idle_.find(key);
  return it == idle_.end() ? 0 : it->second.size();
}

std::unique_ptr<ConnectionPool::Idle> ConnectionPool::unlink(Idle* idle) {
  auto it = idle_.find(idle->conn->info().pool_key);
  if (it == idle_.end()) return nullptr;
  for (auto i = it->second.begin(); i != it->second.end(); ++i) {
    if (i->get() != idle) continue;
    std::unique_ptr<Idle> out = std::move(*i);
    it->second.erase(i);
    if (it->second.empty()) idle_.erase(it);
    return out;
  }
  return nullptr;
}

void ConnectionPool::evict(Idle* idle) {
  std::unique_ptr<Idle> owned = unlink(idle);
  if (!owned) return;
  bufferevent_setcb(owned->conn->bev(), nullptr, nullptr, nullptr, nullptr);
  bufferevent_disable(owned->conn->bev(), EV_READ | EV_WRITE);
  dispatcher_.deferredDelete(std::move(owned));
}

void ConnectionPool::armFor(event::MonotonicTime deadline, event::MonotonicTime now) {
  if (idle_timer_->enabled() && timer_due_ <= deadline) return;
  timer_due_ = deadline;
  idle_timer_->enable(std::chrono::ceil<std::chrono::milliseconds>(deadline - now));
}

void ConnectionPool::onIdleTimeout() {
  const event::MonotonicTime now = dispatcher_.now();
  std::vector<Idle*> expired;
  std::optional<event::MonotonicTime> next;  // the earliest deadline still ahead
  for (auto& [key, list] : idle_) {
    // Not in deadline order (a surplus connection's linger is shorter): all of them.
    for (const auto& idle : list) {
      if (idle->expires_at > now) {
        if (!next || idle->expires_at < *next) next = idle->expires_at;
      } else {
        expired.push_back(idle.get());
      }
    }
  }
  for (Idle* idle : expired) {
    GW_LOG_DEBUG("closing idle upstream connection ", idle->conn->describe());
    evict(idle);
  }
  if (next) armFor(*next, now);
}

void ConnectionPool::onIdleRead(bufferevent*, void* arg) {
  auto* idle = static_cast<Idle*>(arg);
  GW_LOG_DEBUG("idle upstream connection ", idle->conn->describe(),
               " received unexpected bytes; closing it");
  idle->pool->evict(idle);
}

void ConnectionPool::onIdleEvent(bufferevent*, short, void* arg) {
  auto* idle = static_cast<Idle*>(arg);
  idle->pool->evict(idle);
}

}  // namespace gw::proxy
