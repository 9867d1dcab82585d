#pragma once

// What a connection attempt shares with its connector: dispatcher, options,
// TLS clients (SSL_CTX and session cache per trust configuration), DNS base, pool and metrics.
// Internal to //proxy_connector:connector_impl. Thread-safety: the connector's dispatcher thread
// only.

#include <map>
#include <memory>
#include <string>

#include "gateway/event/dispatcher.h"
#include "gateway/stats/stats.h"
#include "gateway/tls/client_context.h"
#include "gateway/tls/client_session_cache.h"
#include "gateway/tls/openssl_ptr.h"
#include "proxy_connector/connection_limit.h"
#include "proxy_connector/connection_pool.h"
#include "proxy_connector/connector_impl.h"
#include "proxy_connector/libevent_ptr.h"

namespace gw::proxy {

// References into the Store, looked up once (lookups lock; updates do not).
struct ConnectorMetrics {
  explicit ConnectorMetrics(stats::Store& store);
  stats::Counter& connection(bool via_proxy, bool reused);
  stats::Counter& failure(FailureReason reason);                         // CONNECT tunnels only
  stats::Counter& connectFailure(bool via_proxy, FailureReason reason);  // every set-up

  stats::Store& store;
  stats::Counter& direct_opened;
  stats::Counter& direct_reused;
  stats::Counter& proxy_opened;
  stats::Counter& proxy_reused;
  stats::Counter& tunnels_opened;
  stats::Counter& tunnels_reused;
  stats::Counter& tunnels_failed;
  stats::Histogram& connect_seconds;
  stats::Gauge& active;
};

// One client TLS configuration (the backends', or an https proxy's): its
// options, SSL_CTX and session cache.
struct TlsClient {
  explicit TlsClient(tls::TlsOptions options);
  tls::TlsOptions options;
  std::string error;                                  // why ctx could not be made
  tls::SslCtxPtr ctx;                                 // null when error is set
  std::unique_ptr<tls::ClientSessionCache> sessions;  // null with ctx
};

// Work to run later in the current loop pass (a connect's start and its
// outcome: never inline from connect()): one activated libevent event for the
// whole connector, where an event per attempt cost an event_new, event_active
// and event_free for every proxied request. FIFO; a hook that is destroyed
// while queued must leave() first (ConnectAttempt's destructor does).
class SoonQueue {
 public:
  class Hook {
   public:
    virtual void onSoon() = 0;

   protected:
    ~Hook() = default;

   private:
    friend class SoonQueue;
    Hook* prev_ = nullptr;  // both null: not queued
    Hook* next_ = nullptr;
  };

  explicit SoonQueue(event_base* base);
  ~SoonQueue();
  // Runs hook->onSoon() later in this loop pass; no-op if already queued.
  void push(Hook* hook);
  // Takes `hook` out of the queue, if queued.
  static void leave(Hook* hook);

 private:
  // A circular list through a sentinel: leave() needs no queue.
  struct Sentinel : Hook {
    void onSoon() override {}
  };
  static void onFire(evutil_socket_t, short, void* arg);
  static bool empty(const Hook& head) { return head.next_ == &head; }
  static void link(Hook& head, Hook* hook);

  Sentinel head_;
  EventPtr event_;
};

struct ConnectorContext {
  ConnectorContext(event::Dispatcher& d, const ConnectorOptions& o, stats::Store& s);

  event::Dispatcher& dispatcher;
  const ConnectorOptions options;
  TlsClient backend_tls;  // httpClients' trust store, ALPN backendAlpn()
  // https proxies' TLS by trust store path (proxyTrustStorePath), made on first use.
  TlsClient& proxyTls(const ProxyServer& proxy);
  std::map<std::string, std::unique_ptr<TlsClient>> proxy_tls;
  EvdnsBasePtr dns;  // null: blocking getaddrinfo fallback
  ConnectorMetrics metrics;
  ConnectionLimit limit;  // before pool: connections handed out hold its slots
  ConnectionPool pool;
  SoonQueue soon;
};

}  // namespace gw::proxy
