// EtcdUrlWatcher against a scripted in-process etcd v3 JSON gateway (evhttp):
// the steps real etcd rarely shows on demand (a compaction, an expired token,
// a 500, a value that is no URL) and the order of the requests.

#include "gateway/discovery/etcd_url_watcher.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gateway/stats/stats.h"
#include "proxy_connector/connector_impl.h"
#include "test/mocks/fake_etcd.h"
#include "test/mocks/run_until.h"

namespace gw::discovery {
namespace {

using std::chrono::milliseconds;

std::string b64(const std::string& s) { return absl::Base64Escape(s); }

using FakeEtcd = testing::FakeEtcd;

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
    return testing::runUntil(*dispatcher_, done, limit);
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
