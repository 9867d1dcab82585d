#pragma once

// How the terminal upstream filter (the router) and the internal HTTP client
// get a byte stream to a backend.
//
// A Connector hands back an UpstreamConnection: a libevent bufferevent on which
// the caller reads and writes the backend's plain HTTP bytes. Whether the bytes
// travel over a direct TCP connection, through a forward proxy's CONNECT
// tunnel, and/or inside TLS is the connector's business, not the caller's.
// Connections are pooled per dispatcher (worker thread), keyed by (proxy
// scheme and host:port, proxy credentials, target host:port, TLS, protocol).
//
// Threading: a Connector belongs to one Dispatcher and is used only on its
// thread. Callbacks always run on that thread and never inline from connect().
//
// Example (inside a filter on a worker thread):
//
//   class MyFilter : public gw::proxy::ConnectCallbacks { ...
//     void start() {
//       gw::proxy::ConnectRequest req;
//       req.target = {"https", "api.example.com", 443};
//       req.proxy = resolved_proxy;   // std::nullopt = direct
//       handle_ = connector_.connect(req, *this);
//     }
//     void onConnected(gw::proxy::UpstreamConnectionPtr conn) override {
//       bufferevent_write(conn->bev(), ...);  // plain HTTP bytes
//       ...; connector_.release(std::move(conn), /*reusable=*/true);
//     }
//     void onConnectFailed(const gw::proxy::ConnectFailure& f) override {
//       callbacks_->sendLocalReply(f.http_status, f.message, f.detail);
//     }
//   };

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gateway/tls/client_options.h"

struct bufferevent;

namespace gw::proxy {

// Where the bytes must end up.
struct Target {
  std::string scheme;  // "http" or "https"
  std::string host;    // name or IP literal (IPv6 without brackets)
  uint16_t port = 0;
  bool tls() const { return scheme == "https"; }
  // "host:port", IPv6 literals bracketed: the CONNECT request-target and Host.
  std::string authority() const;
};

// A forward proxy to go through, with its credentials.
struct ProxyServer {
  std::string host;
  uint16_t port = 3128;
  std::string username;  // empty = no Proxy-Authorization
  std::string password;  // never logged
  // Plain-http targets: true = CONNECT tunnel (default); false = absolute-form
  // requests straight to the proxy (for proxies that refuse CONNECT to non-443 ports).
  bool connect_for_http = true;
  // "http": plain TCP to the proxy. "https": TLS to the proxy first
  // (httpClients.proxy.protocol); CONNECT and the credentials travel inside it.
  std::string scheme = "http";
  // https proxies: PEM CA bundle or PKCS#12 store that verifies the proxy's
  // certificate (httpClients.proxy.proxyTrustStorePath); empty = system CAs.
  std::string trust_store_path;
  bool tls() const { return scheme == "https"; }
};

// TLS settings for https targets ([httpClients] in micro-gw.conf); the type
// lives in the TLS base layer.
using TlsOptions = tls::TlsOptions;

struct ConnectRequest {
  Target target;
  std::optional<ProxyServer> proxy;  // nullopt = direct
  // https targets: offer "h2" before "http/1.1" in ALPN (the router, with
  // [httpClients] enableHttp2). The caller must then speak what
  // UpstreamConnection::negotiatedProtocol() says. Internal clients leave it off.
  bool offer_http2 = false;
  // The caller sends its request again on a fresh connection when a pooled
  // HTTP/1.1 one turns out closed before any byte of the answer (the router
  // for an idempotent request without a body, the internal HttpClient always).
  // The pool then hands out an idle HTTP/1.1 connection without first asking
  // the socket whether the peer closed it meanwhile (a recv() per request);
  // its idle watch has seen every close the event loop has got to. Without
  // it, and for pooled HTTP/2 connections always, take() probes, so that a
  // request that cannot be sent again never goes out on a connection the
  // backend already closed.
  bool retries_if_stale = false;
  // The connection pool's key for the fields above, for a caller that connects
  // to the same place for many requests (the router, per endpoint): filled by
  // withPoolKey() (connect_protocol.h) once, so that a connect served from the
  // pool builds no key. Empty: the connector computes it on each connect.
  std::string pool_key;
};

// Why a connection could not be had. `message` is a short text for the client's
// error body; `detail` is the log line's explanation of what happened and what
// to change. Neither ever contains a password.
enum class FailureReason {
  Resolve,           // target or proxy host name did not resolve
  Refused,           // TCP connect refused (target, or proxy when proxied)
  Timeout,           // connect / CONNECT / TLS handshake timed out
  Reset,             // connection dropped during set-up
  ProxyAuth,         // proxy answered 407
  ProxyForbidden,    // proxy answered 403 (ACL, e.g. Squid's SSL_ports rule)
  ProxyUnavailable,  // proxy answered 502/503 (it could not reach the target)
  ProxyTimeout,      // proxy answered 504
  ProxyProtocol,     // proxy sent something that is not a valid HTTP response, or oversize headers
  ProxyOther,        // any other non-2xx CONNECT answer
  TlsHandshake,      // TLS failed for a reason other than verification
  TlsVerify,         // backend certificate did not verify
  PoolExhausted,     // maxActiveConnections busy for waitTimeInMillis (503)
};

const char* failureReasonName(FailureReason reason);  // "auth", "refused", "timeout", ...

struct ConnectFailure {
  FailureReason reason = FailureReason::Refused;
  int http_status = 502;  // what the gateway answers its client: 502, 503 or 504
  int proxy_status = 0;   // the proxy's CONNECT answer, when there was one
  std::string message;    // e.g. "proxy authentication failed"
  std::string detail;     // e.g. "proxy 127.0.0.1:3128 answered 407 to CONNECT ...: check
                          // httpClients.proxy.username/password"
};

// An established byte stream to the target. While the caller holds it, the
// caller owns the bufferevent's callbacks (set them with bufferevent_setcb);
// the connector resets them when the connection comes back through release().
class UpstreamConnection {
 public:
  virtual ~UpstreamConnection() = default;
  // Read and write plain HTTP bytes. Never null while the connection is held.
  virtual bufferevent* bev() = 0;
  // True when this stream was taken from the idle pool rather than set up anew.
  virtual bool reused() const = 0;
  virtual bool viaProxy() const = 0;
  // True when requests must use absolute-form targets ("GET http://host:port/path")
  // because the stream goes to a forwarding proxy without a tunnel.
  virtual bool absoluteForm() const = 0;
  // With absoluteForm(): the Proxy-Authorization value to send ("" = none).
  virtual const std::string& proxyAuthorization() const = 0;
  // For logs: "127.0.0.1:8443 (tls) via proxy 127.0.0.1:3128". No credentials.
  virtual const std::string& describe() const = 0;
  // The application protocol the backend selected by ALPN ("http/1.1", later
  // "h2"); "" when none was negotiated (plain TCP, or no ALPN from the
  // server): HTTP/1.1 then. The upstream codec is chosen by it.
  virtual const std::string& negotiatedProtocol() const {
    static const std::string kNone;
    return kNone;
  }
};
using UpstreamConnectionPtr = std::unique_ptr<UpstreamConnection>;

// Receives the outcome of Connector::connect(). Exactly one method is called,
// once, unless the ConnectHandle is destroyed first (then neither is).
class ConnectCallbacks {
 public:
  virtual ~ConnectCallbacks() = default;
  virtual void onConnected(UpstreamConnectionPtr connection) = 0;
  virtual void onConnectFailed(const ConnectFailure& failure) = 0;
};

// An in-progress connect. Destroying it cancels the attempt; the callbacks are
// then never called.
class ConnectHandle {
 public:
  virtual ~ConnectHandle() = default;

  // For a caller whose own deadline ran out first (e.g. the route's
  // timeoutInMillis, shorter than connectTimeoutInMillis): the failure that
  // names the hop that stayed silent ("proxy 127.0.0.1:3128 did not answer the
  // CONNECT ..."), logged and counted as a connect timeout. `waited` and
  // `setting` (the key that set the caller's deadline) go into the detail. No
  // callback runs for it; the caller destroys the handle afterwards.
  virtual ConnectFailure abandon(std::chrono::milliseconds waited, const std::string& setting);
};
using ConnectHandlePtr = std::unique_ptr<ConnectHandle>;

// Owned through a shared_ptr by the worker, so that what holds upstream
// connections beyond one request (the router's HTTP/2 pool) can keep the
// connector they came from alive (weak_from_this()).
class Connector : public std::enable_shared_from_this<Connector> {
 public:
  virtual ~Connector() = default;

  // Starts getting a connection for `request`: an idle pooled one when there is
  // one for the same key (reused() is then true), else a new one. `callbacks`
  // must outlive the returned handle.
  virtual ConnectHandlePtr connect(const ConnectRequest& request, ConnectCallbacks& callbacks) = 0;

  // Gives a connection back after a complete exchange. With reusable=true and
  // room in the pool it is kept idle for reuse (closed after the pool idle
  // timeout, or as soon as the peer closes it); otherwise it is closed.
  virtual void release(UpstreamConnectionPtr connection, bool reusable) = 0;

  // Forward (absolute-form) mode: a proxy that cannot or will not forward a
  // request answers in the backend's place. Given the status and headers
  // (`header(name)`: first value, "" when absent) of a response read on
  // `connection`, returns the failure to report when the proxy generated the
  // answer itself, logged and counted as the same refusal of a CONNECT would
  // be; nullopt for an answer relayed from the backend (the rule is
  // forwardAnswerFromProxy() in connect_protocol.h).
  using HeaderLookup = std::function<std::string(const std::string& name)>;
  virtual std::optional<ConnectFailure> proxyAnswered(const UpstreamConnection& connection,
                                                      int status, const HeaderLookup& header);
};
using ConnectorPtr = std::unique_ptr<Connector>;

}  // namespace gw::proxy
