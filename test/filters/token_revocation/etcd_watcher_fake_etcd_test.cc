// EtcdWatcher against a scripted in-process etcd v2/v3 (evhttp): the protocol
// steps real etcd rarely shows on demand (a cleared index, a compaction, an
// error answer) and the back-off after failures.

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "filters/token_revocation/etcd_watcher.h"
#include "gateway/stats/stats.h"
#include "proxy_connector/connector_impl.h"
#include "test/mocks/fake_etcd.h"
#include "test/mocks/run_until.h"

namespace gw::filters::token_revocation {
namespace {

using std::chrono::milliseconds;

// v2 and v3 requests are scripted by kind: a listing or a watch.
std::string listOrWatch(const std::string& uri) {
  return uri.find("wait=true") != std::string::npos || uri == "/v3/watch" ? "watch" : "list";
}

std::string b64(const std::string& s) { return absl::Base64Escape(s); }

class EtcdWatcherFakeTest : public ::testing::Test {
 protected:
  EtcdWatcherFakeTest()
      : dispatcher_(event::createDispatcher("test")),
        etcd_(dispatcher_->base(), listOrWatch),
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
    return testing::runUntil(*dispatcher_, done, limit);
  }

  event::DispatcherPtr dispatcher_;
  stats::Store stats_;
  testing::FakeEtcd etcd_;
  proxy::ConnectorPtr connector_;
  proxy::HttpClient client_;
  RevocationStore store_;
};

TEST_F(EtcdWatcherFakeTest, V2WatchFollowsIndexAndRelistsWhenTheIndexIsCleared) {
  etcd_.replies["list"] = {
      {200, R"({"action":"get","node":{"dir":true,"nodes":[{"key":"/r/a","value":"true"}]}})",
       "10"},
      {200,
       R"({"action":"get","node":{"dir":true,"nodes":[{"key":"/r/b","value":"true"},)"
       R"({"key":"/r/c","value":"true"}]}})",
       "20"},
  };
  etcd_.replies["watch"] = {
      {200, R"({"action":"set","node":{"key":"/r/b","value":"true","modifiedIndex":11}})"},
      {400, R"({"errorCode":401,"message":"The event in requested index is outdated"})"},
  };
  EtcdWatcher watcher(*dispatcher_, client_, config("/v2/keys/r/"), store_, fast());
  watcher.start();
  ASSERT_TRUE(runUntil([&] { return etcd_.count("watch") == 3; }));
  EXPECT_EQ(etcd_.seen[0].uri, "/v2/keys/r/?recursive=true");
  EXPECT_EQ(etcd_.seen[1].uri, "/v2/keys/r/?wait=true&recursive=true&waitIndex=11");
  EXPECT_EQ(etcd_.seen[2].uri, "/v2/keys/r/?wait=true&recursive=true&waitIndex=12");
  EXPECT_EQ(etcd_.seen[3].uri, "/v2/keys/r/?recursive=true");  // listed again
  EXPECT_EQ(etcd_.seen[4].uri, "/v2/keys/r/?wait=true&recursive=true&waitIndex=21");
  EXPECT_EQ(watcher.listings(), 2u);
  EXPECT_FALSE(store_.isRevoked("a", ""));  // gone from the second listing
  EXPECT_TRUE(store_.isRevoked("b", ""));
  EXPECT_TRUE(store_.isRevoked("", "c"));
}

TEST_F(EtcdWatcherFakeTest, FailuresBackOffAndKeepWhatIsKnown) {
  etcd_.replies["list"] = {
      {200, R"({"action":"get","node":{"dir":true,"nodes":[{"key":"/r/a","value":"true"}]}})", "3"},
      {500, R"({"errorCode":300,"message":"Raft Internal Error"})"},
      {200, "not json"},
      {200, R"({"action":"get","node":{"dir":true,"nodes":[{"key":"/r/a","value":"true"}]}})", "9"},
  };
  etcd_.replies["watch"] = {{500, R"({"errorCode":300,"message":"Raft Internal Error"})"}};
  EtcdWatcher watcher(*dispatcher_, client_, config("/v2/keys/r/"), store_, fast());
  watcher.start();
  ASSERT_TRUE(runUntil([&] { return watcher.listings() == 2u; }));
  EXPECT_EQ(etcd_.count("list"), 4);
  EXPECT_TRUE(store_.isRevoked("a", ""));
  EXPECT_TRUE(runUntil([&] { return watcher.watching(); }));
}

TEST_F(EtcdWatcherFakeTest, V3RangeThenWatchStream) {
  const std::string put_b = R"({"result":{"header":{"revision":"8"},"events":[{"kv":{"key":")" +
                            b64("/p/b") + R"(","value":")" + b64("true") +
                            R"("}},{"type":"DELETE","kv":{"key":")" + b64("/p/a") + R"("}}]}})";
  etcd_.replies["list"] = {
      {200, R"({"header":{"revision":"7"},"kvs":[{"key":")" + b64("/p/a") + R"("}]})"},
      {200, R"({"header":{"revision":"9"},"kvs":[{"key":")" + b64("/p/z") + R"("}]})"},
  };
  // One body: created, an event batch, then a compaction (relist).
  etcd_.replies["watch"] = {{200, R"({"result":{"header":{"revision":"7"},"created":true}})"
                                  "\n" +
                                      put_b + "\n" +
                                      R"({"result":{"compact_revision":"8","canceled":true}})"
                                      "\n"}};
  EtcdWatcher watcher(*dispatcher_, client_, config("/v3/p/"), store_, fast());
  watcher.start();
  ASSERT_TRUE(runUntil([&] { return watcher.listings() == 2u && etcd_.count("watch") == 2; }));
  EXPECT_EQ(etcd_.seen[0].uri, "/v3/kv/range");
  EXPECT_EQ(etcd_.seen[1].uri, "/v3/watch");
  EXPECT_NE(etcd_.seen[1].body.find(R"("start_revision":"8")"), std::string::npos)
      << etcd_.seen[1].body;
  EXPECT_NE(etcd_.seen[3].body.find(R"("start_revision":"10")"), std::string::npos)
      << etcd_.seen[3].body;
  EXPECT_TRUE(store_.isRevoked("z", ""));
  EXPECT_FALSE(store_.isRevoked("a", ""));
  EXPECT_FALSE(store_.isRevoked("b", ""));  // the relist replaced everything
}

}  // namespace
}  // namespace gw::filters::token_revocation
