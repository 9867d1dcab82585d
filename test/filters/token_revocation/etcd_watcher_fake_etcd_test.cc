// EtcdWatcher against a scripted in-process etcd v2/v3 (evhttp): the protocol
// steps real etcd rarely shows on demand (a cleared index, a compaction, an
// error answer) and the back-off after failures.

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "filters/token_revocation/etcd_watcher.h"
#include "gateway/stats/stats.h"
#include "proxy_connector/connector_impl.h"

namespace gw::filters::token_revocation {
namespace {

using std::chrono::milliseconds;

// Answers each request with the next scripted reply for its path kind; a
// reply with status 0 is held open (a watch with nothing to report).
class FakeEtcd {
 public:
  struct Reply {
    int status = 200;
    std::string body;
    std::string etcd_index;  // X-Etcd-Index, v2
  };
  explicit FakeEtcd(event_base* base) : http_(evhttp_new(base)) {
    evhttp_bound_socket* s = evhttp_bind_socket_with_handle(http_, "127.0.0.1", 0);
    sockaddr_in sin{};
    socklen_t len = sizeof(sin);
    getsockname(evhttp_bound_socket_get_fd(s), reinterpret_cast<sockaddr*>(&sin), &len);
    port_ = ntohs(sin.sin_port);
    evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_gencb(http_, &FakeEtcd::handle, this);
  }
  ~FakeEtcd() { evhttp_free(http_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<Reply> lists, watches;  // consumed in order; empty: hold open
  std::vector<std::string> uris;      // every request's URI
  std::vector<std::string> bodies;    // every request's body
  int list_count = 0, watch_count = 0;

 private:
  static void handle(evhttp_request* req, void* arg) {
    auto* self = static_cast<FakeEtcd*>(arg);
    const std::string uri = evhttp_request_get_uri(req);
    evbuffer* in = evhttp_request_get_input_buffer(req);
    std::string body(evbuffer_get_length(in), '\0');
    evbuffer_remove(in, body.data(), body.size());
    self->uris.push_back(uri);
    self->bodies.push_back(body);
    const bool watch = uri.find("wait=true") != std::string::npos || uri == "/v3/watch";
    std::vector<Reply>& queue = watch ? self->watches : self->lists;
    (watch ? self->watch_count : self->list_count)++;
    if (queue.empty()) return;  // held open until the test ends
    Reply r = queue.front();
    queue.erase(queue.begin());
    if (r.status == 0) return;
    evbuffer* out = evbuffer_new();
    evbuffer_add(out, r.body.data(), r.body.size());
    if (!r.etcd_index.empty()) {
      evhttp_add_header(evhttp_request_get_output_headers(req), "X-Etcd-Index",
                        r.etcd_index.c_str());
    }
    evhttp_send_reply(req, r.status, "x", out);
    evbuffer_free(out);
  }
  evhttp* http_;
  uint16_t port_ = 0;
};

std::string b64(const std::string& s) { return absl::Base64Escape(s); }

class EtcdWatcherFakeTest : public ::testing::Test {
 protected:
  EtcdWatcherFakeTest()
      : dispatcher_(event::createDispatcher("test")),
        etcd_(dispatcher_->base()),
        connector_(proxy::createConnector(*dispatcher_, {}, stats_)),
        client_(*dispatcher_, *connector_, conf::ProxyConfig{}) {}

  RevocationConfig config(const std::string& path) {
    RevocationConfig c;
    c.enabled = true;
    c.type = "etcd";
    c.endpoint_url = etcd_.url() + path;
    EXPECT_TRUE(
        validateRevocationConfig(c, [](std::string_view k) { return std::string(k); }).ok());
    return c;
  }
  EtcdWatcher::Options fast() {
    EtcdWatcher::Options o;
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

  event::DispatcherPtr dispatcher_;
  stats::Store stats_;
  FakeEtcd etcd_;
  proxy::ConnectorPtr connector_;
  proxy::HttpClient client_;
  RevocationStore store_;
};

TEST_F(EtcdWatcherFakeTest, V2WatchFollowsIndexAndRelistsWhenTheIndexIsCleared) {
  etcd_.lists = {
      {200, R"({"action":"get","node":{"dir":true,"nodes":[{"key":"/r/a","value":"true"}]}})",
       "10"},
      {200,
       R"({"action":"get","node":{"dir":true,"nodes":[{"key":"/r/b","value":"true"},)"
       R"({"key":"/r/c","value":"true"}]}})",
       "20"},
  };
  etcd_.watches = {
      {200, R"({"action":"set","node":{"key":"/r/b","value":"true","modifiedIndex":11}})"},
      {400, R"({"errorCode":401,"message":"The event in requested index is outdated"})"},
  };
  EtcdWatcher watcher(*dispatcher_, client_, config("/v2/keys/r/"), store_, fast());
  watcher.start();
  ASSERT_TRUE(runUntil([&] { return etcd_.watch_count == 3; }));
  EXPECT_EQ(etcd_.uris[0], "/v2/keys/r/?recursive=true");
  EXPECT_EQ(etcd_.uris[1], "/v2/keys/r/?wait=true&recursive=true&waitIndex=11");
  EXPECT_EQ(etcd_.uris[2], "/v2/keys/r/?wait=true&recursive=true&waitIndex=12");
  EXPECT_EQ(etcd_.uris[3], "/v2/keys/r/?recursive=true");  // listed again
  EXPECT_EQ(etcd_.uris[4], "/v2/keys/r/?wait=true&recursive=true&waitIndex=21");
  EXPECT_EQ(watcher.listings(), 2u);
  EXPECT_FALSE(store_.isRevoked("a", ""));  // gone from the second listing
  EXPECT_TRUE(store_.isRevoked("b", ""));
  EXPECT_TRUE(store_.isRevoked("", "c"));
}

TEST_F(EtcdWatcherFakeTest, FailuresBackOffAndKeepWhatIsKnown) {
  etcd_.lists = {
      {200, R"({"action":"get","node":{"dir":true,"nodes":[{"key":"/r/a","value":"true"}]}})", "3"},
      {500, R"({"errorCode":300,"message":"Raft Internal Error"})"},
      {200, "not json"},
      {200, R"({"action":"get","node":{"dir":true,"nodes":[{"key":"/r/a","value":"true"}]}})", "9"},
  };
  etcd_.watches = {{500, R"({"errorCode":300,"message":"Raft Internal Error"})"}};
  EtcdWatcher watcher(*dispatcher_, client_, config("/v2/keys/r/"), store_, fast());
  watcher.start();
  ASSERT_TRUE(runUntil([&] { return watcher.listings() == 2u; }));
  EXPECT_EQ(etcd_.list_count, 4);
  EXPECT_TRUE(store_.isRevoked("a", ""));
  EXPECT_TRUE(runUntil([&] { return watcher.watching(); }));
}

TEST_F(EtcdWatcherFakeTest, V3RangeThenWatchStream) {
  const std::string put_b = R"({"result":{"header":{"revision":"8"},"events":[{"kv":{"key":")" +
                            b64("/p/b") + R"(","value":")" + b64("true") +
                            R"("}},{"type":"DELETE","kv":{"key":")" + b64("/p/a") + R"("}}]}})";
  etcd_.lists = {
      {200, R"({"header":{"revision":"7"},"kvs":[{"key":")" + b64("/p/a") + R"("}]})"},
      {200, R"({"header":{"revision":"9"},"kvs":[{"key":")" + b64("/p/z") + R"("}]})"},
  };
  // One body: created, an event batch, then a compaction (relist).
  etcd_.watches = {{200, R"({"result":{"header":{"revision":"7"},"created":true}})"
                         "\n" +
                             put_b + "\n" +
                             R"({"result":{"compact_revision":"8","canceled":true}})"
                             "\n"}};
  EtcdWatcher watcher(*dispatcher_, client_, config("/v3/p/"), store_, fast());
  watcher.start();
  ASSERT_TRUE(runUntil([&] { return watcher.listings() == 2u && etcd_.watch_count == 2; }));
  EXPECT_EQ(etcd_.uris[0], "/v3/kv/range");
  EXPECT_EQ(etcd_.uris[1], "/v3/watch");
  EXPECT_NE(etcd_.bodies[1].find(R"("start_revision":"8")"), std::string::npos) << etcd_.bodies[1];
  EXPECT_NE(etcd_.bodies[3].find(R"("start_revision":"10")"), std::string::npos) << etcd_.bodies[3];
  EXPECT_TRUE(store_.isRevoked("z", ""));
  EXPECT_FALSE(store_.isRevoked("a", ""));
  EXPECT_FALSE(store_.isRevoked("b", ""));  // the relist replaced everything
}

}  // namespace
}  // namespace gw::filters::token_revocation
