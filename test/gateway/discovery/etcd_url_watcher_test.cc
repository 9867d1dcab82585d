// EtcdUrlWatcher against a scripted in-process etcd v3 JSON gateway (evhttp):
// the steps real etcd rarely shows on demand (a compaction, an expired token,
// a 500, a value that is no URL) and the order of the requests.

#include "gateway/discovery/etcd_url_watcher.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gateway/stats/stats.h"
#include "proxy_connector/connector_impl.h"

namespace gw::discovery {
namespace {

using std::chrono::milliseconds;

std::string b64(const std::string& s) { return absl::Base64Escape(s); }

// Answers each request with the next scripted reply for its kind (auth,
// range, watch); with none left, the request is held open.
class FakeEtcd {
 public:
  struct Reply {
    int status = 200;
    std::string body;
  };
  struct Seen {
    std::string uri, body, authorization;
  };
  explicit FakeEtcd(event_base* base) : http_(evhttp_new(base)) {
    evhttp_bound_socket* s = evhttp_bind_socket_with_handle(http_, "127.0.0.1", 0);
    sockaddr_in sin{};
    socklen_t len = sizeof(sin);
    getsockname(evhttp_bound_socket_get_fd(s), reinterpret_cast<sockaddr*>(&sin), &len);
    port_ = ntohs(sin.sin_port);
    evhttp_set_allowed_methods(http_, EVHTTP_REQ_POST);
    evhttp_set_gencb(http_, &FakeEtcd::handle, this);
  }
  ~FakeEtcd() { evhttp_free(http_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::map<std::string, std::vector<Reply>> replies;  // by URI
  std::vector<Seen> seen;
  int count(const std::string& uri) const {
    int n = 0;
    for (const Seen& s : seen) n += s.uri == uri;
    return n;
  }
  std::vector<Seen> of(const std::string& uri) const {
    std::vector<Seen> out;
    for (const Seen& s : seen) {
      if (s.uri == uri) out.push_back(s);
    }
    return out;
  }

 private:
  static void handle(evhttp_request* req, void* arg) {
    auto* self = static_cast<FakeEtcd*>(arg);
    evbuffer* in = evhttp_request_get_input_buffer(req);
    Seen s;
    s.uri = evhttp_request_get_uri(req);
    s.body.resize(evbuffer_get_length(in));
    evbuffer_remove(in, s.body.data(), s.body.size());
    const char* auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    s.authorization = auth != nullptr ? auth : "";
    self->seen.push_back(s);
    std::vector<Reply>& queue = self->replies[s.uri];
    if (queue.empty()) return;  // held open until the test ends
    Reply r = queue.front();
    queue.erase(queue.begin());
    evbuffer* out = evbuffer_new();
    evbuffer_add(out, r.body.data(), r.body.size());
    evhttp_send_reply(req, r.status, "x", out);
    evbuffer_free(out);
  }
  evhttp* http_;
  uint16_t port_ = 0;
};

std::string range(int64_t revision, const std::string& key = "", const std::string& value = "") {
  std::string kvs;
  if (!key.empty()) {
    kvs = R"(,"kvs":[{"key":")" + b64(key) + R"(","value":")" + b64(value) +
          R"(","mod_revision":")" + std::to_string(revision) + R"("}])";
  }
  return R"({"header":{"revision":")" + std::to_string(revision) + "\"}" + kvs + "}";
}

std::string created() { return R"({"result":{"header":{"revision":"1"},"created":true}})"; }

std::string put(const std::string& key, const std::string& value, int64_t revision) {
  return R"({"result":{"header":{"revision":")" + std::to_string(revision) +
         R"("},"events":[{"kv":{"key":")" + b64(key) + R"(","value":")" + b64(value) +
         R"(","mod_revision":")" + std::to_string(revision) + R"("}}]}})";
}

std::string del(const std::string& key, int64_t revision) {
  return R"({"result":{"events":[{"type":"DELETE","kv":{"key":")" + b64(key) +
         R"(","mod_revision":")" + std::to_string(revision) + R"("}}]}})";
}

std::string lines(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += p + "\n";
  return out;
}

class EtcdUrlWatcherTest : public ::testing::Test {
 protected:
  EtcdUrlWatcherTest()
      : dispatcher_(event::createDispatcher("test")),
        etcd_(dispatcher_->base()),
        connector_(proxy::createConnector(*dispatcher_, {}, stats_)),
        client_(*dispatcher_, *connector_, conf::ProxyConfig{}) {}

  conf::EtcdConfig config(const std::string& user = "", const std::string& password = "") {
    conf::EtcdConfig c;
    c.url = etcd_.url();
    c.username = user;
    c.password = password;
    return c;
  }
  EtcdUrlWatcher::Options fast() {
    EtcdUrlWatcher::Options o;
    o.backoff_initial = milliseconds(5);
    o.backoff_max = milliseconds(20);
    o.request_timeout = milliseconds(2000);
    return o;
  }
  bool runUntil(const std::function<bool()>& done, milliseconds limit = milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    event::TimerPtr poll;
    poll = dispatcher_->createTimer([&] {
      if (done() || std::chrono::steady_clock::now() > deadline) {
        dispatcher_->exit();
      } else {
        poll->enable(milliseconds(2));
      }
    });
    poll->enable(milliseconds(0));
    dispatcher_->run();
    return done();
  }
  std::string host(const std::string& key) {
    EndpointUrlConstPtr u = store_.lookup(key);
    return u ? u->host : "<default>";
  }

  event::DispatcherPtr dispatcher_;
  stats::Store stats_;
  FakeEtcd etcd_;
  proxy::ConnectorPtr connector_;
  proxy::HttpClient client_;
  EndpointStore store_;
};

TEST_F(EtcdUrlWatcherTest, ReadsEveryKeyThenWatchesThemAllFromTheLowestRevision) {
  etcd_.replies["/v3/kv/range"] = {{200, range(9, "a", "http://a.internal:81/x")}, {200, range(7)}};
  EtcdUrlWatcher watcher(*dispatcher_, client_, config(), {"a", "b"}, store_, fast());
  watcher.start();
  ASSERT_TRUE(runUntil([&] { return etcd_.count("/v3/watch") == 1; }));
  std::vector<FakeEtcd::Seen> ranges = etcd_.of("/v3/kv/range");
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].body, R"({"key":")" + b64("a") + R"("})");
  EXPECT_EQ(ranges[1].body, R"({"key":")" + b64("b") + R"("})");
  EXPECT_EQ(etcd_.of("/v3/watch")[0].body, R"({"create_request":{"key":")" + b64("a") +
                                               R"(","start_revision":"8"}})"
                                               "\n"
                                               R"({"create_request":{"key":")" +
                                               b64("b") + R"(","start_revision":"8"}})");
  EXPECT_EQ(host("a"), "a.internal");
  EXPECT_EQ(store_.lookup("a")->base_path, "/x");
  EXPECT_EQ(host("b"), "<default>");  // absent in etcd
  EXPECT_EQ(watcher.listings(), 1u);
  EXPECT_EQ(etcd_.count("/v3/auth/authenticate"), 0);
}

TEST_F(EtcdUrlWatcherTest, ABadValueIsIgnoredAndAFailureKeepsTheLastUrl) {
  etcd_.replies["/v3/kv/range"] = {{200, range(3, "a", "http://a.internal/")},
                                   {500, R"({"error":"etcdserver: request timed out","code":14})"}};
  etcd_.replies["/v3/watch"] = {
      {200, lines({created(), put("a", "http://b.internal:82/", 4), put("a", "not a url", 5)})}};
  EtcdUrlWatcher watcher(*dispatcher_, client_, config(), {"a"}, store_, fast());
  watcher.start();
  // The watch ends (etcd went away), the next read fails: the last good URL stays.
  ASSERT_TRUE(runUntil([&] { return etcd_.count("/v3/kv/range") >= 3; }));
  EXPECT_EQ(host("a"), "b.internal");
  EXPECT_EQ(store_.lookup("a")->port, 82);
  EXPECT_FALSE(watcher.watching());
}

TEST_F(EtcdUrlWatcherTest, ADeletedKeyFallsBackToTheDefault) {
  etcd_.replies["/v3/kv/range"] = {{200, range(3, "a", "http://a.internal/")}};
  etcd_.replies["/v3/watch"] = {{200, lines({created(), del("a", 4)})}};
  EtcdUrlWatcher watcher(*dispatcher_, client_, config(), {"a"}, store_, fast());
  watcher.start();
  ASSERT_TRUE(runUntil([&] { return etcd_.count("/v3/kv/range") == 2; }));
  EXPECT_EQ(host("a"), "<default>");
}

TEST_F(EtcdUrlWatcherTest, ACompactionReadsAgainAndWatchesFromTheNewRevision) {
  etcd_.replies["/v3/kv/range"] = {{200, range(3, "a", "http://a.internal/")},
                                   {200, range(20, "a", "http://c.internal/")}};
  etcd_.replies["/v3/watch"] = {
      {200, lines({created(), R"({"result":{"compact_revision":"10","canceled":true}})"})}};
  EtcdUrlWatcher watcher(*dispatcher_, client_, config(), {"a"}, store_, fast());
  watcher.start();
  ASSERT_TRUE(runUntil([&] { return etcd_.count("/v3/watch") == 2; }));
  EXPECT_EQ(watcher.listings(), 2u);
  EXPECT_EQ(host("a"), "c.internal");
  EXPECT_NE(etcd_.of("/v3/watch")[1].body.find(R"("start_revision":"21")"), std::string::npos);
}

TEST_F(EtcdUrlWatcherTest, CredentialsGiveATokenAndAnExpiredTokenAuthenticatesAgain) {
  etcd_.replies["/v3/auth/authenticate"] = {{200, R"({"header":{},"token":"tok.1"})"},
                                            {200, R"({"header":{},"token":"tok.2"})"}};
  etcd_.replies["/v3/kv/range"] = {{200, range(3, "a", "http://a.internal/")},
                                   {200, range(4, "a", "http://b.internal/")}};
  etcd_.replies["/v3/watch"] = {
      {200, lines({R"({"error":{"grpc_code":16,"message":"invalid auth token"}})"})}};
  EtcdUrlWatcher watcher(*dispatcher_, client_, config("root", "pw-1"), {"a"}, store_, fast());
  watcher.start();
  ASSERT_TRUE(runUntil([&] { return etcd_.count("/v3/watch") == 2; }));
  std::vector<FakeEtcd::Seen> auths = etcd_.of("/v3/auth/authenticate");
  ASSERT_EQ(auths.size(), 2u);
  EXPECT_EQ(auths[0].body, R"({"name":"root","password":"pw-1"})");
  EXPECT_EQ(etcd_.of("/v3/kv/range")[0].authorization, "tok.1");
  EXPECT_EQ(etcd_.of("/v3/kv/range")[1].authorization, "tok.2");
  EXPECT_EQ(etcd_.of("/v3/watch")[1].authorization, "tok.2");
  EXPECT_EQ(host("a"), "b.internal");
}

TEST_F(EtcdUrlWatcherTest, RefusedCredentialsLeaveTheDefaults) {
  etcd_.replies["/v3/auth/authenticate"] = {
      {400, R"({"error":"etcdserver: authentication failed, invalid user ID or password"})"},
      {400, R"({"error":"etcdserver: authentication failed, invalid user ID or password"})"}};
  EtcdUrlWatcher watcher(*dispatcher_, client_, config("root", "wrong"), {"a"}, store_, fast());
  watcher.start();
  ASSERT_TRUE(runUntil([&] { return etcd_.count("/v3/auth/authenticate") == 3; }));
  EXPECT_EQ(etcd_.count("/v3/kv/range"), 0);
  EXPECT_EQ(store_.version(), 0u);
  EXPECT_EQ(host("a"), "<default>");
}

}  // namespace
}  // namespace gw::discovery
