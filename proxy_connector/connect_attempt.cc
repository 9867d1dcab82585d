#include "proxy_connector/connect_attempt.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <cassert>
#include <cerrno>

#include "gateway/common/bev_read.h"
#include "gateway/common/log.h"
#include "proxy_connector/connect_protocol.h"

namespace gw::proxy {

ConnectAttempt::ConnectAttempt(ConnectorContext& context, const ConnectRequest& request,
                               ConnectCallbacks& callbacks)
    : context_(context),
      request_(request.pool_key.empty() ? withPoolKey(request) : request),
      callbacks_(callbacks) {
  assert(key_ == poolKey(request) &&
         "ConnectRequest::pool_key is stale: set it with withPoolKey()");
  // The connector's SoonQueue, not a zero-delay timer: it runs once the
  // caller's callback returns, in the same loop pass (a timer would cost a
  // pass of its own, with an epoll_wait, for every request a pooled
  // connection serves).
  kickSoon();
}

void ConnectAttempt::kickSoon() {
  if (kick_) kick_->disable();  // one kick at a time: never a second deliver()
  context_.soon.push(this);
}

ConnectAttempt::~ConnectAttempt() {
  SoonQueue::leave(this);
  if (phase_ == Phase::Queued) context_.limit.cancel(key_, *this);
  if (bev_) bufferevent_setcb(bev_.get(), nullptr, nullptr, nullptr, nullptr);
  // A pooled connection taken but never handed over goes back to the pool.
  if (pooled_) context_.pool.park(std::move(pooled_));
}

void ConnectAttempt::onSoon() {
  if (phase_ == Phase::Pending || phase_ == Phase::Queued) {
    if (phase_ == Phase::Queued) context_.limit.cancel(key_, *this);
    start();
  } else if (phase_ == Phase::Done) {
    deliver();
  }
}

void ConnectAttempt::start() {
  slot_ = context_.limit.tryAcquire(key_);
  if (!slot_) {
    queue();
    return;
  }
  if (takePooled()) {
    pooled_->setSlot(std::move(slot_));
    phase_ = Phase::Done;
    disarmTimeout();
    deliver();
    return;
  }
  // Planned only now: a connect served from the pool never needs the steps.
  steps_ = planTransport(request_);
  // A TLS step whose trust store did not load fails before any packet is sent.
  for (const TransportStep& step : steps_) {
    TlsClient* client = tlsClientFor(step.kind);
    if (client != nullptr && !client->ctx) {
      fail(tlsStepFailure(step.kind, X509_V_OK, client->error));
      return;
    }
  }
  armTimeout(context_.options.connect_timeout);
  phase_ = Phase::Running;
  step_ = 0;
  runStep();
}

bool ConnectAttempt::takePooled() {
  // Most preferred protocol first: an h2 connection would serve before an
  // HTTP/1.1 one. key_ is the HTTP/1.1 key (the common case: no second key built).
  if (request_.target.tls()) {
    const std::string http1 = carriedProtocol("");
    for (const std::string& protocol : backendAlpn()) {
      if (protocol == http1) break;
      // Probed always: the caller's stale-connection retry is HTTP/1's.
      pooled_ = context_.pool.take(poolKey(request_, protocol));
      if (pooled_) return true;
    }
  }
  pooled_ = context_.pool.take(key_, !request_.retries_if_stale);
  return pooled_ != nullptr;
}

void ConnectAttempt::armTimeout(std::chrono::milliseconds after) {
  // Made on first use: a connect served from the pool never needs it.
  if (!timeout_) timeout_ = context_.dispatcher.createTimer([this] { onTimeout(); });
  timeout_->enable(after);
}

void ConnectAttempt::disarmTimeout() {
  if (timeout_) timeout_->disable();
}

void ConnectAttempt::queue() {
  if (phase_ != Phase::Queued) {
    if (context_.options.pool_wait_timeout.count() <= 0) {
      fail(
          poolExhaustedFailure(request_, context_.limit.max(), context_.options.pool_wait_timeout));
      return;
    }
    phase_ = Phase::Queued;
    armTimeout(context_.options.pool_wait_timeout);
    GW_LOG_DEBUG("upstream connect to ", describeRoute(request_), " waits: ", context_.limit.max(),
                 " connections (maxActiveConnections) in use");
  }
  context_.limit.wait(key_, *this);
  // Slots freed on other workers wake nobody here: look again shortly.
  if (!kick_) kick_ = context_.dispatcher.createTimer([this] { onSoon(); });
  kick_->enable(ConnectionLimit::kRetryInterval);
}

void ConnectAttempt::onMaybeFree() {
  if (phase_ == Phase::Queued) kickSoon();
}

void ConnectAttempt::runStep() {
  if (step_ >= steps_.size()) {
    succeed();
    return;
  }
  const TransportStep& step = steps_[step_];
  switch (step.kind) {
    case StepKind::Tcp:
      startTcp(step);
      return;
    case StepKind::Connect:
      sendConnect();
      return;
    case StepKind::ProxyTls:
    case StepKind::BackendTls:
      startTls(step, *tlsClientFor(step.kind));
      return;
  }
}

void ConnectAttempt::nextStep() {
  ++step_;
  runStep();
}

TlsClient* ConnectAttempt::tlsClientFor(StepKind kind) {
  if (kind == StepKind::BackendTls) return &context_.backend_tls;
  if (kind == StepKind::ProxyTls) return &context_.proxyTls(*request_.proxy);
  return nullptr;
}

void ConnectAttempt::startTcp(const TransportStep& step) {
  event_base* base = context_.dispatcher.base();
  // TLS right above TCP runs on the socket itself (one bufferevent, SSL reads
  // and writes the fd directly) rather than as a filter over a socket
  // bufferevent: one buffer copy and one callback hop less per read and write.
  const bool tls_next = step_ + 1 < steps_.size() && isTls(steps_[step_ + 1].kind);
  if (tls_next) {
    const TransportStep& tls_step = steps_[step_ + 1];
    tls::SslPtr ssl = newSsl(tls_step, *tlsClientFor(tls_step.kind));
    if (!ssl) return;
    bev_.reset(bufferevent_openssl_socket_new(base, -1, ssl.get(), BUFFEREVENT_SSL_CONNECTING,
                                              BEV_OPT_CLOSE_ON_FREE));
    if (bev_) {
      ssl_ = ssl.release();  // owned by bev_ now
      bufferevent_openssl_set_allow_dirty_shutdown(bev_.get(), 1);
    }
  } else {
    bev_.reset(bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
  }
  if (!bev_) {
    fail(tcpFailure(request_, 0, EVUTIL_SOCKET_ERROR()));
    return;
  }
  tls_on_socket_ = tls_next;
  bufferevent_setcb(bev_.get(), &ConnectAttempt::onBevRead, nullptr, &ConnectAttempt::onBevEvent,
                    this);
  if (bufferevent_socket_connect_hostname(bev_.get(), context_.dns.get(), AF_UNSPEC,
                                          step.host.c_str(), step.port) != 0) {
    fail(tcpFailure(request_, bufferevent_socket_get_dns_error(bev_.get()), EVUTIL_SOCKET_ERROR()));
    return;
  }
  if (tls_on_socket_) bufferevent_enable(bev_.get(), EV_READ | EV_WRITE);
}

bool ConnectAttempt::isConnectError(int socket_error) {
  switch (socket_error) {
    case ECONNREFUSED:
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ETIMEDOUT:
    case EADDRNOTAVAIL:
      return true;
    default:
      return false;
  }
}

bool ConnectAttempt::isTls(StepKind kind) {
  return kind == StepKind::ProxyTls || kind == StepKind::BackendTls;
}

tls::SslPtr ConnectAttempt::newSsl(const TransportStep& step, TlsClient& client) {
  tls::SslPtr ssl = tls::makeClientSsl(client.ctx.get(), step.host, client.options);
  if (!ssl) {
    fail(tlsStepFailure(step.kind, X509_V_OK, "could not set up TLS: " + tls::takeSslErrors()));
    return nullptr;
  }
  if (step.kind == StepKind::BackendTls && request_.offer_http2) {
    static const std::string kWithHttp2 = tls::alpnWireFormat(backendAlpnWithHttp2());
    SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const unsigned char*>(kWithHttp2.data()),
                        static_cast<unsigned int>(kWithHttp2.size()));
  }
  session_key_ = Target{"", step.host, step.port}.authority();
  client.sessions->attach(ssl.get(), session_key_);
  return ssl;
}

bool ConnectAttempt::tlsStarted() const {
  return tls_on_socket_ && ssl_ != nullptr && SSL_in_before(ssl_) == 0;
}

void ConnectAttempt::sendConnect() {
  // Over TLS to the proxy when there is one: the credentials never travel in clear.
  const std::string head = connectRequestHead(request_.target, *request_.proxy);
  bufferevent_setcb(bev_.get(), &ConnectAttempt::onBevRead, nullptr, &ConnectAttempt::onBevEvent,
                    this);
  bufferevent_write(bev_.get(), head.data(), head.size());
  connect_sent_at_ = std::chrono::steady_clock::now();
  bufferevent_enable(bev_.get(), EV_READ | EV_WRITE);
}

void ConnectAttempt::onProxyReadable() {
  const ConnectResponseReader::State state = reader_.read(bufferevent_get_input(bev_.get()));
  if (state != ConnectResponseReader::State::NeedMore) onProxyAnswer(state);
}

void ConnectAttempt::onProxyAnswer(ConnectResponseReader::State state) {
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - connect_sent_at_;
  context_.metrics.connect_seconds.observe(took.count());
  switch (state) {
    case ConnectResponseReader::State::Established:
      nextStep();
      return;
    case ConnectResponseReader::State::Rejected:
      fail(proxyRejectedFailure(request_, reader_.status(), reader_.reason(),
                                reader_.proxyAuthenticate()));
      return;
    case ConnectResponseReader::State::Error:
    case ConnectResponseReader::State::NeedMore:
      fail(proxyProtocolFailure(request_, reader_.error()));
      return;
  }
}

void ConnectAttempt::startTls(const TransportStep& step, TlsClient& client) {
  tls::SslPtr ssl = newSsl(step, client);
  if (!ssl) return;
  // The new layer wraps whatever is on top: the socket, or (TLS in TLS) the
  // proxy's TLS filter, which the new filter then owns.
  bufferevent* below = bev_.get();
  bufferevent_setcb(below, nullptr, nullptr, nullptr, nullptr);
  bufferevent* filter =
      bufferevent_openssl_filter_new(context_.dispatcher.base(), below, ssl.get(),
                                     BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
  if (filter == nullptr) {
    // Ownership of both is unclear after a failed filter_new: leak rather than double-free.
    (void)bev_.release();
    (void)ssl.release();
    fail(tlsStepFailure(step.kind, X509_V_OK, "could not create the TLS filter"));
    return;
  }
  (void)bev_.release();
  bev_.reset(filter);
  ssl_ = ssl.release();
  bufferevent_openssl_set_allow_dirty_shutdown(filter, 1);
  bufferevent_setcb(filter, nullptr, nullptr, &ConnectAttempt::onBevEvent, this);
  bufferevent_enable(filter, EV_READ | EV_WRITE);
}

ConnectFailure ConnectAttempt::tlsStepFailure(StepKind kind, long verify,
                                              const std::string& errors) const {
  if (kind == StepKind::ProxyTls) return proxyTlsFailure(request_, verify, errors);
  return tlsFailure(request_, context_.options.tls, verify, errors);
}

void ConnectAttempt::onEvent(short events) {
  if (phase_ != Phase::Running || step_ >= steps_.size()) return;
  const int socket_error = EVUTIL_SOCKET_ERROR();
  switch (steps_[step_].kind) {
    case StepKind::Tcp:
      if (tls_on_socket_ &&
          ((events & BEV_EVENT_CONNECTED) || (tlsStarted() && !isConnectError(socket_error) &&
                                              bufferevent_socket_get_dns_error(bev_.get()) == 0))) {
        // TLS on the socket: CONNECTED comes after the handshake; a failure
        // once the TCP connection stood is the TLS step's.
        tls_on_socket_ = false;
        ++step_;
        onTlsEvent(events);
      } else if (!tls_on_socket_ && (events & BEV_EVENT_CONNECTED)) {
        gw::net::readDirectly(bev_.get());  // one readv per read (bev_read.h)
        nextStep();
      } else {
        fail(tcpFailure(request_, bufferevent_socket_get_dns_error(bev_.get()), socket_error));
      }
      return;
    case StepKind::Connect:
      if (events & BEV_EVENT_EOF) {
        onProxyReadable();
        if (phase_ != Phase::Running || steps_[step_].kind != StepKind::Connect) return;
        const ConnectResponseReader::State state = reader_.finish();
        if (state == ConnectResponseReader::State::Error && reader_.status() == 0) {
          fail(proxyClosedFailure(request_));
        } else {
          onProxyAnswer(state);
        }
      } else if (events & BEV_EVENT_ERROR) {
        fail(resetFailure(request_, "the wait for the proxy's answer to CONNECT"));
      }
      return;
    case StepKind::ProxyTls:
    case StepKind::BackendTls:
      onTlsEvent(events);
      return;
  }
}

void ConnectAttempt::onTlsEvent(short events) {
  const StepKind kind = steps_[step_].kind;
  TlsClient& client = *tlsClientFor(kind);
  if (events & BEV_EVENT_CONNECTED) {
    if (kind == StepKind::BackendTls) alpn_ = tls::negotiatedAlpn(ssl_);
    ssl_ = nullptr;
    nextStep();
    return;
  }
  client.sessions->forget(session_key_);
  std::string errors;
  while (unsigned long e = bufferevent_get_openssl_error(bev_.get())) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    errors += errors.empty() ? buf : std::string("; ") + buf;
  }
  const long verify = ssl_ != nullptr ? SSL_get_verify_result(ssl_) : X509_V_OK;
  if (verify == X509_V_OK && errors.empty()) {
    fail(resetFailure(request_, kind == StepKind::ProxyTls ? "the TLS handshake with the proxy"
                                                           : "the TLS handshake"));
  } else {
    fail(tlsStepFailure(kind, verify, errors));
  }
}

void ConnectAttempt::onTimeout() {
  if (phase_ == Phase::Queued) {
    context_.limit.cancel(key_, *this);
    fail(poolExhaustedFailure(request_, context_.limit.max(), context_.options.pool_wait_timeout));
    return;
  }
  fail(silentHopFailure(request_, setupPhase(), context_.options.connect_timeout,
                        "httpClients.connectTimeoutInMillis", context_.options.connect_timeout));
}

SetupPhase ConnectAttempt::setupPhase() const {
  if (phase_ == Phase::Queued) return SetupPhase::Queued;
  if (phase_ != Phase::Running || step_ >= steps_.size()) return SetupPhase::Tcp;
  const StepKind kind = tlsStarted() ? steps_[step_ + 1].kind : steps_[step_].kind;
  switch (kind) {
    case StepKind::Tcp:
      return SetupPhase::Tcp;
    case StepKind::ProxyTls:
      return SetupPhase::ProxyTls;
    case StepKind::Connect:
      return SetupPhase::ProxyAnswer;
    case StepKind::BackendTls:
      return SetupPhase::Tls;
  }
  return SetupPhase::Tcp;
}

ConnectFailure ConnectAttempt::abandon(std::chrono::milliseconds waited,
                                       const std::string& setting) {
  ConnectFailure f =
      silentHopFailure(request_, setupPhase(), waited, setting, context_.options.connect_timeout);
  if (phase_ == Phase::Queued) context_.limit.cancel(key_, *this);
  phase_ = Phase::Done;
  disarmTimeout();
  if (kick_) kick_->disable();
  SoonQueue::leave(this);
  failure_.reset();
  countFailure(f);
  GW_LOG_WARN("upstream connect to ", describeRoute(request_), " abandoned: ", f.message, ": ",
              f.detail);
  return f;
}

void ConnectAttempt::countFailure(const ConnectFailure& f) {
  ConnectorMetrics& m = context_.metrics;
  const bool via_proxy = request_.proxy.has_value();
  if (via_proxy && !usesAbsoluteForm(request_)) {
    m.tunnels_failed.inc();
    m.failure(f.reason).inc();
  }
  m.connectFailure(via_proxy, f.reason).inc();
}

void ConnectAttempt::succeed() {
  if (phase_ == Phase::Done) return;
  phase_ = Phase::Done;
  disarmTimeout();
  bufferevent_setcb(bev_.get(), nullptr, nullptr, nullptr, nullptr);
  kickSoon();
}

void ConnectAttempt::fail(ConnectFailure failure) {
  if (phase_ == Phase::Done) return;
  if (phase_ == Phase::Queued) context_.limit.cancel(key_, *this);
  phase_ = Phase::Done;
  disarmTimeout();
  if (bev_) {
    bufferevent_setcb(bev_.get(), nullptr, nullptr, nullptr, nullptr);
    bufferevent_disable(bev_.get(), EV_READ | EV_WRITE);
  }
  failure_ = std::move(failure);
  kickSoon();
}

void ConnectAttempt::deliver() {
  ConnectorMetrics& m = context_.metrics;
  const bool via_proxy = request_.proxy.has_value();
  const bool tunnel = via_proxy && !usesAbsoluteForm(request_);
  if (failure_) {
    bev_.reset();
    ssl_ = nullptr;
    slot_.reset();
    const ConnectFailure f = std::move(*failure_);
    failure_.reset();
    countFailure(f);
    GW_LOG_WARN("upstream connect to ", describeRoute(request_), " failed: ", f.message, ": ",
                f.detail);
    callbacks_.onConnectFailed(f);  // may destroy this attempt: nothing after
    return;
  }
  std::unique_ptr<UpstreamConnectionImpl> conn = std::move(pooled_);
  if (conn) {
    conn->setReused(true);
  } else {
    UpstreamConnectionImpl::Info info;
    info.pool_key = poolKey(request_, carriedProtocol(alpn_));
    info.alpn = alpn_;
    info.description = describeRoute(request_);
    info.request = request_;
    info.via_proxy = via_proxy;
    info.tls = request_.target.tls();
    info.absolute_form = usesAbsoluteForm(request_);
    if (info.absolute_form) info.proxy_authorization = basicProxyAuthorization(*request_.proxy);
    conn = std::make_unique<UpstreamConnectionImpl>(std::move(bev_), std::move(info), m.active);
    conn->setSlot(std::move(slot_));
    ssl_ = nullptr;
  }
  m.connection(via_proxy, conn->reused()).inc();
  if (tunnel) (conn->reused() ? m.tunnels_reused : m.tunnels_opened).inc();
  // Bytes that arrived with the set-up (e.g. right after the proxy's 200):
  // make sure the caller's read callback sees them on the next iteration.
  // libevent skips a trigger while the read callback is null, so a no-op one
  // stands in; the deferred run calls whatever callback the caller has set by then.
  if (evbuffer_get_length(bufferevent_get_input(conn->bev())) > 0) {
    bufferevent_setcb(conn->bev(), &ConnectAttempt::onHandedOverRead, nullptr, nullptr, nullptr);
    bufferevent_trigger(conn->bev(), EV_READ, BEV_TRIG_DEFER_CALLBACKS);
  }
  GW_LOG_DEBUG("upstream connection ", conn->reused() ? "reused: " : "opened: ", conn->describe());
  callbacks_.onConnected(std::move(conn));  // may destroy this attempt: nothing after
}

void ConnectAttempt::onHandedOverRead(bufferevent*, void*) {}

void ConnectAttempt::onBevRead(bufferevent*, void* arg) {
  auto* self = static_cast<ConnectAttempt*>(arg);
  if (self->phase_ == Phase::Running && self->steps_[self->step_].kind == StepKind::Connect) {
    self->onProxyReadable();
  }
}

void ConnectAttempt::onBevEvent(bufferevent*, short events, void* arg) {
  static_cast<ConnectAttempt*>(arg)->onEvent(events);
}

}  // namespace gw::proxy
