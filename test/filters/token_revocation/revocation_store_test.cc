#include "filters/token_revocation/revocation_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

namespace gw::filters::token_revocation {
namespace {

RevokedSetConstPtr setOf(std::initializer_list<std::string> ids) {
  return std::make_shared<const RevokedSet>(absl::flat_hash_set<std::string>(ids));
}

TEST(RevocationStoreTest, ByJtiOrBySignature) {
  RevocationStore store;
  EXPECT_FALSE(store.isRevoked("jti-1", "sig-1"));
  store.publish(setOf({"jti-1", "sig-2"}));
  EXPECT_TRUE(store.isRevoked("jti-1", "sig-1"));
  EXPECT_TRUE(store.isRevoked("other", "sig-2"));
  EXPECT_FALSE(store.isRevoked("other", "sig-1"));
  EXPECT_FALSE(store.isRevoked("", ""));  // a token without jti is not "revoked"
  store.publish(setOf({}));
  EXPECT_FALSE(store.isRevoked("jti-1", "sig-1"));
  EXPECT_EQ(store.version(), 2u);
}

// Two stores on one thread do not share the per-thread snapshot.
TEST(RevocationStoreTest, StoresAreIndependent) {
  RevocationStore a;
  RevocationStore b;
  a.publish(setOf({"x"}));
  EXPECT_TRUE(a.isRevoked("x", ""));
  EXPECT_FALSE(b.isRevoked("x", ""));
  EXPECT_TRUE(a.isRevoked("x", ""));
}

// Readers on other threads see each published snapshot (run under TSan to check races).
TEST(RevocationStoreTest, ReadersSeePublishedSnapshots) {
  RevocationStore store;
  std::atomic<int> published{0};
  std::atomic<bool> stop{false};
  std::atomic<int> seen_last{0};
  std::thread reader([&] {
    while (!stop.load()) {
      const int n = published.load();
      if (n > 0 && store.isRevoked("id-" + std::to_string(n), "")) seen_last = n;
    }
  });
  for (int i = 1; i <= 200; ++i) {
    store.publish(setOf({"id-" + std::to_string(i)}));
    published = i;
  }
  while (seen_last.load() != 200) std::this_thread::yield();
  stop = true;
  reader.join();
  EXPECT_EQ(seen_last.load(), 200);
}

}  // namespace
}  // namespace gw::filters::token_revocation
