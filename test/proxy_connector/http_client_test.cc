#include "proxy_connector/http_client.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "test/proxy_connector/connector_test_util.h"

namespace gw::proxy {
namespace {

// evhttp backend answering "<METHOD> <URI> <body>"; "/close" answers with
// Connection: close, "/big" with a 100 KiB body.
class FakeHttpServer {
 public:
  explicit FakeHttpServer(event_base* base) : http_(evhttp_new(base)) {
    evhttp_bound_socket* s = evhttp_bind_socket_with_handle(http_, "127.0.0.1", 0);
    sockaddr_in sin{};
    socklen_t len = sizeof(sin);
    getsockname(evhttp_bound_socket_get_fd(s), reinterpret_cast<sockaddr*>(&sin), &len);
    port_ = ntohs(sin.sin_port);
    evhttp_set_gencb(http_, &FakeHttpServer::handle, this);
  }
  ~FakeHttpServer() { evhttp_free(http_); }
  uint16_t port() const { return port_; }
  int requests = 0;
  std::string last_host;

 private:
  static void handle(evhttp_request* req, void* arg) {
    auto* self = static_cast<FakeHttpServer*>(arg);
    ++self->requests;
    const char* host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
    self->last_host = host ? host : "";
    const std::string uri = evhttp_request_get_uri(req);
    evbuffer* in = evhttp_request_get_input_buffer(req);
    std::string body(evbuffer_get_length(in), '\0');
    evbuffer_remove(in, body.data(), body.size());
    const char* method = evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" : "GET";
    evbuffer* out = evbuffer_new();
    if (uri == "/big") {
      const std::string big(100 * 1024, 'b');
      evbuffer_add(out, big.data(), big.size());
    } else {
      evbuffer_add_printf(out, "%s %s %s", method, uri.c_str(), body.c_str());
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "X-Fake", "yes");
    if (uri == "/close")
      evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
    evhttp_send_reply(req, uri == "/missing" ? 404 : 200, "OK", out);
    evbuffer_free(out);
  }
  evhttp* http_;
  uint16_t port_ = 0;
};

class HttpClientTest : public ConnectorTest {
 protected:
  absl::StatusOr<HttpResponse> run(HttpClient& client, HttpRequest req) {
    std::optional<absl::StatusOr<HttpResponse>> got;
    client.request(std::move(req), [&](absl::StatusOr<HttpResponse> r) { got = std::move(r); });
    EXPECT_FALSE(got.has_value()) << "callback ran inline";
    runUntil([&] { return got.has_value(); });
    if (!got) return absl::UnknownError("no callback");
    return *std::move(got);
  }
  HttpRequest get(const std::string& url) {
    HttpRequest r;
    r.url = url;
    return r;
  }
};

TEST_F(HttpClientTest, DirectGetAndPostWithPooling) {
  FakeHttpServer server(dispatcher_->base());
  ConnectorPtr connector = make();
  HttpClient client(*dispatcher_, *connector, conf::ProxyConfig{});
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  absl::StatusOr<HttpResponse> r = run(client, get(base + "/a?x=1"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GET /a?x=1 ");
  EXPECT_EQ(r->header("x-fake"), "yes");
  EXPECT_EQ(server.last_host, "127.0.0.1:" + std::to_string(server.port()));

  HttpRequest post = get(base + "/p");
  post.method = "POST";
  post.body = "token=abc";
  r = run(client, post);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "POST /p token=abc");
  EXPECT_EQ(
      counter("microgw_upstream_connections_total", {{"path", "direct"}, {"result", "reused"}}),
      1u);

  r = run(client, get(base + "/missing"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  r = run(client, get(base + "/big"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body.size(), 100u * 1024);
}

TEST_F(HttpClientTest, ThroughProxyWhenInternalServicesEnabled) {
  FakeHttpServer server(dispatcher_->base());
  FakeProxy proxy(dispatcher_->base());
  proxy.upstream_port = server.port();
  proxy.required_auth = basicAuth();
  ConnectorPtr connector = make();
  conf::ProxyConfig pc;
  pc.enable_internal_services = true;
  pc.host = "127.0.0.1";
  pc.port = proxy.port();
  pc.username = kUser;
  pc.password = kPassword;
  HttpClient client(*dispatcher_, *connector, pc);
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<HttpResponse> r = run(client, get("http://km.test:9443/introspect"));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->body, "GET /introspect ");
  }
  EXPECT_EQ(server.last_host, "km.test:9443");
  ASSERT_EQ(proxy.heads.size(), 1u);  // the second request reused the tunnel
  EXPECT_EQ(proxy.heads[0].rfind("CONNECT km.test:9443 HTTP/1.1\r\n", 0), 0u);
}

// Environment proxies per scheme: an https-only proxy leaves http targets direct.
TEST_F(HttpClientTest, PlainHttpProxyOverridesPerScheme) {
  FakeHttpServer server(dispatcher_->base());
  FakeProxy proxy(dispatcher_->base());
  proxy.upstream_port = server.port();
  ConnectorPtr connector = make();
  conf::HttpClientsConfig clients;
  clients.proxy.enabled = clients.proxy.enable_internal_services = true;
  clients.proxy.host = "127.0.0.1";
  clients.proxy.port = proxy.port();
  clients.plain_http_proxy = conf::ProxyConfig();  // HTTP_PROXY unset: direct
  HttpClient client(*dispatcher_, *connector, clients);
  absl::StatusOr<HttpResponse> r =
      run(client, get("http://127.0.0.1:" + std::to_string(server.port()) + "/direct"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(proxy.heads.empty());
  // The same client with the http proxy set goes through it.
  clients.plain_http_proxy = clients.proxy;
  HttpClient proxied(*dispatcher_, *connector, clients);
  r = run(proxied, get("http://km.test:9443/via"));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(proxy.heads.size(), 1u);
  EXPECT_EQ(proxy.heads[0].rfind("CONNECT km.test:9443 HTTP/1.1\r\n", 0), 0u);
}

TEST_F(HttpClientTest, AbsoluteFormThroughForwardProxy) {
  FakeProxy proxy(dispatcher_->base());
  proxy.mode = FakeProxy::Mode::Forward;
  ConnectorPtr connector = make();
  conf::ProxyConfig pc;
  pc.enable_internal_services = true;
  pc.host = "127.0.0.1";
  pc.port = proxy.port();
  pc.username = kUser;
  pc.password = kPassword;
  pc.http_mode = conf::HttpProxyMode::Forward;
  HttpClient client(*dispatcher_, *connector, pc);
  absl::StatusOr<HttpResponse> r = run(client, get("http://etcd.test:2379/v3/kv/range"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "fwd");
  ASSERT_EQ(proxy.heads.size(), 1u);
  EXPECT_EQ(proxy.heads[0],
            "GET http://etcd.test:2379/v3/kv/range HTTP/1.1\r\nHost: etcd.test:2379\r\n"
            "Proxy-Authorization: " +
                basicAuth() + "\r\n\r\n");
}

// Issue 6: in forward mode the proxy's own 407 page is an error, not a response.
TEST_F(HttpClientTest, ForwardProxyOwnAnswerIsAnError) {
  FakeProxy proxy(dispatcher_->base());
  proxy.mode = FakeProxy::Mode::Forward;
  proxy.forward_response =
      "HTTP/1.1 407 Proxy Authentication Required\r\nServer: squid/5.7\r\n"
      "X-Squid-Error: ERR_CACHE_ACCESS_DENIED 0\r\nProxy-Authenticate: Basic realm=\"x\"\r\n"
      "Content-Length: 13\r\n\r\n<html></html>";
  ConnectorPtr connector = make();
  conf::ProxyConfig pc;
  pc.enable_internal_services = true;
  pc.host = "127.0.0.1";
  pc.port = proxy.port();
  pc.username = kUser;
  pc.password = kPassword;
  pc.http_mode = conf::HttpProxyMode::Forward;
  HttpClient client(*dispatcher_, *connector, pc);
  absl::StatusOr<HttpResponse> r = run(client, get("http://etcd.test:2379/v3/kv/range"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  const std::string text(r.status().message());
  EXPECT_NE(text.find("proxy authentication failed"), std::string::npos) << text;
  EXPECT_EQ(text.find("<html>"), std::string::npos);
  EXPECT_EQ(text.find(kPassword), std::string::npos);
}

TEST_F(HttpClientTest, Errors) {
  FakeProxy proxy(dispatcher_->base());
  proxy.mode = FakeProxy::Mode::Stall;
  ConnectorPtr connector = make();
  conf::ProxyConfig pc;
  pc.enable_internal_services = true;
  pc.host = "127.0.0.1";
  pc.port = proxy.port();
  HttpClient client(*dispatcher_, *connector, pc);
  HttpRequest slow = get("http://km.test/x");
  slow.timeout = milliseconds(100);
  EXPECT_EQ(run(client, slow).status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(run(client, get("ftp://x/")).status().code(), absl::StatusCode::kInvalidArgument);

  conf::ProxyConfig refused = pc;
  refused.port = testing::closedPort();
  HttpClient client2(*dispatcher_, *connector, refused);
  absl::StatusOr<HttpResponse> r = run(client2, get("https://km.test/x"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(r.status().message()).find("proxy unreachable"), std::string::npos);
}

TEST_F(HttpClientTest, ConnectionCloseIsNotPooledAndDestroyCancels) {
  FakeHttpServer server(dispatcher_->base());
  ConnectorPtr connector = make();
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  {
    HttpClient client(*dispatcher_, *connector, conf::ProxyConfig{});
    ASSERT_TRUE(run(client, get(base + "/close")).ok());
    ASSERT_TRUE(run(client, get(base + "/after")).ok());
    EXPECT_EQ(
        counter("microgw_upstream_connections_total", {{"path", "direct"}, {"result", "reused"}}),
        0u);
  }
  bool called = false;
  {
    HttpClient client(*dispatcher_, *connector, conf::ProxyConfig{});
    client.request(get(base + "/x"), [&](absl::StatusOr<HttpResponse>) { called = true; });
    client.request(get("bad"), [&](absl::StatusOr<HttpResponse>) { called = true; });
  }
  runFor(milliseconds(50));
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace gw::proxy
