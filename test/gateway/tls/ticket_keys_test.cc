#include "gateway/tls/ticket_keys.h"

#include <gtest/gtest.h>

namespace gw::tls {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  TicketKeyRing::Clock fn() {
    return [this] { return now; };
  }
};

TEST(TicketKeyRing, KeepsTheKeyUntilTheRotationTime) {
  FakeClock clock;
  TicketKeyRing ring(hours(1), clock.fn());
  const auto first = ring.current();
  clock.now += minutes(59);
  EXPECT_EQ(ring.current().name, first.name);
  bool renew = true;
  ASSERT_TRUE(ring.find(first.name.data(), renew).has_value());
  EXPECT_FALSE(renew);
}

TEST(TicketKeyRing, RotatesAndStillOpensTicketsOfThePreviousKey) {
  FakeClock clock;
  TicketKeyRing ring(hours(1), clock.fn());
  const auto first = ring.current();
  clock.now += minutes(61);
  const auto second = ring.current();
  EXPECT_NE(second.name, first.name);
  EXPECT_NE(second.aes, first.aes);
  EXPECT_NE(second.hmac, first.hmac);
  bool renew = false;
  std::optional<TicketKeyRing::Key> old = ring.find(first.name.data(), renew);
  ASSERT_TRUE(old.has_value());
  EXPECT_TRUE(renew) << "a ticket under the previous key is replaced";
  EXPECT_EQ(old->aes, first.aes);
  // One rotation later the first key is gone: a full handshake.
  clock.now += minutes(61);
  EXPECT_FALSE(ring.find(first.name.data(), renew).has_value());
  EXPECT_TRUE(ring.find(second.name.data(), renew).has_value());
  EXPECT_TRUE(renew);
}

TEST(TicketKeyRing, AfterALongQuietSpellNoOldKeyOpensTickets) {
  FakeClock clock;
  TicketKeyRing ring(hours(1), clock.fn());
  const auto first = ring.current();
  clock.now += hours(5);
  bool renew = false;
  EXPECT_FALSE(ring.find(first.name.data(), renew).has_value());
  EXPECT_NE(ring.current().name, first.name);
}

TEST(TicketKeyRing, UnknownNameIsNotFound) {
  TicketKeyRing ring;
  unsigned char name[16] = {1, 2, 3};
  bool renew = false;
  EXPECT_FALSE(ring.find(name, renew).has_value());
}

}  // namespace
}  // namespace gw::tls
