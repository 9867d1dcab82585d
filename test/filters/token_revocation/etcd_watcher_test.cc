// The watcher's timing logic with a fake clock: local TTL expiry and back-off.

#include "filters/token_revocation/etcd_watcher.h"

#include <gtest/gtest.h>

namespace gw::filters::token_revocation {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RevocationTableTest, TtlExpiresOnTheFakeClock) {
  SteadyTime now{};  // the fake clock
  RevocationTable table;
  table.replace({{"a", seconds(10)}, {"b", std::nullopt}}, now);
  table.put({"c", seconds(5)}, now);
  EXPECT_EQ(table.size(), 3u);
  ASSERT_TRUE(table.nextExpiry().has_value());
  const seconds grace = RevocationTable::kTtlGrace;
  EXPECT_EQ(*table.nextExpiry(), now + seconds(5) + grace);

  now += seconds(5);
  EXPECT_FALSE(table.prune(now));  // etcd's TTL, not yet the grace
  now += grace;
  EXPECT_TRUE(table.prune(now));  // c's TTL ran out
  RevokedSetConstPtr set = table.build();
  EXPECT_FALSE(set->contains("c"));
  EXPECT_TRUE(set->contains("a"));
  EXPECT_EQ(*table.nextExpiry(), SteadyTime{} + seconds(10) + grace);

  // A put refreshes the TTL (etcd's "update" of the same key).
  table.put({"a", seconds(10)}, now);
  now += seconds(10);
  EXPECT_FALSE(table.prune(now));
  now += grace;
  EXPECT_TRUE(table.prune(now));
  set = table.build();
  EXPECT_EQ(set->size(), 1u);
  EXPECT_TRUE(set->contains("b"));  // no TTL: kept until etcd deletes it
  EXPECT_FALSE(table.nextExpiry().has_value());

  table.remove("b");
  EXPECT_EQ(table.build()->size(), 0u);
}

TEST(BackoffTest, DoublesUpToTheCapAndResets) {
  Backoff b(milliseconds(100), milliseconds(1000));
  const int64_t expect[] = {100, 200, 400, 800, 1000, 1000};
  for (int64_t e : expect) EXPECT_EQ(b.next().count(), e);
  b.reset();
  EXPECT_EQ(b.next().count(), 100);
}

}  // namespace
}  // namespace gw::filters::token_revocation
