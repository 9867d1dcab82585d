#pragma once

// A small asynchronous HTTP client for the gateway's internal services (key
// manager, JWKS, etcd, analytics, traffic manager) on top of a Connector. The
// proxy is chosen per request with resolveInternalProxy()
// (enableInternalServices, nonProxyHosts). Each exchange is one stream of the
// upstream codecs the router uses (gateway/http/upstream_codec.h), so both
// read responses by the same rules (1xx answers apart, status 100-599, ...):
//  - HTTP/1.1 (Http1UpstreamCodec): connections go back to the connector's
//    pool when the exchange leaves them reusable; a request that fails on a
//    pooled connection before any response byte is retried once on a new one.
//  - HTTP/2: an https target is offered "h2" in ALPN when [httpClients]
//    enableHttp2 is true (directly or inside a CONNECT tunnel); when it picks
//    it, the connection joins the worker's Http2Pool (proxy_connector/
//    http2_pool.h) and later exchanges to that target are streams on it. A
//    stream the server refused (GOAWAY, REFUSED_STREAM) is sent once more.
// A Host header in HttpRequest::headers replaces the URL's authority as the
// request's Host (HTTP/2 :authority).
//
// Two ways to use it:
//  - stream(): the head, then the body in pieces as they arrive (an etcd
//    watch is an endless chunked body), then completion. The returned handle
//    cancels the exchange when destroyed: no callback runs after that.
//  - request(): the whole response at once (body capped at kMaxResponseBytes),
//    a convenience wrapper over stream().
//
// Timeouts: HttpRequest::timeout bounds the wait for the response head
// (connect and sending included); body_idle_timeout bounds each silence while
// the body arrives (0 = none), so a long download or a watch is not cut off
// while it makes progress.
//
// Example (on the dispatcher's thread):
//
//   HttpClient client(dispatcher, *connector, config->http_clients.proxy);
//   HttpRequest req;
//   req.method = "POST";
//   req.url = "https://km.example.com:9443/oauth2/introspect";
//   req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
//   req.body = "token=...";
//   client.request(std::move(req), [](absl::StatusOr<HttpResponse> r) { ... });
//
//   HttpStreamCallbacks cb;
//   cb.on_data = [](std::string_view piece) { ... };
//   cb.on_complete = [](absl::Status s) { ... };
//   HttpStreamPtr watch = client.stream(std::move(watch_request), std::move(cb));
//   watch.reset();  // cancels; no callback runs afterwards
//
// Thread-safety: one client per dispatcher, used on its thread only. Callbacks
// run on that thread, never inline from request()/stream(); each exchange ends
// with exactly one final callback unless it is cancelled or the client is
// destroyed first (then none). Callbacks may destroy the handle or the client.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "conf/config.h"
#include "gateway/event/dispatcher.h"
#include "proxy_connector/connector.h"

namespace gw::proxy {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // http:// or https://
  HttpHeaders headers;
  std::string body;
  // Instead of `body`: a body shared with the caller and sent without a copy.
  // The string stays alive until its bytes are written; the caller may
  // recycle it in the shared_ptr's deleter. Takes precedence over `body`.
  std::shared_ptr<const std::string> shared_body;
  // Until the response head has arrived, connect included.
  std::chrono::milliseconds timeout{10000};
  // Longest silence while the body arrives; 0 = no limit.
  std::chrono::milliseconds body_idle_timeout{10000};
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  // First value of header `name` (case-insensitive), or "" when absent.
  std::string header(const std::string& name) const;
};

using HttpCallback = std::function<void(absl::StatusOr<HttpResponse>)>;

// The events of a streamed exchange. on_complete is the last call: OK after
// the last body byte, else the error (see HttpClient::request for the codes).
// on_headers and on_data may be empty.
struct HttpStreamCallbacks {
  std::function<void(const HttpResponse& head)> on_headers;  // body empty
  std::function<void(std::string_view piece)> on_data;
  std::function<void(absl::Status status)> on_complete;
};

// A streamed exchange in progress. Destroying it cancels the exchange (its
// connection is closed, not pooled) and no callback runs afterwards; after
// on_complete it does nothing. May outlive the client.
class HttpStream {
 public:
  ~HttpStream();
  HttpStream(const HttpStream&) = delete;
  HttpStream& operator=(const HttpStream&) = delete;

 private:
  friend class HttpClient;
  HttpStream(class HttpClient& client, uint64_t id, std::weak_ptr<bool> alive)
      : client_(client), id_(id), alive_(std::move(alive)) {}
  HttpClient& client_;
  const uint64_t id_;
  std::weak_ptr<bool> alive_;
};
using HttpStreamPtr = std::unique_ptr<HttpStream>;

class HttpClient {
 public:
  static constexpr size_t kMaxResponseBytes = 16 * 1024 * 1024;

  // `dispatcher` and `connector` must outlive the client. `proxy` is the global
  // [httpClients.proxy]; it applies when enable_internal_services is true.
  HttpClient(event::Dispatcher& dispatcher, Connector& connector, conf::ProxyConfig proxy);
  // The same with the whole [httpClients] section, so that environment proxies
  // that differ per target scheme (HttpClientsConfig::proxyFor) are honoured.
  HttpClient(event::Dispatcher& dispatcher, Connector& connector,
             const conf::HttpClientsConfig& clients);
  ~HttpClient();  // cancels exchanges in flight; their callbacks never run

  // The whole response. Errors: InvalidArgument (bad URL), Unavailable
  // (connect failure, connection lost; the message carries ConnectFailure's
  // message and detail), DeadlineExceeded (a timeout), ResourceExhausted
  // (response over kMaxResponseBytes), Internal (malformed response).
  void request(HttpRequest request, HttpCallback callback);

  // The response as it arrives; the same errors, through on_complete.
  HttpStreamPtr stream(HttpRequest request, HttpStreamCallbacks callbacks);

  class Exchange;

 private:
  friend class Exchange;
  friend class HttpStream;
  uint64_t start(HttpRequest request, HttpStreamCallbacks callbacks);
  void cancel(uint64_t id);
  // Removes a finished exchange; returns it (to call its last callback) or null.
  std::unique_ptr<Exchange> take(uint64_t id);

  event::Dispatcher& dispatcher_;
  Connector& connector_;
  const conf::HttpClientsConfig clients_;  // only its proxy settings are used (proxyFor)
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Exchange>> in_flight_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for handles and posted errors
};

}  // namespace gw::proxy
