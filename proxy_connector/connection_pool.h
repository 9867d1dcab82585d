#pragma once

// The connector's concrete UpstreamConnection and its idle pool.
//
// ConnectionPool keeps released connections idle per key (see poolKey()),
// most recently used last. While idle, a connection's bufferevent callbacks are
// the pool's: any byte, EOF or error from the peer closes and drops it, as does
// its idle deadline (one timer for the pool, armed for the earliest deadline:
// parking and taking a connection, once per proxied request, create and
// destroy no timer).
//
// max_idle_per_key is enforced over time, not at each release: a connection
// released while its key already has that many idle is kept for a short
// linger (surplus_linger) instead of the idle timeout, and taken first (most
// recent last). Under a load with more requests in flight than the cap (640
// HTTP/2 streams towards HTTP/1.1 backends, say), releases and new requests
// interleave: closing at once would open a new connection (and TLS handshake)
// for most requests, while after the burst the pool still shrinks to the cap
// within the linger. Thread-safety: none; one pool per connector, on its
// dispatcher's thread.

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>

#include "gateway/event/dispatcher.h"
#include "gateway/stats/stats.h"
#include "gateway/tls/client_context.h"
#include "gateway/tls/openssl_ptr.h"
#include "proxy_connector/connection_limit.h"
#include "proxy_connector/connector.h"
#include "proxy_connector/libevent_ptr.h"

namespace gw::proxy {

// An established stream. Owns the top bufferevent of its stack: the socket,
// or a TLS filter that owns the layer below it and its SSL (TLS in TLS: the
// backend's filter over the proxy's filter over the socket). Counts itself in the
// active-connections gauge, which must outlive it.
class UpstreamConnectionImpl : public UpstreamConnection {
 public:
  struct Info {
    std::string pool_key;
    std::string description;
    bool via_proxy = false;
    bool tls = false;
    bool absolute_form = false;
    std::string alpn;                 // negotiated with the backend; "" = none
    std::string proxy_authorization;  // absolute-form only
    ConnectRequest request;           // for forward-mode error reports
  };
  UpstreamConnectionImpl(BevPtr bev, Info info, stats::Gauge& active);
  ~UpstreamConnectionImpl() override;

  bufferevent* bev() override { return bev_.get(); }
  bool reused() const override { return reused_; }
  bool viaProxy() const override { return info_.via_proxy; }
  bool absoluteForm() const override { return info_.absolute_form; }
  const std::string& proxyAuthorization() const override { return info_.proxy_authorization; }
  const std::string& describe() const override { return info_.description; }
  const std::string& negotiatedProtocol() const override { return info_.alpn; }

  const Info& info() const { return info_; }
  void setReused(bool reused) { reused_ = reused; }
  // Its place under maxActiveConnections, held while in use (not while idle).
  void setSlot(ConnectionLimit::SlotPtr slot) { slot_ = std::move(slot); }
  // False when the peer has closed the socket, or when any byte waits unread:
  // in the input buffer, in an SSL object, in a TLS filter's underlying
  // buffer (at any layer of the stack) or in the socket. Between exchanges a byte is either a
  // protocol violation or (TLS) an alert or a record nobody asked for; a fresh connection is
  // cheaper than guessing which. Non-blocking. With `probe_socket` false only the in-memory buffers
  // are checked (no syscall): what release() does on every request, since take() probes the socket.
  bool stillOpen(bool probe_socket = true) const;

 private:
  ConnectionLimit::SlotPtr slot_;  // released after the socket closes
  BevPtr bev_;
  Info info_;
  stats::Gauge& active_;
  bool reused_ = false;
};

class ConnectionPool {
 public:
  // A parked connection gives back its maxActiveConnections slot; take()
  // hands out connections without one (the caller acquires it first).
  ConnectionPool(event::Dispatcher& dispatcher, std::chrono::milliseconds idle_timeout,
                 uint32_t max_idle_per_key, std::chrono::milliseconds surplus_linger);
  ~ConnectionPool();

  // Keeps `conn` idle for reuse: for the idle timeout, or for the surplus
  // linger when the key already has max_idle_per_key idle connections. Closes
  // it when pooling is off (idle timeout or max_idle_per_key 0) or it is not
  // cleanly reusable (stillOpen() false: closed by the peer, or unread bytes
  // waiting).
  void park(std::unique_ptr<UpstreamConnectionImpl> conn);

  // The most recently parked idle connection for `key` that is still open, or
  // null. Dead ones found on the way are closed. With `probe_socket` false the
  // socket itself is not asked (ConnectRequest::retries_if_stale).
  std::unique_ptr<UpstreamConnectionImpl> take(const std::string& key, bool probe_socket = true);

  size_t idleCount(const std::string& key) const;

 private:
  struct Idle : event::DeferredDeletable {
    ConnectionPool* pool = nullptr;
    std::unique_ptr<UpstreamConnectionImpl> conn;
    event::MonotonicTime expires_at;  // closed then if still idle
  };
  using IdleList = std::list<std::unique_ptr<Idle>>;  // oldest first

  static void onIdleRead(bufferevent* bev, void* arg);
  static void onIdleEvent(bufferevent* bev, short events, void* arg);
  // Closes the connections whose deadline passed, re-arms for the next one.
  void onIdleTimeout();
  void armFor(event::MonotonicTime deadline, event::MonotonicTime now);
  // Drops `idle` from the pool and closes it after the current callback.
  void evict(Idle* idle);
  std::unique_ptr<Idle> unlink(Idle* idle);

  event::Dispatcher& dispatcher_;
  const std::chrono::milliseconds idle_timeout_;
  const uint32_t max_idle_per_key_;
  const std::chrono::milliseconds surplus_linger_;
  std::map<std::string, IdleList> idle_;
  event::TimerPtr idle_timer_;        // armed while any connection is idle
  event::MonotonicTime timer_due_{};  // when idle_timer_ fires, while enabled
};

}  // namespace gw::proxy
