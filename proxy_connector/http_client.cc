#include "proxy_connector/http_client.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <strings.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/common/strcat.h"
#include "gateway/http/http1_upstream_codec.h"
#include "proxy_connector/http2_pool.h"
#include "proxy_connector/http_url.h"
#include "proxy_connector/proxy_resolver.h"

namespace gw::proxy {
namespace {

// The request's body as the codec takes it, shared (no copy); null for none.
http::SharedBody shareBody(HttpRequest& request) {
  if (request.shared_body) return std::move(request.shared_body);
  if (request.body.empty()) return nullptr;
  return std::make_shared<const std::string>(std::move(request.body));
}

bool hasHeader(const HttpHeaders& headers, const char* name) {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name) == 0) return true;
  }
  return false;
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

// One exchange: one stream of the upstream codec (gateway/http/upstream_codec.h).
// HTTP/1: on a connection of its own from the connector, which goes back to
// the connector's pool. HTTP/2 (an https target that chose "h2" in ALPN): a
// stream on a connection of the worker's Http2Pool, shared with the router's
// streams and other exchanges. Owned by HttpClient::in_flight_ until it
// finishes or is cancelled, then destroyed through deferredDelete (its
// callbacks may still be on the stack). After finished_ it touches neither
// the client nor the connection. Thread: the client's dispatcher.
class HttpClient::Exchange : public ConnectCallbacks,
                             public http::UpstreamStreamCallbacks,
                             public event::DeferredDeletable,
                             private Http2Pool::Waiter {
 public:
  Exchange(HttpClient& client, uint64_t id, HttpRequest request, HttpStreamCallbacks callbacks);
  void start();
  // Ends the exchange with `status` (the last callback), unless already finished.
  void finish(absl::Status status, bool reusable);
  // Ends it silently: no callback runs afterwards.
  void cancel();

  void onConnected(UpstreamConnectionPtr connection) override;
  void onConnectFailed(const ConnectFailure& failure) override;

  // http::UpstreamStreamCallbacks: the response, from codec_ (inside decode()).
  bool onResponseHeaders(http::ResponseHeaders&& headers, bool no_body) override;
  bool onResponseData(std::string_view data) override;
  void onResponseComplete(http::HeaderMap&& trailers, bool keep_alive) override;
  void onStreamReset(http::StreamResetReason reason, std::string_view detail) override;

 private:
  // Http2Pool::Waiter: an https server whose protocol is HTTP/2 or not known
  // yet (a burst of exchanges shares a few connects, as the router's requests).
  void onHttp2Ready(Http2PoolConnection& connection) override;
  void onHttp2Failed(const ConnectFailure& failure) override;
  void onHttp2Declined(UpstreamConnectionPtr connection) override;
  ConnectRequest connectRequest() const;
  http::UpstreamRequestHead requestHead() const;
  // Starts the stream on a pooled HTTP/2 connection; false when it takes no more.
  bool startHttp2(Http2PoolConnection& connection);
  // Ends the exchange on the next loop pass (never inline from start()).
  void finishLater(absl::Status status);
  void writeOutput();
  void onData();
  void onClosed();
  void onTimeout();
  void detachConnection(bool reusable);
  static void onRead(bufferevent* bev, void* arg);
  static void onEvent(bufferevent* bev, short events, void* arg);

  HttpClient* client_;  // not used once finished_
  Connector& connector_;
  event::Dispatcher& dispatcher_;
  const uint64_t id_;
  ParsedHttpUrl target_;
  bool valid_url_ = false;
  // The request body (null: none), referenced by the codec's output, not copied.
  const http::SharedBody body_;
  const HttpRequest request_;  // without its body (in body_)
  HttpStreamCallbacks callbacks_;
  event::TimerPtr timer_;
  ConnectHandlePtr handle_;
  Http2Pool::WaitHandlePtr wait_;  // waiting for a connection of the Http2Pool
  // HTTP/1: the connection and its codec (one per connection use).
  UpstreamConnectionPtr conn_;
  std::unique_ptr<http::UpstreamCodec> codec_;
  // HTTP/2: the pool's connection (conn_ and codec_ stay null). Not owned;
  // dropped when the stream ends (the pool may close the connection after).
  Http2PoolConnection* h2_conn_ = nullptr;
  // This exchange's stream on either, until the response completed or the
  // stream was reset.
  http::UpstreamStream* stream_ = nullptr;
  std::string upstream_;      // the connection's description, for error messages
  bool offer_http2_ = false;  // an https target and [httpClients] enableHttp2
  bool starting_ = false;     // inside start(): callbacks must wait a loop pass
  bool finished_ = false;
  bool headers_done_ = false;
  bool complete_ = false;  // the codec delivered the whole response
  bool keep_alive_ = false;
  bool retried_ = false;
  size_t received_ = 0;
};

HttpClient::Exchange::Exchange(HttpClient& client, uint64_t id, HttpRequest request,
                               HttpStreamCallbacks callbacks)
    : client_(&client),
      connector_(client.connector_),
      dispatcher_(client.dispatcher_),
      id_(id),
      body_(shareBody(request)),
      request_(std::move(request)),
      callbacks_(std::move(callbacks)) {
  valid_url_ = parseHttpUrl(request_.url, &target_);
  offer_http2_ = valid_url_ && client.clients_.enable_http2 && target_.target.tls();
}

void HttpClient::Exchange::start() {
  if (!valid_url_) {
    finishLater(absl::InvalidArgumentError("not an http:// or https:// URL"));
    return;
  }
  if (!timer_) {
    timer_ = dispatcher_.createTimer([this] { onTimeout(); });
    timer_->enable(request_.timeout);
  }
  const ConnectRequest req = connectRequest();
  if (offer_http2_) {
    // An https server that spoke HTTP/2 before, or one not asked yet: a
    // stream on a pooled connection, else a wait for a connect in progress.
    Http2Pool& pool =
        Http2Pool::forWorker(dispatcher_, connector_, client_->clients_.pool_idle_timeout_ms);
    if (!pool.declinedHttp2(req)) {
      if (Http2PoolConnection* c = pool.ready(req)) {
        const bool was_starting = std::exchange(starting_, true);
        const bool started = startHttp2(*c);
        starting_ = was_starting;
        if (started || finished_) return;
      }
      wait_ = pool.wait(req, client_->clients_.pool.streamsPerConnection(), *this);
      return;
    }
  }
  handle_ = connector_.connect(req, *this);
}

void HttpClient::Exchange::onHttp2Ready(Http2PoolConnection& connection) {
  wait_.reset();
  if (!startHttp2(connection) && !finished_) start();  // taken meanwhile: another one
}

void HttpClient::Exchange::onHttp2Failed(const ConnectFailure& failure) {
  wait_.reset();
  onConnectFailed(failure);
}

void HttpClient::Exchange::onHttp2Declined(UpstreamConnectionPtr connection) {
  wait_.reset();
  if (connection) {
    onConnected(std::move(connection));  // over HTTP/1.1
  } else {
    handle_ = connector_.connect(connectRequest(), *this);
  }
}

void HttpClient::Exchange::finishLater(absl::Status status) {
  // Delivered on the next loop iteration, like every other outcome.
  std::weak_ptr<bool> alive = client_->alive_;
  HttpClient* client = client_;
  const uint64_t id = id_;
  dispatcher_.post([alive, client, id, status = std::move(status)] {
    if (!alive.lock()) return;
    auto it = client->in_flight_.find(id);
    if (it == client->in_flight_.end()) return;
    it->second->finish(status, false);
  });
}

ConnectRequest HttpClient::Exchange::connectRequest() const {
  ConnectRequest req;
  req.target = target_.target;
  req.proxy = resolveInternalProxy(client_->clients_.proxyFor(req.target.scheme), req.target.host,
                                   req.target.port);
  req.offer_http2 = offer_http2_;
  req.retries_if_stale = !retried_;  // onStreamReset sends again once
  return req;
}

void HttpClient::Exchange::onTimeout() {
  if (!headers_done_) {
    finish(absl::DeadlineExceededError(
               absl::StrCat(request_.method, " ", target_.target.authority(),
                            " got no response head within ", request_.timeout.count(), " ms")),
           false);
  } else {
    finish(absl::DeadlineExceededError(absl::StrCat(
               request_.method, " ", target_.target.authority(), ": the response body stalled for ",
               request_.body_idle_timeout.count(), " ms")),
           false);
  }
}

// The codec adds Host (from `authority`) and, through a forwarding proxy, the
// absolute-form target and Proxy-Authorization.
http::UpstreamRequestHead HttpClient::Exchange::requestHead() const {
  http::UpstreamRequestHead head;
  head.method = request_.method;
  head.scheme = target_.target.scheme;
  head.authority = target_.target.authority();
  head.path = target_.path;
  for (const auto& [k, v] : request_.headers) {
    if (strcasecmp(k.c_str(), "host") == 0) {
      head.authority = v;  // the caller's Host stands
      continue;
    }
    head.headers.add(k, v);
  }
  const size_t body_size = body_ ? body_->size() : 0;
  const bool wants_length = body_size > 0 || request_.method == "POST" ||
                            request_.method == "PUT" || request_.method == "PATCH";
  if (wants_length && !hasHeader(request_.headers, "content-length")) {
    head.headers.add("Content-Length", std::to_string(body_size));
  }
  return head;
}

void HttpClient::Exchange::writeOutput() {
  codec_->moveOutput(bufferevent_get_output(conn_->bev()));
}

bool HttpClient::Exchange::startHttp2(Http2PoolConnection& connection) {
  headers_done_ = complete_ = false;
  received_ = 0;
  const bool has_body = body_ && !body_->empty();
  stream_ = connection.codec().newStream(requestHead(), /*end_stream=*/!has_body, *this);
  if (stream_ == nullptr) return false;
  h2_conn_ = &connection;
  upstream_ = connection.description();
  if (has_body) stream_->sendData(body_, /*end_stream=*/true);
  connection.flush();
  return true;
}

void HttpClient::Exchange::onConnected(UpstreamConnectionPtr connection) {
  handle_.reset();
  if (offer_http2_ && connection->negotiatedProtocol() == "h2") {
    Http2Pool& pool =
        Http2Pool::forWorker(dispatcher_, connector_, client_->clients_.pool_idle_timeout_ms);
    Http2PoolConnection& c = pool.adopt(connectRequest(), std::move(connection),
                                        client_->clients_.pool.streamsPerConnection());
    if (!startHttp2(c) && !finished_) {
      finish(absl::UnavailableError(gw::cat("new HTTP/2 connection ", c.description(),
                                            " took no stream: ", c.codec().error())),
             false);
    }
    return;
  }
  conn_ = std::move(connection);
  upstream_ = conn_->describe();
  bufferevent* bev = conn_->bev();
  bufferevent_setcb(bev, &Exchange::onRead, nullptr, &Exchange::onEvent, this);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
  http::Http1UpstreamOptions options;
  options.absolute_form = conn_->absoluteForm();
  if (options.absolute_form) options.proxy_authorization = conn_->proxyAuthorization();
  codec_ = std::make_unique<http::Http1UpstreamCodec>(std::move(options));
  headers_done_ = complete_ = false;
  received_ = 0;
  const bool has_body = body_ && !body_->empty();
  stream_ = codec_->newStream(requestHead(), /*end_stream=*/!has_body, *this);
  if (has_body) stream_->sendData(body_, /*end_stream=*/true);
  writeOutput();
}

void HttpClient::Exchange::onConnectFailed(const ConnectFailure& failure) {
  handle_.reset();
  const std::string text = absl::StrCat(failure.message, ": ", failure.detail);
  finish(failure.reason == FailureReason::Timeout ? absl::DeadlineExceededError(text)
                                                  : absl::UnavailableError(text),
         false);
}

bool HttpClient::Exchange::onResponseHeaders(http::ResponseHeaders&& headers, bool) {
  headers_done_ = true;
  HttpResponse head;
  head.status = headers.status;
  for (const auto& [name, value] : headers.headers.entries())
    head.headers.emplace_back(name, value);
  if (conn_ && conn_->absoluteForm()) {
    // Forward mode: the proxy may have answered in the backend's place.
    std::optional<ConnectFailure> f = connector_.proxyAnswered(
        *conn_, head.status, [&head](const std::string& name) { return head.header(name); });
    if (f) {
      const std::string text = absl::StrCat(f->message, ": ", f->detail);
      finish(
          f->http_status == 504 ? absl::DeadlineExceededError(text) : absl::UnavailableError(text),
          false);
      return false;
    }
  }
  if (request_.body_idle_timeout.count() > 0) {
    timer_->enable(request_.body_idle_timeout);
  } else {
    timer_->disable();
  }
  if (callbacks_.on_headers) callbacks_.on_headers(head);
  return !finished_;
}

bool HttpClient::Exchange::onResponseData(std::string_view data) {
  if (request_.body_idle_timeout.count() > 0) timer_->enable(request_.body_idle_timeout);
  if (callbacks_.on_data) callbacks_.on_data(data);
  if (finished_) return false;
  if (h2_conn_ != nullptr && stream_ != nullptr) {
    received_ += data.size();
    stream_->consumed(data.size());  // HTTP/2: the backend may send as much more
  }
  return true;
}

void HttpClient::Exchange::onResponseComplete(http::HeaderMap&&, bool keep_alive) {
  stream_ = nullptr;
  complete_ = true;
  keep_alive_ = keep_alive;
  // HTTP/1: onData()/onClosed() finish once decode() returned, when it is
  // known whether bytes follow the response. HTTP/2: the stream is done.
  if (h2_conn_ != nullptr) finish(absl::OkStatus(), true);
}

void HttpClient::Exchange::onStreamReset(http::StreamResetReason reason, std::string_view detail) {
  stream_ = nullptr;
  if (finished_) return;
  if (starting_) {
    // Failed while start() set it up: the outcome waits a loop pass.
    h2_conn_ = nullptr;
    finishLater(
        absl::UnavailableError(gw::cat("HTTP/2 stream to ", upstream_, " failed (",
                                       http::streamResetReasonName(reason), "): ", detail)));
    return;
  }
  if (reason == http::StreamResetReason::ProtocolError) {
    finish(absl::InternalError(gw::cat("malformed HTTP response from ", upstream_, ": ", detail)),
           false);
    return;
  }
  if (h2_conn_ != nullptr) {
    h2_conn_ = nullptr;  // the pool's; it may be closing under this stream
    if (reason == http::StreamResetReason::Refused && !retried_) {
      // Never processed (GOAWAY below it, REFUSED_STREAM): once more, on a
      // connection that takes it (the connect completes later).
      retried_ = true;
      start();
      return;
    }
  } else if (reason == http::StreamResetReason::ConnectionError && received_ == 0 &&
             conn_->reused() && !retried_) {
    // The pooled connection went stale under us: one fresh attempt (the
    // connect completes later, never inside this callback).
    retried_ = true;
    detachConnection(false);
    start();
    return;
  }
  finish(absl::UnavailableError(gw::cat("connection to ", upstream_,
                                        " closed before the response was complete (",
                                        http::streamResetReasonName(reason), ": ", detail, ")")),
         false);
}

void HttpClient::Exchange::onData() {
  while (!finished_ && conn_) {
    evbuffer* in = bufferevent_get_input(conn_->bev());
    if (evbuffer_get_length(in) == 0) return;
    evbuffer_iovec v;
    if (evbuffer_peek(in, -1, nullptr, &v, 1) < 1) return;
    const bool ok = codec_->decode(static_cast<const char*>(v.iov_base), v.iov_len);
    if (finished_) return;  // a callback cancelled or ended the exchange
    evbuffer_drain(in, v.iov_len);
    received_ += v.iov_len;
    if (complete_) {
      // Bytes after the response (ok false) leave the connection unusable.
      finish(absl::OkStatus(),
             ok && keep_alive_ && codec_->reusable() && evbuffer_get_length(in) == 0);
      return;
    }
    if (!ok) {
      finish(absl::InternalError(absl::StrCat("malformed HTTP response from ", conn_->describe(),
                                              ": ", codec_->error())),
             false);
      return;
    }
  }
}

// EOF or a socket error: ends a body delimited by the close, or the stream
// (onStreamReset).
void HttpClient::Exchange::onClosed() {
  codec_->decodeEof();
  if (finished_ || !conn_) return;  // reset: finished, or retrying on a new connection
  if (complete_) {
    finish(absl::OkStatus(), false);
    return;
  }
  finish(absl::UnavailableError(absl::StrCat("connection to ", conn_->describe(),
                                             " closed before the response was complete")),
         false);
}

void HttpClient::Exchange::detachConnection(bool reusable) {
  if (Http2PoolConnection* c = std::exchange(h2_conn_, nullptr)) {
    // The connection stays in the pool; an unfinished stream is cancelled.
    if (http::UpstreamStream* stream = std::exchange(stream_, nullptr)) {
      stream->reset();
      c->flush();
    }
    return;
  }
  if (!conn_) return;
  if (http::UpstreamStream* stream = std::exchange(stream_, nullptr)) stream->reset();
  bufferevent_setcb(conn_->bev(), nullptr, nullptr, nullptr, nullptr);
  connector_.release(std::move(conn_), reusable);
}

void HttpClient::Exchange::cancel() {
  finished_ = true;
  timer_.reset();
  handle_.reset();
  wait_.reset();
  detachConnection(false);
}

void HttpClient::Exchange::finish(absl::Status status, bool reusable) {
  if (finished_) return;
  finished_ = true;
  timer_.reset();
  handle_.reset();
  wait_.reset();
  detachConnection(reusable);
  std::function<void(absl::Status)> done = std::move(callbacks_.on_complete);
  std::unique_ptr<Exchange> self = client_->take(id_);
  dispatcher_.deferredDelete(std::move(self));
  if (done) done(std::move(status));  // may destroy the client: nothing after
}

void HttpClient::Exchange::onRead(bufferevent*, void* arg) {
  static_cast<Exchange*>(arg)->onData();
}

void HttpClient::Exchange::onEvent(bufferevent*, short events, void* arg) {
  if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
    auto* self = static_cast<Exchange*>(arg);
    self->onData();
    if (!self->finished_ && self->conn_) self->onClosed();
  }
}

HttpStream::~HttpStream() {
  if (alive_.lock()) client_.cancel(id_);
}

HttpClient::HttpClient(event::Dispatcher& dispatcher, Connector& connector, conf::ProxyConfig proxy)
    : HttpClient(dispatcher, connector, [&] {
        conf::HttpClientsConfig clients;
        clients.proxy = std::move(proxy);
        return clients;
      }()) {}

HttpClient::HttpClient(event::Dispatcher& dispatcher, Connector& connector,
                       const conf::HttpClientsConfig& clients)
    : dispatcher_(dispatcher), connector_(connector), clients_(clients) {}

HttpClient::~HttpClient() {
  // Callbacks of these exchanges may be on the stack (a callback destroying
  // the client): they are deleted later, and none runs again.
  for (auto& [id, exchange] : in_flight_) {
    exchange->cancel();
    dispatcher_.deferredDelete(std::move(exchange));
  }
}

uint64_t HttpClient::start(HttpRequest request, HttpStreamCallbacks callbacks) {
  const uint64_t id = next_id_++;
  auto exchange = std::make_unique<Exchange>(*this, id, std::move(request), std::move(callbacks));
  Exchange* raw = exchange.get();
  in_flight_[id] = std::move(exchange);
  raw->start();
  return id;
}

HttpStreamPtr HttpClient::stream(HttpRequest request, HttpStreamCallbacks callbacks) {
  const uint64_t id = start(std::move(request), std::move(callbacks));
  return HttpStreamPtr(new HttpStream(*this, id, alive_));
}

void HttpClient::request(HttpRequest request, HttpCallback callback) {
  // Owned by the exchange's on_complete; lives until the exchange is deleted.
  struct OneShot {
    HttpResponse response;
    HttpCallback callback;
    HttpStreamPtr handle;
  };
  auto state = std::make_shared<OneShot>();
  state->callback = std::move(callback);
  OneShot* s = state.get();
  HttpStreamCallbacks cb;
  cb.on_headers = [s](const HttpResponse& head) {
    s->response.status = head.status;
    s->response.headers = head.headers;
  };
  cb.on_data = [s](std::string_view piece) {
    if (s->response.body.size() + piece.size() > kMaxResponseBytes) {
      HttpCallback done = std::move(s->callback);
      s->handle.reset();  // cancels: the exchange (and `s`) are deleted later
      done(absl::ResourceExhaustedError("response over the size limit"));
      return;
    }
    s->response.body.append(piece.data(), piece.size());
  };
  cb.on_complete = [state](absl::Status status) {
    HttpCallback done = std::move(state->callback);
    if (status.ok()) {
      done(std::move(state->response));
    } else {
      done(std::move(status));
    }
  };
  state->handle = stream(std::move(request), std::move(cb));
}

void HttpClient::cancel(uint64_t id) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  std::unique_ptr<Exchange> exchange = std::move(it->second);
  in_flight_.erase(it);
  exchange->cancel();
  dispatcher_.deferredDelete(std::move(exchange));
}

std::unique_ptr<HttpClient::Exchange> HttpClient::take(uint64_t id) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return nullptr;
  std::unique_ptr<Exchange> exchange = std::move(it->second);
  in_flight_.erase(it);
  return exchange;
}

}  // namespace gw::proxy
