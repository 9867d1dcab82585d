#include "proxy_connector/http_client.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <http_parser.h>
#include <strings.h>

#include "absl/strings/str_cat.h"
#include "proxy_connector/proxy_resolver.h"

namespace gw::proxy {
namespace {

struct ParsedTarget {
  Target target;
  std::string path;  // origin-form request target: "/path?query"
};

// Splits "http[s]://host[:port][/path][?query]"; IPv6 hosts are bracketed.
bool parseHttpUrl(const std::string& url, ParsedTarget* out) {
  const size_t sep = url.find("://");
  if (sep == std::string::npos) return false;
  std::string scheme = url.substr(0, sep);
  for (char& c : scheme) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") return false;
  const size_t start = sep + 3;
  size_t end = url.find_first_of("/?#", start);
  if (end == std::string::npos) end = url.size();
  const std::string authority = url.substr(start, end - start);
  std::string host = authority;
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return false;
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return false;
      port_text = authority.substr(close + 2);
    }
  } else if (const size_t colon = authority.find(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  if (host.empty() || host.find('@') != std::string::npos) return false;
  uint32_t port = scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    port = static_cast<uint32_t>(std::stoul(port_text));
    if (port == 0 || port > 65535) return false;
  }
  out->target = {scheme, host, static_cast<uint16_t>(port)};
  std::string rest = url.substr(end);
  if (const size_t hash = rest.find('#'); hash != std::string::npos) rest.resize(hash);
  out->path = rest.empty() || rest[0] != '/' ? "/" + rest : rest;
  return true;
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

// One request/response exchange. Owned by HttpClient::in_flight_, destroyed
// through deferredDelete once finished. Thread: the client's dispatcher.
class HttpClient::Exchange : public ConnectCallbacks, public event::DeferredDeletable {
 public:
  Exchange(HttpClient& client, ParsedTarget target, HttpRequest request, HttpCallback callback);
  void start();
  void onConnected(UpstreamConnectionPtr connection) override;
  void onConnectFailed(const ConnectFailure& failure) override;
  HttpCallback takeCallback() { return std::move(callback_); }

 private:
  std::string requestBytes() const;
  void resetParser();
  void onData();
  // Forward mode: the failure when the proxy answered in the backend's place.
  std::optional<ConnectFailure> proxyAnswer();
  void onClosed();
  void complete(absl::StatusOr<HttpResponse> result, bool reusable);
  static void onRead(bufferevent* bev, void* arg);
  static void onEvent(bufferevent* bev, short events, void* arg);
  static int onHeaderField(http_parser* p, const char* at, size_t len);
  static int onHeaderValue(http_parser* p, const char* at, size_t len);
  static int onHeadersComplete(http_parser* p);
  static int onBody(http_parser* p, const char* at, size_t len);
  static int onMessageComplete(http_parser* p);

  HttpClient& client_;
  const ParsedTarget target_;
  const HttpRequest request_;
  HttpCallback callback_;
  event::TimerPtr timer_;
  ConnectHandlePtr handle_;
  UpstreamConnectionPtr conn_;
  http_parser parser_;
  http_parser_settings settings_;
  HttpResponse response_;
  bool in_value_ = false;
  bool done_ = false;
  bool too_large_ = false;
  bool retried_ = false;
  size_t received_ = 0;
};

HttpClient::Exchange::Exchange(HttpClient& client, ParsedTarget target, HttpRequest request,
                               HttpCallback callback)
    : client_(client),
      target_(std::move(target)),
      request_(std::move(request)),
      callback_(std::move(callback)) {
  http_parser_settings_init(&settings_);
  settings_.on_header_field = &Exchange::onHeaderField;
  settings_.on_header_value = &Exchange::onHeaderValue;
  settings_.on_headers_complete = &Exchange::onHeadersComplete;
  settings_.on_body = &Exchange::onBody;
  settings_.on_message_complete = &Exchange::onMessageComplete;
  resetParser();
  timer_ = client_.dispatcher_.createTimer([this] {
    complete(absl::DeadlineExceededError(absl::StrCat(
                 request_.method, " ", target_.target.authority(), " timed out after ",
                 request_.timeout.count(), " ms")),
             false);
  });
  timer_->enable(request_.timeout);
}

void HttpClient::Exchange::resetParser() {
  http_parser_init(&parser_, HTTP_RESPONSE);
  parser_.data = this;
  response_ = HttpResponse();
  in_value_ = done_ = too_large_ = false;
  received_ = 0;
}

void HttpClient::Exchange::start() {
  ConnectRequest req;
  req.target = target_.target;
  req.proxy = resolveInternalProxy(client_.clients_.proxyFor(req.target.scheme), req.target.host,
                                   req.target.port);
  handle_ = client_.connector_.connect(req, *this);
}

std::string HttpClient::Exchange::requestBytes() const {
  const std::string authority = target_.target.authority();
  const std::string target =
      conn_->absoluteForm()
          ? absl::StrCat(target_.target.scheme, "://", authority, target_.path)
          : target_.path;
  std::string out = absl::StrCat(request_.method, " ", target, " HTTP/1.1\r\n");
  if (!hasHeader(request_.headers, "host")) absl::StrAppend(&out, "Host: ", authority, "\r\n");
  if (conn_->absoluteForm() && !conn_->proxyAuthorization().empty()) {
    absl::StrAppend(&out, "Proxy-Authorization: ", conn_->proxyAuthorization(), "\r\n");
  }
  for (const auto& [k, v] : request_.headers) absl::StrAppend(&out, k, ": ", v, "\r\n");
  const bool wants_length = !request_.body.empty() || request_.method == "POST" ||
                            request_.method == "PUT" || request_.method == "PATCH";
  if (wants_length && !hasHeader(request_.headers, "content-length")) {
    absl::StrAppend(&out, "Content-Length: ", request_.body.size(), "\r\n");
  }
  absl::StrAppend(&out, "\r\n", request_.body);
  return out;
}

void HttpClient::Exchange::onConnected(UpstreamConnectionPtr connection) {
  conn_ = std::move(connection);
  bufferevent* bev = conn_->bev();
  bufferevent_setcb(bev, &Exchange::onRead, nullptr, &Exchange::onEvent, this);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
  const std::string bytes = requestBytes();
  bufferevent_write(bev, bytes.data(), bytes.size());
}

void HttpClient::Exchange::onConnectFailed(const ConnectFailure& failure) {
  const std::string text = absl::StrCat(failure.message, ": ", failure.detail);
  complete(failure.reason == FailureReason::Timeout ? absl::DeadlineExceededError(text)
                                                    : absl::UnavailableError(text),
           false);
}

void HttpClient::Exchange::onData() {
  evbuffer* in = bufferevent_get_input(conn_->bev());
  while (!done_ && evbuffer_get_length(in) > 0) {
    evbuffer_iovec v;
    if (evbuffer_peek(in, -1, nullptr, &v, 1) < 1) break;
    const size_t n = http_parser_execute(&parser_, &settings_,
                                         static_cast<const char*>(v.iov_base), v.iov_len);
    evbuffer_drain(in, n);
    received_ += n;
    const http_errno err = HTTP_PARSER_ERRNO(&parser_);
    if (too_large_) {
      complete(absl::ResourceExhaustedError("response over the size limit"), false);
      return;
    }
    if (err != HPE_OK && err != HPE_PAUSED) {
      complete(absl::InternalError(absl::StrCat("malformed HTTP response from ",
                                                conn_->describe(), ": ",
                                                http_errno_description(err))),
               false);
      return;
    }
  }
  if (done_) {
    if (std::optional<ConnectFailure> f = proxyAnswer()) {
      const std::string text = absl::StrCat(f->message, ": ", f->detail);
      complete(
          f->http_status == 504 ? absl::DeadlineExceededError(text) : absl::UnavailableError(text),
          false);
      return;
    }
    const bool reusable = http_should_keep_alive(&parser_) != 0 && evbuffer_get_length(in) == 0;
    complete(std::move(response_), reusable);
  }
}

std::optional<ConnectFailure> HttpClient::Exchange::proxyAnswer() {
  if (!conn_->absoluteForm()) return std::nullopt;
  const HttpResponse& r = response_;
  return client_.connector_.proxyAnswered(*conn_, r.status,
                                          [&r](const std::string& name) { return r.header(name); });
}

void HttpClient::Exchange::onClosed() {
  http_parser_execute(&parser_, &settings_, nullptr, 0);  // ends a body delimited by EOF
  if (done_) {
    complete(std::move(response_), false);
    return;
  }
  if (received_ == 0 && conn_->reused() && !retried_) {
    // The pooled connection went stale under us: one fresh attempt.
    retried_ = true;
    conn_.reset();
    resetParser();
    start();
    return;
  }
  complete(absl::UnavailableError(absl::StrCat("connection to ", conn_->describe(),
                                               " closed before the response was complete")),
           false);
}

void HttpClient::Exchange::complete(absl::StatusOr<HttpResponse> result, bool reusable) {
  timer_->disable();
  handle_.reset();
  if (conn_) {
    bufferevent_setcb(conn_->bev(), nullptr, nullptr, nullptr, nullptr);
    client_.connector_.release(std::move(conn_), reusable);
  }
  client_.finish(this, std::move(result));  // may destroy the client: nothing after
}

void HttpClient::Exchange::onRead(bufferevent*, void* arg) {
  static_cast<Exchange*>(arg)->onData();
}

void HttpClient::Exchange::onEvent(bufferevent*, short events, void* arg) {
  if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
    auto* self = static_cast<Exchange*>(arg);
    self->onData();
    if (!self->done_ && self->conn_) self->onClosed();
  }
}

int HttpClient::Exchange::onHeaderField(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<Exchange*>(p->data);
  if (self->in_value_ || self->response_.headers.empty()) {
    self->response_.headers.emplace_back();
    self->in_value_ = false;
  }
  self->response_.headers.back().first.append(at, len);
  return 0;
}

int HttpClient::Exchange::onHeaderValue(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<Exchange*>(p->data);
  self->in_value_ = true;
  self->response_.headers.back().second.append(at, len);
  return 0;
}

int HttpClient::Exchange::onHeadersComplete(http_parser* p) {
  auto* self = static_cast<Exchange*>(p->data);
  self->response_.status = p->status_code;
  return self->request_.method == "HEAD" ? 1 : 0;  // 1: no body follows
}

int HttpClient::Exchange::onBody(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<Exchange*>(p->data);
  if (self->response_.body.size() + len > kMaxResponseBytes) {
    self->too_large_ = true;
    return 1;
  }
  self->response_.body.append(at, len);
  return 0;
}

int HttpClient::Exchange::onMessageComplete(http_parser* p) {
  auto* self = static_cast<Exchange*>(p->data);
  if (p->status_code / 100 == 1) return 0;  // interim answer: keep reading
  self->done_ = true;
  http_parser_pause(p, 1);
  return 0;
}

HttpClient::HttpClient(event::Dispatcher& dispatcher, Connector& connector,
                       conf::ProxyConfig proxy)
    : HttpClient(dispatcher, connector, [&] {
        conf::HttpClientsConfig clients;
        clients.proxy = std::move(proxy);
        return clients;
      }()) {}

HttpClient::HttpClient(event::Dispatcher& dispatcher, Connector& connector,
                       const conf::HttpClientsConfig& clients)
    : dispatcher_(dispatcher), connector_(connector), clients_(clients) {}

HttpClient::~HttpClient() = default;  // alive_ expires: posted errors are dropped

void HttpClient::request(HttpRequest request, HttpCallback callback) {
  ParsedTarget target;
  if (!parseHttpUrl(request.url, &target)) {
    // Not inline: deliver on the next loop iteration, like every other outcome.
    std::weak_ptr<bool> alive = alive_;
    dispatcher_.post([alive, cb = std::move(callback)] {
      if (alive.lock()) cb(absl::InvalidArgumentError("not an http:// or https:// URL"));
    });
    return;
  }
  auto exchange = std::make_unique<Exchange>(*this, std::move(target), std::move(request),
                                             std::move(callback));
  Exchange* raw = exchange.get();
  in_flight_[raw] = std::move(exchange);
  raw->start();
}

void HttpClient::finish(Exchange* exchange, absl::StatusOr<HttpResponse> result) {
  auto it = in_flight_.find(exchange);
  if (it == in_flight_.end()) return;
  HttpCallback callback = exchange->takeCallback();
  dispatcher_.deferredDelete(std::move(it->second));
  in_flight_.erase(it);
  callback(std::move(result));
}

}  // namespace gw::proxy
