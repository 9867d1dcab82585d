#pragma once

// A small asynchronous HTTP/1.1 client for the gateway's internal services
// (key manager, etcd, analytics) on top of a Connector. The proxy is chosen per
// request with resolveInternalProxy() (enableInternalServices, nonProxyHosts).
// Responses are parsed with http-parser; connections are given back to the
// connector's pool when the exchange leaves them reusable. A request that fails
// on a pooled connection before any response byte is retried once on a new one.
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
// Thread-safety: one client per dispatcher, used on its thread only. The
// callback runs on that thread, never inline from request(), exactly once
// unless the client is destroyed first (then never).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
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
  std::chrono::milliseconds timeout{10000};  // the whole exchange, connect included
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  // First value of header `name` (case-insensitive), or "" when absent.
  std::string header(const std::string& name) const;
};

using HttpCallback = std::function<void(absl::StatusOr<HttpResponse>)>;

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
  ~HttpClient();  // cancels requests in flight; their callbacks never run

  // Errors: InvalidArgument (bad URL), Unavailable (connect failure, connection
  // lost; the message carries ConnectFailure's message and detail),
  // DeadlineExceeded (timeout), ResourceExhausted (response over the cap),
  // Internal (malformed response).
  void request(HttpRequest request, HttpCallback callback);

  class Exchange;

 private:
  friend class Exchange;
  void finish(Exchange* exchange, absl::StatusOr<HttpResponse> result);

  event::Dispatcher& dispatcher_;
  Connector& connector_;
  const conf::HttpClientsConfig clients_;  // only its proxy settings are used (proxyFor)
  std::map<Exchange*, std::unique_ptr<Exchange>> in_flight_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for posted errors
};

}  // namespace gw::proxy
