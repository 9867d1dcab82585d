#include "proxy_connector/connector_impl.h"

#include "gateway/common/log.h"
#include "proxy_connector/connect_attempt.h"
#include "proxy_connector/connect_protocol.h"
#include "proxy_connector/connector_context.h"
#include "proxy_connector/http2_pool.h"
#include "proxy_connector/transport_plan.h"

namespace gw::proxy {
namespace {

constexpr char kConnections[] = "microgw_upstream_connections_total";
constexpr char kConnectionsHelp[] = "Upstream connections handed out, by path and origin.";
constexpr char kTunnels[] = "microgw_proxy_tunnels_total";
constexpr char kTunnelsHelp[] = "CONNECT tunnels through the forward proxy, by result.";
constexpr char kFailures[] = "microgw_proxy_tunnel_failures_total";
constexpr char kFailuresHelp[] =
    "Failed CONNECT tunnel set-ups, and forward-mode requests the proxy refused itself, by reason.";
constexpr char kConnectFailures[] = "microgw_upstream_connect_failures_total";
constexpr char kConnectFailuresHelp[] =
    "Failed upstream connection set-ups of any kind (direct, tunnel, forward), by path and reason.";

EvdnsBasePtr makeDnsBase(event_base* base) {
  EvdnsBasePtr dns(
      evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE));
  if (!dns) {
    GW_LOG_WARN(
        "asynchronous DNS unavailable (could not read /etc/resolv.conf); upstream host "
        "names will be resolved with blocking getaddrinfo");
  }
  return dns;
}

// Owns the shared state; attempts and the pool point into it.
class ConnectorImpl : public Connector {
 public:
  ConnectorImpl(event::Dispatcher& dispatcher, const ConnectorOptions& options, stats::Store& stats)
      : context_(dispatcher, options, stats) {}
  // HTTP/2 connections from this connector that went to its dispatcher's
  // Http2Pool close now, while the pool and limit they use still exist.
  ~ConnectorImpl() override { Http2Pool::forget(context_.dispatcher, *this); }

  ConnectHandlePtr connect(const ConnectRequest& request, ConnectCallbacks& callbacks) override {
    return std::make_unique<ConnectAttempt>(context_, request, callbacks);
  }

  void release(UpstreamConnectionPtr connection, bool reusable) override {
    if (!connection) return;
    // Only this connector's connections come back here.
    std::unique_ptr<UpstreamConnectionImpl> conn(
        static_cast<UpstreamConnectionImpl*>(connection.release()));
    bufferevent_setcb(conn->bev(), nullptr, nullptr, nullptr, nullptr);
    if (reusable) context_.pool.park(std::move(conn));
  }

  std::optional<ConnectFailure> proxyAnswered(const UpstreamConnection& connection, int status,
                                              const HeaderLookup& header) override {
    if (!connection.absoluteForm() || !forwardAnswerFromProxy(status, header)) return std::nullopt;
    const ConnectRequest& request =
        static_cast<const UpstreamConnectionImpl&>(connection).info().request;
    ConnectFailure f = forwardRefusedFailure(request, status, header);
    ConnectorMetrics& m = context_.metrics;
    m.failure(f.reason).inc();
    m.connectFailure(/*via_proxy=*/true, f.reason).inc();
    GW_LOG_WARN("upstream request to ", describeRoute(request), " failed: ", f.message, ": ",
                f.detail);
    return f;
  }

 private:
  ConnectorContext context_;
};

}  // namespace

ConnectorMetrics::ConnectorMetrics(stats::Store& s)
    : store(s),
      direct_opened(
          s.counter(kConnections, kConnectionsHelp, {{"path", "direct"}, {"result", "opened"}})),
      direct_reused(
          s.counter(kConnections, kConnectionsHelp, {{"path", "direct"}, {"result", "reused"}})),
      proxy_opened(
          s.counter(kConnections, kConnectionsHelp, {{"path", "proxy"}, {"result", "opened"}})),
      proxy_reused(
          s.counter(kConnections, kConnectionsHelp, {{"path", "proxy"}, {"result", "reused"}})),
      tunnels_opened(s.counter(kTunnels, kTunnelsHelp, {{"result", "opened"}})),
      tunnels_reused(s.counter(kTunnels, kTunnelsHelp, {{"result", "reused"}})),
      tunnels_failed(s.counter(kTunnels, kTunnelsHelp, {{"result", "failed"}})),
      connect_seconds(s.histogram("microgw_proxy_connect_seconds",
                                  "Time from sending CONNECT to the proxy's answer.")),
      active(s.gauge("microgw_upstream_connections_active",
                     "Open upstream connections, in use or idle in a pool.")) {}

stats::Counter& ConnectorMetrics::connection(bool via_proxy, bool reused) {
  if (via_proxy) return reused ? proxy_reused : proxy_opened;
  return reused ? direct_reused : direct_opened;
}

stats::Counter& ConnectorMetrics::connectFailure(bool via_proxy, FailureReason reason) {
  return store.counter(
      kConnectFailures, kConnectFailuresHelp,
      {{"path", via_proxy ? "proxy" : "direct"}, {"reason", failureMetricLabel(reason)}});
}

stats::Counter& ConnectorMetrics::failure(FailureReason reason) {
  // Rare path: the Store lookup (a lock) is fine here.
  return store.counter(kFailures, kFailuresHelp, {{"reason", failureMetricLabel(reason)}});
}

TlsClient::TlsClient(tls::TlsOptions o) : options(std::move(o)) {
  ctx = tls::makeClientSslCtx(options, &error);
  if (ctx) sessions = std::make_unique<tls::ClientSessionCache>(ctx.get());
}

namespace {

tls::TlsOptions backendTlsOptions(const ConnectorOptions& o) {
  tls::TlsOptions tls = o.tls;
  tls.alpn = backendAlpn();
  return tls;
}

}  // namespace

ConnectorContext::ConnectorContext(event::Dispatcher& d, const ConnectorOptions& o, stats::Store& s)
    : dispatcher(d),
      options(o),
      backend_tls(backendTlsOptions(o)),
      dns(makeDnsBase(d.base())),
      metrics(s),
      limit(o.max_active_per_key),
      pool(d, o.pool_idle_timeout, o.max_idle_per_key, o.surplus_idle_linger),
      soon(d.base()) {
  if (!backend_tls.ctx) GW_LOG_ERROR("https upstreams will fail: ", backend_tls.error);
}

SoonQueue::SoonQueue(event_base* base) : event_(event_new(base, -1, 0, &SoonQueue::onFire, this)) {
  head_.prev_ = head_.next_ = &head_;
}

SoonQueue::~SoonQueue() {
  while (!empty(head_)) leave(head_.next_);
}

void SoonQueue::link(Hook& head, Hook* hook) {
  hook->prev_ = head.prev_;
  hook->next_ = &head;
  head.prev_->next_ = hook;
  head.prev_ = hook;
}

void SoonQueue::push(Hook* hook) {
  if (hook->next_ != nullptr) return;
  const bool was_empty = empty(head_);
  link(head_, hook);
  if (was_empty) event_active(event_.get(), EV_TIMEOUT, 1);
}

void SoonQueue::leave(Hook* hook) {
  if (hook->next_ == nullptr) return;
  hook->prev_->next_ = hook->next_;
  hook->next_->prev_ = hook->prev_;
  hook->prev_ = hook->next_ = nullptr;
}

void SoonQueue::onFire(evutil_socket_t, short, void* arg) {
  auto* q = static_cast<SoonQueue*>(arg);
  // What is queued now runs now; what these callbacks queue waits for the
  // next activation (a hook that queues itself again cannot spin here).
  Sentinel running;
  running.prev_ = running.next_ = &running;
  while (!empty(q->head_)) {
    Hook* h = q->head_.next_;
    leave(h);
    link(running, h);
  }
  while (!empty(running)) {
    Hook* h = running.next_;
    leave(h);  // a callback may destroy any hook, which then leaves `running` itself
    h->onSoon();
  }
}

TlsClient& ConnectorContext::proxyTls(const ProxyServer& proxy) {
  std::unique_ptr<TlsClient>& client = proxy_tls[proxy.trust_store_path];
  if (!client) {
    // The proxy is always verified, hostname included: its TLS protects the
    // proxy credentials, whatever httpClients says about backends.
    tls::TlsOptions tls;
    tls.trust_store_path = proxy.trust_store_path;
    tls.trust_store_key = "httpClients.proxy.proxyTrustStorePath";
    tls.alpn = proxyAlpn();
    client = std::make_unique<TlsClient>(std::move(tls));
    if (!client->ctx) GW_LOG_ERROR("https proxies will fail: ", client->error);
  }
  return *client;
}

ConnectorPtr createConnector(event::Dispatcher& dispatcher, const ConnectorOptions& options,
                             stats::Store& stats) {
  return std::make_unique<ConnectorImpl>(dispatcher, options, stats);
}

ConnectorOptions connectorOptionsFor(const conf::HttpClientsConfig& hc) {
  ConnectorOptions options;
  options.tls.trust_store_path = hc.trust_store_path;
  options.tls.trust_store_password = hc.trust_store_password;
  options.tls.verify_hostname = hc.verify_hostname;
  options.tls.disable_verification = hc.disable_ssl_verification;
  options.connect_timeout = std::chrono::milliseconds(hc.connect_timeout_ms);
  options.pool_idle_timeout = std::chrono::milliseconds(hc.pool_idle_timeout_ms);
  options.max_idle_per_key = hc.max_idle_connections_per_host;
  options.max_active_per_key = hc.pool.max_active_connections;
  options.pool_wait_timeout = std::chrono::milliseconds(hc.pool.wait_time_ms);
  return options;
}

}  // namespace gw::proxy
