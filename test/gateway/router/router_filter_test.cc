#include "gateway/router/router_filter.h"

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
#include "gateway/stats/stats.h"

namespace gw::router {
namespace {

using http::FilterStatus;

// ---------------------------------------------------------------------------
// The connector seam: each connection is one end of a bufferevent_pair; the
// test holds the other end and plays the backend.

class FakeConnection : public proxy::UpstreamConnection {
 public:
  FakeConnection(bufferevent* bev, bool reused, bool absolute_form, std::string proxy_auth)
      : bev_(bev), reused_(reused), absolute_form_(absolute_form),
        proxy_auth_(std::move(proxy_auth)) {}
  ~FakeConnection() override { bufferevent_free(bev_); }

  bufferevent* bev() override { return bev_; }
  bool reused() const override { return reused_; }
  bool viaProxy() const override { return absolute_form_; }
  bool absoluteForm() const override { return absolute_form_; }
  const std::string& proxyAuthorization() const override { return proxy_auth_; }
  std::string describe() const override { return "fake-backend"; }

 private:
  bufferevent* bev_;
  bool reused_, absolute_form_;
  std::string proxy_auth_;
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
        callbacks.onConnected(std::make_unique<FakeConnection>(
            pair[0], o.reused, o.absolute_form, o.proxy_authorization));
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
    Handle(std::shared_ptr<bool> alive, int* cancelled) : alive(std::move(alive)), cancelled(cancelled) {}
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
  void encodeHeaders(http::ResponseHeaders headers, bool end_stream) override {
    ++encode_headers_calls;
    response = std::move(headers);
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
  bool tls = false;
  std::vector<LocalReply> local_replies;
  int encode_headers_calls = 0;
  std::optional<http::ResponseHeaders> response;
  std::string body;
  bool ended = false;
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
    api.operations = {op("GET", "/pets"),        op("HEAD", "/pets"), op("POST", "/pets"),
                      op("GET", "/pets/{id}"),   op("PUT", "/pets/{id}")};
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

// --- request head ----------------------------------------------------------

TEST_F(RouterFilterTest, RequestHeadRewritesTargetAndForwardingHeaders) {
  EXPECT_EQ(start("GET", "/petstore/v1/pets/7?limit=2&x=y",
                  {{"Host", "gw.example.com"},
                   {"X-Forwarded-For", "203.0.113.9"},
                   {"X-Forwarded-Proto", "https"},
                   {"X-Forwarded-Host", "spoofed.example"},
                   {"Accept", "application/json"},
                   {"User-Agent", "unit-test"}}),
            FilterStatus::Continue);
  Head h = upstreamHead();
  ASSERT_EQ(connector_.requests.size(), 1u);
  EXPECT_EQ(connector_.requests[0].target.scheme, "http");
  EXPECT_EQ(connector_.requests[0].target.host, "backend.internal");
  EXPECT_EQ(connector_.requests[0].target.port, 8080);
  EXPECT_FALSE(connector_.requests[0].proxy.has_value());
  EXPECT_EQ(cb_.upstream, "fake-backend");

  EXPECT_EQ(h.request_line, "GET /api/v3/pets/7?limit=2&x=y HTTP/1.1");
  EXPECT_EQ(h.all("Host"), std::vector<std::string>{"backend.internal:8080"});
  EXPECT_EQ(h.all("X-Forwarded-For"), std::vector<std::string>{"203.0.113.9, 192.0.2.7"});
  EXPECT_EQ(h.all("X-Forwarded-Proto"), std::vector<std::string>{"http"});
  EXPECT_EQ(h.all("X-Forwarded-Host"), std::vector<std::string>{"gw.example.com"});
  EXPECT_EQ(h.get("Accept"), "application/json");
  EXPECT_EQ(h.get("User-Agent"), "unit-test");
  EXPECT_FALSE(h.has("Content-Length"));
  EXPECT_FALSE(h.has("Transfer-Encoding"));
  EXPECT_EQ(h.rest, "");
}

TEST_F(RouterFilterTest, RequestHeadForwardedProtoHttpsForTlsClientsAndXffStartsWithClient) {
  cb_.tls = true;
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  Head h = upstreamHead();
  EXPECT_EQ(h.request_line, "GET /api/v3/pets HTTP/1.1");
  EXPECT_EQ(h.get("X-Forwarded-For"), "192.0.2.7");
  EXPECT_EQ(h.get("X-Forwarded-Proto"), "https");
}

TEST_F(RouterFilterTest, HopByHopRequestHeadersRemoved) {
  start("GET", "/petstore/v1/pets",
        {{"Host", "gw"},
         {"Connection", "keep-alive, X-Conn-Named"},
         {"X-Conn-Named", "drop me"},
         {"Keep-Alive", "timeout=5"},
         {"TE", "trailers"},
         {"Trailer", "X-Checksum"},
         {"Upgrade", "websocket"},
         {"Proxy-Authorization", "Basic Y2xpZW50OnNlY3JldA=="},
         {"Proxy-Connection", "keep-alive"},
         {"Proxy-Foo", "bar"},
         {"Expect", "100-continue"},
         {"X-Kept", "yes"}});
  Head h = upstreamHead();
  for (const char* name : {"Connection", "X-Conn-Named", "Keep-Alive", "TE", "Trailer", "Upgrade",
                           "Proxy-Authorization", "Proxy-Connection", "Proxy-Foo", "Expect"}) {
    EXPECT_FALSE(h.has(name)) << name << " reached the backend";
  }
  EXPECT_EQ(h.get("X-Kept"), "yes");
  EXPECT_EQ(h.all("Host"), std::vector<std::string>{"backend.internal:8080"});
}

TEST_F(RouterFilterTest, AbsoluteFormTargetCarriesGatewayProxyAuthorization) {
  useApi({url("backend.internal", 80, "/api")});
  Outcome o;
  o.absolute_form = true;
  o.proxy_authorization = "Basic Z3c6cHc=";
  connector_.script.push_back(o);
  start("GET", "/petstore/v1/pets?q=1",
        {{"Host", "gw"}, {"Proxy-Authorization", "Basic Y2xpZW50OmNsaWVudA=="}});
  Head h = upstreamHead();
  EXPECT_EQ(h.request_line, "GET http://backend.internal/api/pets?q=1 HTTP/1.1");
  EXPECT_EQ(h.all("Host"), std::vector<std::string>{"backend.internal"});
  EXPECT_EQ(h.all("Proxy-Authorization"), std::vector<std::string>{"Basic Z3c6cHc="});
}

TEST_F(RouterFilterTest, OriginFormNeverCarriesProxyAuthorization) {
  Outcome o;
  o.proxy_authorization = "Basic Z3c6cHc=";  // a tunnel: credentials went on the CONNECT
  connector_.script.push_back(o);
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  Head h = upstreamHead();
  EXPECT_EQ(h.request_line, "GET /api/v3/pets HTTP/1.1");
  EXPECT_FALSE(h.has("Proxy-Authorization"));
}

// --- request body ----------------------------------------------------------

TEST_F(RouterFilterTest, ChunkedRequestBodyReframedChunked) {
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Transfer-Encoding", "chunked"}},
        /*end_stream=*/false);
  std::string early = "hello";  // arrives before the connection
  EXPECT_EQ(filter_->decodeData(early, false), FilterStatus::StopIteration);
  Head h = upstreamHead();
  EXPECT_EQ(h.request_line, "POST /api/v3/pets HTTP/1.1");
  EXPECT_EQ(h.all("Transfer-Encoding"), std::vector<std::string>{"chunked"});
  EXPECT_FALSE(h.has("Content-Length"));
  std::string more = " world!";
  filter_->decodeData(more, false);
  std::string last;
  filter_->decodeData(last, true);
  EXPECT_EQ(h.rest + upstreamBytes(), "5\r\nhello\r\n7\r\n world!\r\n0\r\n\r\n");
}

TEST_F(RouterFilterTest, ChunkedRequestTrailersForwarded) {
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Transfer-Encoding", "chunked"}}, false);
  Head h = upstreamHead();
  std::string data = "abc";
  filter_->decodeData(data, false);
  http::HeaderMap trailers;
  trailers.add("X-Checksum", "900150983cd24fb0");
  EXPECT_EQ(filter_->decodeTrailers(trailers), FilterStatus::StopIteration);
  EXPECT_EQ(h.rest + upstreamBytes(), "3\r\nabc\r\n0\r\nX-Checksum: 900150983cd24fb0\r\n\r\n");
}

TEST_F(RouterFilterTest, ContentLengthBodyForwardedAsIs) {
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Content-Length", "11"}}, false);
  std::string a = "hello";
  filter_->decodeData(a, false);
  Head h = upstreamHead();
  std::string b = " world";
  filter_->decodeData(b, true);
  EXPECT_EQ(h.all("Content-Length"), std::vector<std::string>{"11"});
  EXPECT_FALSE(h.has("Transfer-Encoding"));
  EXPECT_EQ(h.rest + upstreamBytes(), "hello world");
}

TEST_F(RouterFilterTest, LargeBodyBeforeConnectionStopsReadingDownstream) {
  connector_.script.push_back(Outcome::hang());
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Content-Length", "2097152"}}, false);
  std::string mb(1 << 20, 'x');
  filter_->decodeData(mb, false);
  EXPECT_TRUE(cb_.read_disable.empty());
  std::string more(1 << 20, 'y');
  filter_->decodeData(more, false);
  EXPECT_EQ(cb_.read_disable, std::vector<bool>{true});
}

TEST_F(RouterFilterTest, DownstreamReadResumesOnceBufferedBodyDrainsUpstream) {
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Content-Length", "2097152"}}, false);
  std::string body(2 << 20, 'z');
  filter_->decodeData(body, false);  // before the connection: buffered
  EXPECT_EQ(cb_.read_disable, std::vector<bool>{true});
  std::string received;
  ASSERT_TRUE(pumpUntil([&] {
    if (!connector_.peers.empty()) received += upstreamBytes();
    return cb_.read_disable.size() == 2;
  }));
  EXPECT_EQ(cb_.read_disable, (std::vector<bool>{true, false}));
  std::string last;
  filter_->decodeData(last, true);
  pumpUntil([&] {
    received += upstreamBytes();
    return received.size() >= (2u << 20);
  });
  Head h = parseHead(received);
  EXPECT_EQ(h.rest.size(), 2u << 20);
}

// --- response ----------------------------------------------------------------

TEST_F(RouterFilterTest, ResponseStreamedWithHopByHopHeadersRemoved) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite(
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/plain\r\n"
      "Content-Length: 10\r\n"
      "Connection: keep-alive, X-Hop\r\n"
      "Keep-Alive: timeout=5\r\n"
      "X-Hop: 1\r\n"
      "Proxy-Authenticate: Basic realm=x\r\n"
      "Proxy-Connection: keep-alive\r\n"
      "Upgrade: h2c\r\n"
      "X-Kept: yes\r\n"
      "\r\n"
      "01234");
  ASSERT_TRUE(cb_.response.has_value());
  EXPECT_EQ(cb_.response->status, 200);
  EXPECT_EQ(responseHeader("Content-Type"), "text/plain");
  EXPECT_EQ(responseHeader("Content-Length"), "10");
  EXPECT_EQ(responseHeader("X-Kept"), "yes");
  for (const char* name : {"Connection", "Keep-Alive", "X-Hop", "Proxy-Authenticate",
                           "Proxy-Connection", "Upgrade"}) {
    EXPECT_EQ(responseHeader(name), "<absent>") << name;
  }
  EXPECT_EQ(cb_.body, "01234");  // streamed, not buffered to the end
  EXPECT_FALSE(cb_.ended);
  backendWrite("56789");
  EXPECT_EQ(cb_.body, "0123456789");
  EXPECT_TRUE(cb_.ended);
  EXPECT_TRUE(cb_.local_replies.empty());
  EXPECT_EQ(connector_.released, std::vector<bool>{true});
}

TEST_F(RouterFilterTest, HeadResponseHasNoBody) {
  start("HEAD", "/petstore/v1/pets", {{"Host", "gw"}});
  Head h = upstreamHead();
  EXPECT_EQ(h.request_line, "HEAD /api/v3/pets HTTP/1.1");
  backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/plain\r\n\r\n");
  ASSERT_TRUE(cb_.response.has_value());
  EXPECT_EQ(responseHeader("Content-Length"), "1234");
  EXPECT_EQ(cb_.body, "");
  EXPECT_TRUE(cb_.ended);
  EXPECT_EQ(connector_.released, std::vector<bool>{true});
}

TEST_F(RouterFilterTest, InterimResponsesSkipped) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite(
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(cb_.encode_headers_calls, 1);
  ASSERT_TRUE(cb_.response.has_value());
  EXPECT_EQ(cb_.response->status, 201);
  EXPECT_EQ(responseHeader("Link"), "<absent>");
  EXPECT_EQ(cb_.body, "ok");
  EXPECT_TRUE(cb_.ended);
}

TEST_F(RouterFilterTest, ChunkedResponseTrailersEncoded) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n");
  EXPECT_EQ(cb_.body, "hello world");
  EXPECT_FALSE(cb_.ended);
  EXPECT_EQ(responseHeader("Transfer-Encoding"), "<absent>");
  backendWrite("0\r\nX-Checksum: abc\r\nX-Count: 2\r\n\r\n");
  ASSERT_TRUE(cb_.trailers.has_value());
  ASSERT_EQ(cb_.trailers->size(), 2u);
  EXPECT_EQ(*cb_.trailers->get("X-Checksum"), "abc");
  EXPECT_EQ(*cb_.trailers->get("X-Count"), "2");
  EXPECT_TRUE(cb_.ended);
  EXPECT_EQ(connector_.released, std::vector<bool>{true});
}

TEST_F(RouterFilterTest, ConnectionCloseResponseNotReusable) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(cb_.body, "ok");
  EXPECT_TRUE(cb_.ended);
  EXPECT_EQ(responseHeader("Connection"), "<absent>");
  EXPECT_EQ(connector_.released, std::vector<bool>{false});
}

TEST_F(RouterFilterTest, CloseDelimitedResponseEndsAtEof) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nabc");
  EXPECT_EQ(cb_.body, "abc");
  EXPECT_FALSE(cb_.ended);
  backendWrite("def");
  backendClose();
  EXPECT_EQ(cb_.body, "abcdef");
  EXPECT_TRUE(cb_.ended);
  EXPECT_TRUE(cb_.local_replies.empty());
  EXPECT_EQ(connector_.released, std::vector<bool>{false});
}

TEST_F(RouterFilterTest, BackendClosesMidResponseFailsStream) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf");
  backendClose();
  EXPECT_FALSE(cb_.ended);
  ASSERT_EQ(cb_.local_replies.size(), 1u);  // the chain turns this into a reset
  EXPECT_EQ(cb_.local_replies[0].status, 502);
  EXPECT_EQ(connector_.requests.size(), 1u);  // bytes were seen: never retried
  EXPECT_EQ(connector_.released, std::vector<bool>{false});
}

TEST_F(RouterFilterTest, MalformedResponseIs502) {
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("SSH-2.0-OpenSSH_9.2\r\n\r\n");
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 502);
  EXPECT_NE(cb_.local_replies[0].description.find("malformed"), std::string::npos)
      << cb_.local_replies[0].description;
}

// --- retries and failover ------------------------------------------------------

TEST_F(RouterFilterTest, ReusedConnectionClosedBeforeAnyByteRetriedOnceForGet) {
  connector_.script.push_back(Outcome::reusedConnection());
  connector_.script.push_back(Outcome{});
  start("GET", "/petstore/v1/pets?a=1", {{"Host", "gw"}});
  Head first = upstreamHead(0);
  EXPECT_EQ(first.request_line, "GET /api/v3/pets?a=1 HTTP/1.1");
  backendClose(0);
  ASSERT_TRUE(pumpUntil([&] { return connector_.peers.size() == 2; }));
  EXPECT_EQ(connector_.requests.size(), 2u);
  Head second = upstreamHead(1);
  EXPECT_EQ(second.request_line, first.request_line);
  backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 1);
  EXPECT_TRUE(cb_.local_replies.empty());
  EXPECT_EQ(cb_.body, "ok");
  EXPECT_TRUE(cb_.ended);
  EXPECT_EQ(connector_.released, (std::vector<bool>{false, true}));
  EXPECT_EQ(config_->retries->value(), 1);
}

TEST_F(RouterFilterTest, RetriedOnlyOnce) {
  connector_.script.push_back(Outcome::reusedConnection());
  connector_.script.push_back(Outcome::reusedConnection());
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead(0);
  backendClose(0);
  ASSERT_TRUE(pumpUntil([&] { return connector_.peers.size() == 2; }));
  upstreamHead(1);
  backendClose(1);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 502);
  EXPECT_EQ(connector_.requests.size(), 2u);
}

TEST_F(RouterFilterTest, PostWithBodyOnReusedConnectionNotRetried) {
  connector_.script.push_back(Outcome::reusedConnection());
  start("POST", "/petstore/v1/pets", {{"Host", "gw"}, {"Content-Length", "4"}}, false);
  std::string body = "abcd";
  filter_->decodeData(body, true);
  Head h = upstreamHead();
  EXPECT_EQ(h.rest, "abcd");
  backendClose();
  pump();
  EXPECT_EQ(connector_.requests.size(), 1u);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 502);
  EXPECT_NE(cb_.local_replies[0].description.find("closed"), std::string::npos)
      << cb_.local_replies[0].description;
}

TEST_F(RouterFilterTest, PutWithSmallBodyOnReusedConnectionRetriedWithSameBody) {
  connector_.script.push_back(Outcome::reusedConnection());
  connector_.script.push_back(Outcome{});
  start("PUT", "/petstore/v1/pets/7", {{"Host", "gw"}, {"Content-Length", "6"}}, false);
  std::string part1 = "abc", part2 = "def";
  filter_->decodeData(part1, false);
  filter_->decodeData(part2, true);
  Head first = upstreamHead(0);
  EXPECT_EQ(first.rest, "abcdef");
  backendClose(0);
  ASSERT_TRUE(pumpUntil([&] { return connector_.peers.size() == 2; }));
  std::string raw;
  ASSERT_TRUE(pumpUntil([&] {
    raw += upstreamBytes(1);
    return raw.size() >= raw.find("\r\n\r\n") + 4 + 6 && raw.find("\r\n\r\n") != std::string::npos;
  }));
  Head second = parseHead(raw);
  EXPECT_EQ(second.request_line, first.request_line);
  EXPECT_EQ(second.rest, "abcdef");
  backendWrite("HTTP/1.1 204 No Content\r\n\r\n", 1);
  EXPECT_TRUE(cb_.local_replies.empty());
  EXPECT_EQ(config_->retries->value(), 1);
}

TEST_F(RouterFilterTest, PutWithBodyOverReplayLimitNotRetried) {
  connector_.script.push_back(Outcome::reusedConnection());
  std::string body(100 * 1024, 'x');
  start("PUT", "/petstore/v1/pets/7", {{"Host", "gw"}, {"Content-Length", std::to_string(body.size())}},
        false);
  filter_->decodeData(body, true);
  upstreamHead(0);
  backendClose(0);
  pump();
  EXPECT_EQ(connector_.requests.size(), 1u);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 502);
}

TEST_F(RouterFilterTest, RefusedConnectFailsOverToSecondUrl) {
  useApi({url("a.internal", 8081), url("b.internal", 8082)}, conf::EndpointType::Failover);
  connector_.script.push_back(Outcome::fail(proxy::FailureReason::Refused, 502,
                                            "backend unreachable",
                                            "could not connect to backend a.internal:8081"));
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  Head h = upstreamHead(0);
  ASSERT_EQ(connector_.requests.size(), 2u);
  EXPECT_EQ(connector_.requests[0].target.host, "a.internal");
  EXPECT_EQ(connector_.requests[1].target.host, "b.internal");
  EXPECT_EQ(connector_.requests[1].target.port, 8082);
  EXPECT_EQ(h.get("Host"), "b.internal:8082");
  backendWrite("HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_TRUE(cb_.local_replies.empty());
  ASSERT_TRUE(cb_.response.has_value());
  EXPECT_EQ(cb_.response->status, 204);
  EXPECT_TRUE(cb_.ended);
}

TEST_F(RouterFilterTest, AllUrlsRefusedGivesTheConnectorsReply) {
  useApi({url("a.internal", 8081), url("b.internal", 8082)}, conf::EndpointType::Failover);
  for (int i = 0; i < 2; ++i) {
    connector_.script.push_back(Outcome::fail(proxy::FailureReason::Refused, 502,
                                              "backend unreachable", "refused"));
  }
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }));
  EXPECT_EQ(connector_.requests.size(), 2u);
  EXPECT_EQ(cb_.local_replies[0].status, 502);
  EXPECT_EQ(cb_.local_replies[0].message, "backend unreachable");
}

TEST_F(RouterFilterTest, ProxyAuthFailureRepliedWithoutFailover) {
  useApi({url("a.internal", 8081), url("b.internal", 8082)}, conf::EndpointType::Failover);
  connector_.script.push_back(Outcome::fail(
      proxy::FailureReason::ProxyAuth, 502, "proxy authentication failed",
      "proxy 127.0.0.1:3128 answered 407: check httpClients.proxy.username/password", 407));
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }));
  EXPECT_EQ(connector_.requests.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 502);
  EXPECT_EQ(cb_.local_replies[0].message, "proxy authentication failed");
  EXPECT_EQ(cb_.local_replies[0].description,
            "proxy 127.0.0.1:3128 answered 407: check httpClients.proxy.username/password");
}

TEST_F(RouterFilterTest, ConnectorStatusPassedThrough) {
  connector_.script.push_back(Outcome::fail(proxy::FailureReason::ProxyTimeout, 504,
                                            "proxy timed out reaching the backend", "504 from proxy",
                                            504));
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }));
  EXPECT_EQ(cb_.local_replies[0].status, 504);
}

// --- timeouts --------------------------------------------------------------------

TEST_F(RouterFilterTest, SilentBackendTimesOutWith504) {
  useApi({url("backend.internal", 8080)}, conf::EndpointType::LoadBalance, /*timeout_ms=*/50);
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }, 10.0));
  EXPECT_EQ(cb_.local_replies[0].status, 504);
  EXPECT_NE(cb_.local_replies[0].description.find("50 ms"), std::string::npos)
      << cb_.local_replies[0].description;
  EXPECT_EQ(connector_.released, std::vector<bool>{false});
}

TEST_F(RouterFilterTest, PendingConnectTimesOutWith504AndIsCancelled) {
  useApi({url("backend.internal", 8080)}, conf::EndpointType::LoadBalance, /*timeout_ms=*/50);
  connector_.script.push_back(Outcome::hang());
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }, 10.0));
  EXPECT_EQ(cb_.local_replies[0].status, 504);
  EXPECT_EQ(connector_.cancelled, 1);
}

TEST_F(RouterFilterTest, SilenceMidBodyTimesOut) {
  useApi({url("backend.internal", 8080)}, conf::EndpointType::LoadBalance, /*timeout_ms=*/500);
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  upstreamHead();
  backendWrite("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01");
  // Bytes that keep coming keep the request alive past one timeout...
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    backendWrite("2");
  }
  EXPECT_TRUE(cb_.local_replies.empty());
  // ...then silence ends it.
  ASSERT_TRUE(pumpUntil([&] { return !cb_.local_replies.empty(); }, 10.0));
  EXPECT_EQ(cb_.local_replies[0].status, 504);
  EXPECT_EQ(cb_.body, "01222");
  EXPECT_FALSE(cb_.ended);
}

TEST_F(RouterFilterTest, LoadBalanceRoundRobinsAcrossUrls) {
  useApi({url("a.internal", 8081), url("b.internal", 8082)});
  std::vector<std::string> hosts;
  for (int i = 0; i < 4; ++i) {
    start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
    upstreamHead(i);
    hosts.push_back(connector_.requests.back().target.host);
    filter_->onDestroy();
    filter_.reset();
  }
  EXPECT_EQ(hosts, (std::vector<std::string>{"a.internal", "b.internal", "a.internal",
                                             "b.internal"}));
}

// --- local replies ----------------------------------------------------------------

TEST_F(RouterFilterTest, NoRouteIs404) {
  EXPECT_EQ(start("GET", "/nothing/here", {{"Host", "gw"}}), FilterStatus::StopIteration);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 404);
  pump();
  EXPECT_TRUE(connector_.requests.empty());
}

TEST_F(RouterFilterTest, NoRouteCallbackIs404) {
  http::RequestHeaders req;
  req.method = "GET";
  req.path = "/x";
  cb_.route_ = nullptr;
  filter_ = std::make_unique<RouterFilter>(config_);
  filter_->setDecoderFilterCallbacks(cb_);
  EXPECT_EQ(filter_->decodeHeaders(req, true), FilterStatus::StopIteration);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 404);
}

TEST_F(RouterFilterTest, WrongMethodIs405ListingAllowedMethods) {
  EXPECT_EQ(start("DELETE", "/petstore/v1/pets", {{"Host", "gw"}}), FilterStatus::StopIteration);
  ASSERT_EQ(cb_.local_replies.size(), 1u);
  EXPECT_EQ(cb_.local_replies[0].status, 405);
  EXPECT_NE(cb_.local_replies[0].description.find("GET, HEAD, POST"), std::string::npos)
      << cb_.local_replies[0].description;
  pump();
  EXPECT_TRUE(connector_.requests.empty());
}

TEST_F(RouterFilterTest, DestroyBeforeConnectCancelsAttempt) {
  connector_.script.push_back(Outcome::hang());
  start("GET", "/petstore/v1/pets", {{"Host", "gw"}});
  filter_->onDestroy();
  filter_.reset();
  EXPECT_EQ(connector_.cancelled, 1);
}

}  // namespace
}  // namespace gw::router
