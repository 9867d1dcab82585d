// Fuzzes the router's response path (gateway/router/router_filter.h): the
// bytes a backend sends, parsed by the router and handed to the encode chain.
//
// Input layout: kControlBytes control bytes, then the backend's byte stream.
// Control byte 0 picks the request (GET, HEAD, or a chunked POST whose
// trailers hold fields that must never be forwarded) and whether the
// connection is a reused one (so a close before any byte is retried). The
// others, cyclically, drive every other choice: the size of each piece the
// backend writes, client-side watermark events (also from inside
// encodeData, as the connection manager raises them), and whether the
// backend closes its end after the last byte.
//
// Invariants (a violation is __builtin_trap()):
//  - at most one response head, none after a local reply; no body or
//    trailers before the head, nothing at all after the end of the response;
//  - a forwarded status is 200-599; header and trailer names are tokens;
//    no hop-by-hop response header and no forbidden trailer
//    (isForbiddenTrailer) reaches the client;
//  - HEAD, 204 and 304 responses carry no body, 204/304 no Content-Length;
//    a response that ended normally with a Content-Length has that many bytes;
//  - local replies are 502, 503 or 504;
//  - the backend never receives a forbidden request trailer.

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/router/route_table.h"
#include "gateway/router/router_filter.h"
#include "gateway/router/upstream_headers.h"
#include "gateway/stats/stats.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using gw::http::HeaderMap;
using gw::http::ResponseHeaders;
using gw::router::RouteMatch;
using gw::router::RouterFilter;

using gw::fuzz::Control;

constexpr size_t kControlBytes = 8;

class FakeConnection : public gw::proxy::UpstreamConnection {
 public:
  FakeConnection(bufferevent* bev, bool reused) : bev_(bev), reused_(reused) {}
  ~FakeConnection() override { bufferevent_free(bev_); }
  bufferevent* bev() override { return bev_; }
  bool reused() const override { return reused_; }
  bool viaProxy() const override { return false; }
  bool absoluteForm() const override { return false; }
  const std::string& proxyAuthorization() const override { return empty_; }
  const std::string& describe() const override { return description_; }

 private:
  bufferevent* bev_;
  bool reused_;
  std::string empty_;
  const std::string description_ = "fuzz-backend";
};

// Connects through a bufferevent pair; the driver writes the backend's end.
class FakeConnector : public gw::proxy::Connector {
 public:
  FakeConnector(gw::event::Dispatcher& d, bool first_reused) : d_(d), reused_(first_reused) {}
  ~FakeConnector() override {
    for (bufferevent* p : peers) bufferevent_free(p);
  }
  gw::proxy::ConnectHandlePtr connect(const gw::proxy::ConnectRequest&,
                                      gw::proxy::ConnectCallbacks& callbacks) override {
    auto alive = std::make_shared<bool>(true);
    bool reused = reused_;
    reused_ = false;
    d_.post([this, &callbacks, alive, reused] {
      if (!*alive) return;
      bufferevent* pair[2];
      bufferevent_pair_new(d_.base(), BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS, pair);
      bufferevent_enable(pair[1], EV_READ | EV_WRITE);
      peers.push_back(pair[1]);
      callbacks.onConnected(std::make_unique<FakeConnection>(pair[0], reused));
    });
    return std::make_unique<Handle>(alive);
  }
  void release(gw::proxy::UpstreamConnectionPtr connection, bool) override { connection.reset(); }

  std::vector<bufferevent*> peers;

 private:
  struct Handle : gw::proxy::ConnectHandle {
    explicit Handle(std::shared_ptr<bool> a) : alive(std::move(a)) {}
    ~Handle() override { *alive = false; }
    std::shared_ptr<bool> alive;
  };
  gw::event::Dispatcher& d_;
  bool reused_;
};

bool forwardableHeader(const std::string& name) {
  return gw::router::isFieldName(name) && !gw::router::isResponseHopByHop(name);
}

// The encode chain as the router sees it, checking every event.
class Callbacks : public gw::http::DecoderFilterCallbacks {
 public:
  Callbacks(gw::event::Dispatcher& d, gw::proxy::Connector& c, gw::stats::Store& s,
            Control& control, const RouteMatch* route, bool head)
      : d_(d), c_(c), s_(s), control_(control), route_(route), head_(head) {}

  void setFilter(RouterFilter* f) { filter_ = f; }

  void continueDecoding() override {}
  void sendLocalReply(int status, std::string_view, std::string_view) override {
    FUZZ_CHECK(!ended_);
    FUZZ_CHECK(status == 502 || status == 503 || status == 504);
    local_reply_ = true;
  }
  void encodeHeaders(ResponseHeaders headers, bool end_stream) override {
    FUZZ_CHECK(!local_reply_ && !ended_ && !headers_);
    FUZZ_CHECK(headers.status >= 200 && headers.status <= 599);
    for (const auto& [name, value] : headers.headers.entries()) FUZZ_CHECK(forwardableHeader(name));
    no_body_ = head_ || headers.status == 204 || headers.status == 304;
    if (headers.status == 204 || headers.status == 304) {
      FUZZ_CHECK(!headers.headers.has("content-length"));
    }
    if (const std::string* cl = headers.headers.get("content-length")) {
      char* end = nullptr;
      unsigned long long v = std::strtoull(cl->c_str(), &end, 10);
      if (end != nullptr && *end == '\0' && !cl->empty()) content_length_ = v;
    }
    headers_ = true;
    ended_ = end_stream;
  }
  void encodeData(std::string& data, bool end_stream) override {
    FUZZ_CHECK(!local_reply_ && !ended_ && headers_);
    if (no_body_) FUZZ_CHECK(data.empty());
    body_ += data.size();
    if (end_stream) finish();
    // The connection manager raises the watermark from inside a write.
    if (!end_stream && !data.empty() && (control_.next() & 0x30) == 0x30 && filter_ != nullptr) {
      filter_->onAboveWriteBufferHighWatermark();
      paused = true;
    }
  }
  void encodeTrailers(HeaderMap trailers) override {
    FUZZ_CHECK(!local_reply_ && !ended_ && headers_);
    FUZZ_CHECK(!trailers.empty());
    for (const auto& [name, value] : trailers.entries()) {
      FUZZ_CHECK(gw::router::isFieldName(name));
      FUZZ_CHECK(!gw::router::isForbiddenTrailer(name));
    }
    finish();
  }
  void readDisableDownstream(bool) override {}
  const RouteMatch* route() const override { return route_; }
  const std::string& downstreamAddress() const override { return address_; }
  bool downstreamTls() const override { return false; }
  gw::event::Dispatcher& dispatcher() override { return d_; }
  gw::proxy::Connector& connector() override { return c_; }
  gw::stats::Store& stats() override { return s_; }
  void setUpstreamDescription(std::string) override {}

  bool over() const { return ended_ || local_reply_; }
  bool paused = false;

 private:
  void finish() {
    ended_ = true;
    if (no_body_) FUZZ_CHECK(body_ == 0);
    if (content_length_ && !no_body_) FUZZ_CHECK(body_ == *content_length_);
  }

  gw::event::Dispatcher& d_;
  gw::proxy::Connector& c_;
  gw::stats::Store& s_;
  Control& control_;
  const RouteMatch* route_;
  bool head_;
  RouterFilter* filter_ = nullptr;
  std::string address_ = "192.0.2.1";
  bool headers_ = false, ended_ = false, local_reply_ = false, no_body_ = false;
  std::optional<unsigned long long> content_length_;
  uint64_t body_ = 0;
};

struct World {
  gw::event::DispatcherPtr dispatcher = gw::event::createDispatcher("fuzz");
  std::shared_ptr<const gw::router::RouteTable> routes;
  std::shared_ptr<gw::router::RouterConfig> config = std::make_shared<gw::router::RouterConfig>();

  World() {
    gw::conf::ApiDefinition api;
    api.file = "fuzz.yaml";
    api.title = "fuzz";
    api.base_path = "/fuzz";
    gw::conf::EndpointUrl u;
    u.url = "http://backend:8080/";
    u.scheme = "http";
    u.host = "backend";
    u.port = 8080;
    api.production.urls = {u};
    api.production.timeout_ms = 600000;  // never fires within one input
    for (const char* m : {"GET", "HEAD", "POST"}) {
      gw::conf::Operation op;
      op.method = m;
      op.path_template = "/r";
      op.disable_security = true;
      api.operations.push_back(op);
    }
    std::vector<gw::conf::ApiDefinition> apis;
    apis.push_back(std::move(api));
    routes = *gw::router::RouteTable::build(std::move(apis));
  }

  void pump() {
    for (int i = 0; i < 4; ++i) event_base_loop(dispatcher->base(), EVLOOP_NONBLOCK);
  }
};

World& world() {
  static World* w = new World();
  return *w;
}

// What the backend received, after its request head.
std::string drainUpstream(bufferevent* peer) {
  evbuffer* in = bufferevent_get_input(peer);
  std::string out(evbuffer_get_length(in), '\0');
  evbuffer_remove(in, out.data(), out.size());
  return out;
}

void sendRequest(RouterFilter& filter, int kind) {
  gw::http::RequestHeaders req;
  req.method = kind == 1 ? "HEAD" : kind == 2 ? "POST" : "GET";
  req.path = "/fuzz/r";
  req.headers.add("Host", "gw");
  if (kind == 2) req.headers.add("Transfer-Encoding", "chunked");
  filter.decodeHeaders(req, kind != 2);
  if (kind != 2) return;
  std::string body = "abc";
  filter.decodeData(body, false);
  HeaderMap trailers;
  trailers.add("Proxy-Authorization", "Basic c2VjcmV0");
  trailers.add("X-Forwarded-For", "6.6.6.6");
  trailers.add("Content-Length", "9");
  trailers.add("X-Checksum", "1");
  filter.decodeTrailers(trailers);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kControlBytes) return 0;
  World& w = world();
  const int kind = data[0] % 3;
  const bool reused = (data[0] & 0x80) != 0;
  Control control(data + 1, kControlBytes - 1);
  const uint8_t* stream = data + kControlBytes;
  const size_t stream_size = size - kControlBytes;

  gw::stats::Store store;
  FakeConnector connector(*w.dispatcher, reused);
  RouteMatch match = w.routes->match(kind == 1 ? "HEAD" : kind == 2 ? "POST" : "GET", "/fuzz/r");
  {
    Callbacks callbacks(*w.dispatcher, connector, store, control, &match, kind == 1);
    RouterFilter filter(w.config);
    filter.setDecoderFilterCallbacks(callbacks);
    callbacks.setFilter(&filter);
    sendRequest(filter, kind);
    w.pump();
    std::string upstream;
    size_t pos = 0;
    while (pos < stream_size && !callbacks.over() && !connector.peers.empty()) {
      bufferevent* peer = connector.peers.back();
      upstream += drainUpstream(peer);
      uint8_t c = control.next();
      size_t chunk = (c & 0x80) ? stream_size - pos : 1 + (c & 0x3f);
      if (chunk > stream_size - pos) chunk = stream_size - pos;
      bufferevent_write(peer, stream + pos, chunk);
      pos += chunk;
      if ((c & 0x40) && !callbacks.paused) {
        filter.onAboveWriteBufferHighWatermark();
        callbacks.paused = true;
      }
      w.pump();
      if (callbacks.paused && (control.next() & 1)) {
        filter.onBelowWriteBufferLowWatermark();
        callbacks.paused = false;
        w.pump();
      }
    }
    if (callbacks.paused) {
      filter.onBelowWriteBufferLowWatermark();
      callbacks.paused = false;
      w.pump();
    }
    if (!callbacks.over() && !connector.peers.empty() && (control.next() & 1)) {
      bufferevent_flush(connector.peers.back(), EV_WRITE, BEV_FINISHED);
      w.pump();
      w.pump();
    }
    for (bufferevent* p : connector.peers) upstream += drainUpstream(p);
    if (kind == 2) {
      // The request trailers the backend got: only X-Checksum survives.
      FUZZ_CHECK(upstream.find("Proxy-Authorization") == std::string::npos);
      FUZZ_CHECK(upstream.find("6.6.6.6") == std::string::npos);
      FUZZ_CHECK(upstream.find("Content-Length: 9") == std::string::npos);
    }
    filter.onDestroy();
  }
  w.pump();
  return 0;
}
