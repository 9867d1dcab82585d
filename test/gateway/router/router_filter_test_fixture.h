#pragma once

// Shared fixture for the router filter tests: a fake Connector whose
// connections are bufferevent pairs (the test plays the backend on the other
// end), fake filter callbacks that record what the router hands downstream,
// and a RouterFilterTest fixture that drives a real Dispatcher.

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gateway/common/strcat.h"
#include "gateway/router/router_filter.h"
#include "gateway/stats/stats.h"

namespace gw::router {
// Internal linkage on purpose: each test file gets its own copy of the fakes.
namespace {

using http::FilterStatus;

// ---------------------------------------------------------------------------
// The connector seam: each connection is one end of a bufferevent_pair; the
// test holds the other end and plays the backend.

class FakeConnection : public proxy::UpstreamConnection {
 public:
  FakeConnection(bufferevent* bev, bool reused, bool absolute_form, std::string proxy_auth)
      : bev_(bev),
        reused_(reused),
        absolute_form_(absolute_form),
        proxy_auth_(std::move(proxy_auth)) {}
  ~FakeConnection() override { bufferevent_free(bev_); }

  bufferevent* bev() override { return bev_; }
  bool reused() const override { return reused_; }
  bool viaProxy() const override { return absolute_form_; }
  bool absoluteForm() const override { return absolute_form_; }
  const std::string& proxyAuthorization() const override { return proxy_auth_; }
  const std::string& describe() const override { return description_; }

 private:
  bufferevent* bev_;
  bool reused_, absolute_form_;
  std::string proxy_auth_;
  const std::string description_ = "fake-backend";
};

// What the next connect() does.
struct Outcome {
  enum class Kind { Connect, Fail, Hang } kind = Kind::Connect;
  bool reused = false;
  bool absolute_form = false;
  std::string proxy_authorization;
  proxy::ConnectFailure failure;

  static Outcome reusedConnection() {
    Outcome o;
    o.reused = true;
    return o;
  }
  static Outcome fail(proxy::FailureReason reason, int http_status, std::string message,
                      std::string detail, int proxy_status = 0) {
    Outcome o;
    o.kind = Kind::Fail;
    o.failure.reason = reason;
    o.failure.http_status = http_status;
    o.failure.proxy_status = proxy_status;
    o.failure.message = std::move(message);
    o.failure.detail = std::move(detail);
    return o;
  }
  static Outcome hang() {
    Outcome o;
    o.kind = Kind::Hang;
    return o;
  }
};

class FakeConnector : public proxy::Connector {
 public:
  explicit FakeConnector(event::Dispatcher& dispatcher) : dispatcher_(dispatcher) {}
  ~FakeConnector() override {
    for (bufferevent* p : peers) bufferevent_free(p);
  }

  proxy::ConnectHandlePtr connect(const proxy::ConnectRequest& request,
                                  proxy::ConnectCallbacks& callbacks) override {
    requests.push_back(request);
    Outcome o;
    if (!script.empty()) {
      o = script.front();
      script.pop_front();
    }
    auto alive = std::make_shared<bool>(true);
    if (o.kind != Outcome::Kind::Hang) {
      // Never inline from connect(), as the contract says.
      dispatcher_.post([this, o, &callbacks, alive] {
        if (!*alive) return;
        if (o.kind == Outcome::Kind::Fail) {
          callbacks.onConnectFailed(o.failure);
          return;
        }
        bufferevent* pair[2];
        bufferevent_pair_new(dispatcher_.base(), BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS,
                             pair);
        bufferevent_enable(pair[1], EV_READ | EV_WRITE);
        peers.push_back(pair[1]);
        callbacks.onConnected(std::make_unique<FakeConnection>(pair[0], o.reused, o.absolute_form,
                                                               o.proxy_authorization));
      });
    }
    return std::make_unique<Handle>(alive, &cancelled);
  }

  void release(proxy::UpstreamConnectionPtr connection, bool reusable) override {
    released.push_back(reusable);
    connection.reset();
  }

  std::deque<Outcome> script;
  std::vector<proxy::ConnectRequest> requests;
  std::vector<bufferevent*> peers;  // the backend's ends, one per connection
  std::vector<bool> released;       // the reusable flag of every release()
  int cancelled = 0;

 private:
  struct Handle : proxy::ConnectHandle {
    Handle(std::shared_ptr<bool> alive, int* cancelled)
        : alive(std::move(alive)), cancelled(cancelled) {}
    ~Handle() override {
      if (*alive) ++*cancelled;
      *alive = false;
    }
    std::shared_ptr<bool> alive;
    int* cancelled;
  };
  event::Dispatcher& dispatcher_;
};

// ---------------------------------------------------------------------------
// The filter-callbacks seam: records everything the router hands downstream.

struct LocalReply {
  int status;
  std::string message;
  std::string description;
};

class FakeCallbacks : public http::DecoderFilterCallbacks {
 public:
  FakeCallbacks(event::Dispatcher& d, proxy::Connector& c, stats::Store& s)
      : dispatcher_(d), connector_(c), stats_(s) {}

  void continueDecoding() override {}
  void sendLocalReply(int status, std::string_view message, std::string_view description) override {
    local_replies.push_back({status, std::string(message), std::string(description)});
  }
  void sendLocalReply(const http::LocalReply& reply) override {
    sendLocalReply(reply.status, reply.message, reply.description);
    reply_code = reply.code;
    reply_headers = reply.headers;
  }
  bool authenticated() const override { return authenticated_; }
  const http::AuthIdentity& identity() const override { return identity_; }
  void encodeHeaders(http::ResponseHeaders headers, bool end_stream) override {
    ++encode_headers_calls;
    response = std::move(headers);
    headers_ended = end_stream;
    if (end_stream) ended = true;
  }
  void encodeData(std::string& data, bool end_stream) override {
    body += data;
    if (end_stream) ended = true;
  }
  void encodeTrailers(http::HeaderMap t) override {
    trailers = std::move(t);
    ended = true;
  }
  void readDisableDownstream(bool disable) override { read_disable.push_back(disable); }
  const RouteMatch* route() const override { return route_; }
  const std::string& downstreamAddress() const override { return address_; }
  bool downstreamTls() const override { return tls; }
  event::Dispatcher& dispatcher() override { return dispatcher_; }
  proxy::Connector& connector() override { return connector_; }
  stats::Store& stats() override { return stats_; }
  void setUpstreamDescription(std::string d) override { upstream = std::move(d); }

  const RouteMatch* route_ = nullptr;
  bool authenticated_ = false;
  http::AuthIdentity identity_;  // key_type picks production or sandbox endpoints
  std::string reply_code;
  http::HeaderMap reply_headers;
  bool tls = false;
  std::vector<LocalReply> local_replies;
  int encode_headers_calls = 0;
  std::optional<http::ResponseHeaders> response;
  std::string body;
  bool ended = false;
  bool headers_ended = false;  // the response ended with its headers
  std::optional<http::HeaderMap> trailers;
  std::vector<bool> read_disable;
  std::string upstream;

 private:
  event::Dispatcher& dispatcher_;
  proxy::Connector& connector_;
  stats::Store& stats_;
  std::string address_ = "192.0.2.7";
};

// ---------------------------------------------------------------------------

// A request head as the backend received it.
struct Head {
  std::string request_line;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string rest;  // bytes after the blank line

  std::vector<std::string> all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : headers) {
      if (http::iequals(n, name)) out.push_back(v);
    }
    return out;
  }
  std::string get(std::string_view name) const {
    auto v = all(name);
    return v.empty() ? "<absent>" : v[0];
  }
  bool has(std::string_view name) const { return !all(name).empty(); }
};

Head parseHead(const std::string& raw) {
  Head h;
  size_t end = raw.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos) << "no complete head in: " << raw;
  if (end == std::string::npos) return h;
  h.rest = raw.substr(end + 4);
  std::string head = raw.substr(0, end + 2);
  size_t pos = head.find("\r\n");
  h.request_line = head.substr(0, pos);
  pos += 2;
  while (pos < head.size()) {
    size_t eol = head.find("\r\n", pos);
    std::string line = head.substr(pos, eol - pos);
    size_t colon = line.find(':');
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value[0] == ' ') value.erase(0, 1);
    h.headers.emplace_back(line.substr(0, colon), value);
    pos = eol + 2;
  }
  return h;
}

conf::EndpointUrl url(std::string host, uint16_t port, std::string base_path = "") {
  conf::EndpointUrl u;
  u.scheme = "http";
  u.host = std::move(host);
  u.port = port;
  u.base_path = std::move(base_path);
  u.url = gw::cat("http://", u.host, ":", port, u.base_path.empty() ? "/" : u.base_path);
  return u;
}

conf::Operation op(std::string method, std::string path_template) {
  conf::Operation o;
  o.method = std::move(method);
  o.path_template = std::move(path_template);
  o.disable_security = true;  // routing tests; security has its own
  return o;
}

class RouterFilterTest : public ::testing::Test {
 protected:
  RouterFilterTest() { useApi({url("backend.internal", 8080, "/api/v3")}); }

  void TearDown() override {
    if (filter_) {
      filter_->onDestroy();
      filter_.reset();
    }
  }

  // One API at /petstore/v1 with the given production endpoints.
  void useApi(std::vector<conf::EndpointUrl> urls,
              conf::EndpointType type = conf::EndpointType::LoadBalance,
              uint32_t timeout_ms = 60000) {
    conf::ApiDefinition api;
    api.file = "petstore.yaml";
    api.title = "petstore";
    api.base_path = "/petstore/v1";
    api.production.urls = std::move(urls);
    api.production.type = type;
    api.production.timeout_ms = timeout_ms;
    api.production.http2_prior_knowledge = http2_;
    api.operations = {op("GET", "/pets"), op("HEAD", "/pets"), op("POST", "/pets"),
                      op("GET", "/pets/{id}"), op("PUT", "/pets/{id}")};
    std::vector<conf::ApiDefinition> apis;
    apis.push_back(std::move(api));
    auto table = RouteTable::build(std::move(apis));
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = *table;
  }

  FilterStatus start(std::string method, std::string path,
                     std::vector<std::pair<std::string, std::string>> headers = {},
                     bool end_stream = true) {
    http::RequestHeaders req;
    req.method = std::move(method);
    req.path = std::move(path);
    for (auto& [n, v] : headers) req.headers.add(n, v);
    match_ = table_->match(req.method, req.path);
    cb_.route_ = &match_;
    filter_ = std::make_unique<RouterFilter>(config_);
    filter_->setDecoderFilterCallbacks(cb_);
    return filter_->decodeHeaders(req, end_stream);
  }

  void pump(int rounds = 20) {
    for (int i = 0; i < rounds; ++i) event_base_loop(dispatcher_->base(), EVLOOP_NONBLOCK);
  }

  // Runs the loop until `done` holds or `seconds` pass.
  bool pumpUntil(const std::function<bool()>& done, double seconds = 5.0) {
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      event_base_loop(dispatcher_->base(), EVLOOP_NONBLOCK);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  bufferevent* peer(size_t i = 0) {
    EXPECT_LT(i, connector_.peers.size()) << "connection " << i << " was never made";
    return i < connector_.peers.size() ? connector_.peers[i] : nullptr;
  }

  // Everything the router has written to connection `i` so far.
  std::string upstreamBytes(size_t i = 0) {
    pump();
    bufferevent* p = peer(i);
    if (p == nullptr) return "";
    evbuffer* in = bufferevent_get_input(p);
    std::string out(evbuffer_get_length(in), '\0');
    evbuffer_remove(in, out.data(), out.size());
    return out;
  }

  // Waits for a complete request head on connection `i`.
  Head upstreamHead(size_t i = 0) {
    std::string raw;
    pumpUntil([&] {
      if (i < connector_.peers.size()) raw += upstreamBytes(i);
      return raw.find("\r\n\r\n") != std::string::npos;
    });
    return parseHead(raw);
  }

  void backendWrite(std::string_view bytes, size_t i = 0) {
    bufferevent_write(peer(i), bytes.data(), bytes.size());
    pump();
  }

  // The backend closes its end: the router sees EOF.
  void backendClose(size_t i = 0) {
    bufferevent_flush(peer(i), EV_WRITE, BEV_FINISHED);
    pump();
  }

  std::string responseHeader(std::string_view name) const {
    if (!cb_.response) return "<no response>";
    const std::string* v = cb_.response->headers.get(name);
    return v ? *v : "<absent>";
  }

  bool http2_ = false;  // useApi: the endpoints take HTTP/2 (prior knowledge)
  event::DispatcherPtr dispatcher_ = event::createDispatcher("router-test");
  stats::Store store_;
  FakeConnector connector_{*dispatcher_};
  std::shared_ptr<RouterConfig> config_ = [this] {
    auto c = std::make_shared<RouterConfig>();
    c->retries = &store_.counter("test_retries_total", "retries");
    return c;
  }();
  std::shared_ptr<const RouteTable> table_;
  RouteMatch match_;
  FakeCallbacks cb_{*dispatcher_, connector_, store_};
  std::unique_ptr<RouterFilter> filter_;
};

}  // namespace
}  // namespace gw::router
