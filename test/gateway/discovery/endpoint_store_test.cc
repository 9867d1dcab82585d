// The snapshots of discovered URLs the router reads per request.

#include "gateway/discovery/endpoint_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace gw::discovery {
namespace {

EndpointUrlConstPtr url(const std::string& host, uint16_t port) {
  auto u = std::make_shared<conf::EndpointUrl>();
  u->scheme = "http";
  u->host = host;
  u->port = port;
  u->url = "http://" + host + ":" + std::to_string(port) + "/";
  return u;
}

TEST(EndpointStoreTest, EmptyMeansTheDefault) {
  EndpointStore store;
  EXPECT_EQ(store.lookup("petstore"), nullptr);
  EXPECT_EQ(store.version(), 0u);
}

TEST(EndpointStoreTest, PublishedSnapshotsReplaceTheWholeMap) {
  EndpointStore store;
  store.publish(std::make_shared<const DiscoveredUrls>(
      DiscoveredUrls{{"petstore", url("a", 1)}, {"orders", url("b", 2)}}));
  ASSERT_NE(store.lookup("petstore"), nullptr);
  EXPECT_EQ(store.lookup("petstore")->host, "a");
  EXPECT_EQ(store.lookup("orders")->port, 2);
  EndpointUrlConstPtr held = store.lookup("petstore");

  store.publish(std::make_shared<const DiscoveredUrls>(DiscoveredUrls{{"petstore", url("c", 3)}}));
  EXPECT_EQ(store.lookup("petstore")->host, "c");
  EXPECT_EQ(store.lookup("orders"), nullptr);  // deleted in etcd: the default again
  EXPECT_EQ(held->host, "a");                  // a request in flight keeps its URL
  EXPECT_EQ(store.version(), 2u);
  store.publish(nullptr);
  EXPECT_EQ(store.lookup("petstore"), nullptr);
}

TEST(EndpointStoreTest, TwoStoresOnOneThreadDoNotShareTheCache) {
  EndpointStore one, two;
  one.publish(std::make_shared<const DiscoveredUrls>(DiscoveredUrls{{"k", url("one", 1)}}));
  two.publish(std::make_shared<const DiscoveredUrls>(DiscoveredUrls{{"k", url("two", 2)}}));
  EXPECT_EQ(one.lookup("k")->host, "one");
  EXPECT_EQ(two.lookup("k")->host, "two");
  EXPECT_EQ(one.lookup("k")->host, "one");
}

// Readers on other threads see each publication and never a torn value.
TEST(EndpointStoreTest, ReadersOnOtherThreadsSeeNewSnapshots) {
  EndpointStore store;
  std::atomic<bool> stop{false};
  std::atomic<int> last_seen{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        EndpointUrlConstPtr u = store.lookup("k");
        if (u) {
          ASSERT_EQ(u->url, "http://h:" + std::to_string(u->port) + "/");
          int seen = last_seen.load();
          while (u->port > seen && !last_seen.compare_exchange_weak(seen, u->port)) {
          }
        }
      }
    });
  }
  for (int port = 1; port <= 200; ++port) {
    store.publish(std::make_shared<const DiscoveredUrls>(DiscoveredUrls{{"k", url("h", port)}}));
  }
  while (last_seen.load() < 200) std::this_thread::yield();
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(store.lookup("k")->port, 200);
}

}  // namespace
}  // namespace gw::discovery
