// HttpClient on the shared upstream codec: interim answers, streamed bodies,
// the head and idle timeouts, cancellation.

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include <string>
#include <vector>

#include "proxy_connector/http_client.h"
#include "test/proxy_connector/connector_test_util.h"

namespace gw::proxy {
namespace {

// Answers each request head with `answer`, then sends what the test pushes.
class ScriptedServer : public testing::FakeListener {
 public:
  explicit ScriptedServer(event_base* base) : FakeListener(base) {}
  ~ScriptedServer() override {
    for (bufferevent* b : conns_) bufferevent_free(b);
  }
  std::string answer;
  std::string requests;  // every request byte received
  int closed_by_client = 0;

  void push(const std::string& bytes) {
    bufferevent_write(conns_.back(), bytes.data(), bytes.size());
  }

 private:
  void onAccept(evutil_socket_t fd) override {
    bufferevent* b = bufferevent_socket_new(base_, fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(b, &ScriptedServer::readCb, nullptr, &ScriptedServer::eventCb, this);
    bufferevent_enable(b, EV_READ | EV_WRITE);
    conns_.push_back(b);
  }
  static void readCb(bufferevent* bev, void* arg) {
    auto* self = static_cast<ScriptedServer*>(arg);
    evbuffer* in = bufferevent_get_input(bev);
    std::string s(evbuffer_get_length(in), '\0');
    evbuffer_remove(in, s.data(), s.size());
    self->requests += s;
    if (s.find("\r\n\r\n") != std::string::npos && !self->answer.empty()) {
      bufferevent_write(bev, self->answer.data(), self->answer.size());
    }
  }
  static void eventCb(bufferevent*, short events, void* arg) {
    if (events & BEV_EVENT_EOF) ++static_cast<ScriptedServer*>(arg)->closed_by_client;
  }
  std::vector<bufferevent*> conns_;
};

class HttpClientStreamTest : public ConnectorTest {
 protected:
  HttpRequest get(const ScriptedServer& server, const std::string& path) {
    HttpRequest r;
    r.url = "http://127.0.0.1:" + std::to_string(server.port()) + path;
    return r;
  }
  absl::StatusOr<HttpResponse> run(HttpClient& client, HttpRequest req) {
    std::optional<absl::StatusOr<HttpResponse>> got;
    client.request(std::move(req), [&](absl::StatusOr<HttpResponse> r) { got = std::move(r); });
    runUntil([&] { return got.has_value(); });
    if (!got) return absl::UnknownError("no callback");
    return *std::move(got);
  }
  // Records a stream's events.
  struct Events {
    int status = 0;
    std::vector<std::string> pieces;
    std::optional<absl::Status> done;
    std::string body() const {
      std::string all;
      for (const auto& p : pieces) all += p;
      return all;
    }
  };
  HttpStreamCallbacks record(Events& ev) {
    HttpStreamCallbacks cb;
    cb.on_headers = [&ev](const HttpResponse& head) { ev.status = head.status; };
    cb.on_data = [&ev](std::string_view piece) { ev.pieces.emplace_back(piece); };
    cb.on_complete = [&ev](absl::Status s) { ev.done = std::move(s); };
    return cb;
  }
};

// The internal client used to merge a 1xx answer's headers into the final
// response: `103` with `Link` then `200` gave `Link` on the 200.
TEST_F(HttpClientStreamTest, InterimHeadersAreNotMergedIntoTheFinalResponse) {
  ScriptedServer server(dispatcher_->base());
  server.answer =
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Final: yes\r\n\r\nok";
  ConnectorPtr connector = make();
  HttpClient client(*dispatcher_, *connector, conf::ProxyConfig{});
  absl::StatusOr<HttpResponse> r = run(client, get(server, "/hints"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(r->header("x-final"), "yes");
  EXPECT_EQ(r->header("link"), "");
  EXPECT_EQ(r->header("x-interim"), "");
  EXPECT_EQ(r->headers.size(), 2u);
}

// The shared codec's rules apply to internal services too.
TEST_F(HttpClientStreamTest, MalformedHeadIsRefused) {
  ScriptedServer server(dispatcher_->base());
  server.answer = "HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n";
  ConnectorPtr connector = make();
  HttpClient client(*dispatcher_, *connector, conf::ProxyConfig{});
  absl::StatusOr<HttpResponse> r = run(client, get(server, "/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(std::string(r.status().message()).find("is not a token"), std::string::npos)
      << r.status();
}

TEST_F(HttpClientStreamTest, BodyArrivesInPiecesAsSent) {
  ScriptedServer server(dispatcher_->base());
  server.answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n";
  ConnectorPtr connector = make();
  HttpClient client(*dispatcher_, *connector, conf::ProxyConfig{});
  Events ev;
  HttpStreamPtr s = client.stream(get(server, "/watch"), record(ev));
  ASSERT_TRUE(runUntil([&] { return ev.body() == "hello"; }));
  EXPECT_EQ(ev.status, 200);
  EXPECT_FALSE(ev.done.has_value());  // the body is still open
  server.push("6\r\n world\r\n");
  ASSERT_TRUE(runUntil([&] { return ev.body() == "hello world"; }));
  EXPECT_FALSE(ev.done.has_value());
  server.push("0\r\n\r\n");
  ASSERT_TRUE(runUntil([&] { return ev.done.has_value(); }));
  EXPECT_TRUE(ev.done->ok()) << *ev.done;
  EXPECT_EQ(ev.body(), "hello world");
}

// A body that keeps making progress outlives `timeout` (which bounds the head only).
TEST_F(HttpClientStreamTest, IdleTimeoutBoundsSilenceNotTheWholeBody) {
  ScriptedServer server(dispatcher_->base());
  server.answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n";
  ConnectorPtr connector = make();
  HttpClient client(*dispatcher_, *connector, conf::ProxyConfig{});
  HttpRequest req = get(server, "/slow");
  req.timeout = milliseconds(150);
  req.body_idle_timeout = milliseconds(400);
  Events ev;
  HttpStreamPtr s = client.stream(std::move(req), record(ev));
  ASSERT_TRUE(runUntil([&] { return ev.pieces.size() == 1; }));
  for (int i = 0; i < 4; ++i) {  // 4 x 100 ms: longer than `timeout`
    runFor(milliseconds(100));
    server.push("1\r\nb\r\n");
  }
  ASSERT_TRUE(runUntil([&] { return ev.pieces.size() == 5; }));
  EXPECT_FALSE(ev.done.has_value());
  // Then silence: the idle timeout ends it.
  ASSERT_TRUE(runUntil([&] { return ev.done.has_value(); }));
  EXPECT_EQ(ev.done->code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(std::string(ev.done->message()).find("stalled"), std::string::npos) << *ev.done;
}

TEST_F(HttpClientStreamTest, HeadTimeout) {
  ScriptedServer server(dispatcher_->base());  // never answers
  ConnectorPtr connector = make();
  HttpClient client(*dispatcher_, *connector, conf::ProxyConfig{});
  HttpRequest req = get(server, "/silent");
  req.timeout = milliseconds(100);
  absl::StatusOr<HttpResponse> r = run(client, std::move(req));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(std::string(r.status().message()).find("no response head"), std::string::npos);
}

TEST_F(HttpClientStreamTest, DestroyingTheHandleCancels) {
  ScriptedServer server(dispatcher_->base());
  server.answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n";
  ConnectorPtr connector = make();
  HttpClient client(*dispatcher_, *connector, conf::ProxyConfig{});
  Events ev;
  HttpStreamPtr s;
  HttpStreamCallbacks cb = record(ev);
  cb.on_data = [&](std::string_view piece) {
    ev.pieces.emplace_back(piece);
    s.reset();  // from inside a callback
  };
  s = client.stream(get(server, "/watch"), std::move(cb));
  ASSERT_TRUE(runUntil([&] { return ev.pieces.size() == 1; }));
  ASSERT_TRUE(runUntil([&] { return server.closed_by_client == 1; }));
  server.push("1\r\nb\r\n0\r\n\r\n");
  runFor(milliseconds(50));
  EXPECT_EQ(ev.pieces.size(), 1u);
  EXPECT_FALSE(ev.done.has_value());

  // Before any byte, and with a bad URL (whose error is posted): nothing runs.
  Events ev2;
  HttpStreamPtr s2 = client.stream(get(server, "/x"), record(ev2));
  HttpStreamPtr s3 = client.stream(HttpRequest{"GET", "bad"}, record(ev2));
  s2.reset();
  s3.reset();
  runFor(milliseconds(50));
  EXPECT_EQ(ev2.status, 0);
  EXPECT_FALSE(ev2.done.has_value());
}

TEST_F(HttpClientStreamTest, HandleMayOutliveTheClient) {
  ScriptedServer server(dispatcher_->base());
  ConnectorPtr connector = make();
  Events ev;
  HttpStreamPtr s;
  {
    HttpClient client(*dispatcher_, *connector, conf::ProxyConfig{});
    s = client.stream(get(server, "/x"), record(ev));
  }
  s.reset();
  runFor(milliseconds(20));
  EXPECT_FALSE(ev.done.has_value());
}

}  // namespace
}  // namespace gw::proxy
