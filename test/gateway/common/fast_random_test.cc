// gw::writeHex against printf's %016llx, and gw::fastRandom's spread.

#include "gateway/common/fast_random.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>

namespace gw {
namespace {

std::string hex(uint64_t v) {
  char out[16];
  writeHex(v, out);
  return std::string(out, sizeof(out));
}

std::string printed(uint64_t v) {
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(v));
  return out;
}

TEST(FastRandom, WriteHexEqualsPrintf) {
  for (uint64_t v : {0ull, 1ull, 0xabcdefull, 0x0123456789abcdefull, 0xfedcba9876543210ull, ~0ull,
                     0x8000000000000000ull}) {
    EXPECT_EQ(hex(v), printed(v));
  }
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = fastRandom();
    ASSERT_EQ(hex(v), printed(v));
  }
}

TEST(FastRandom, NoRepeatsAndEveryNibbleVaries) {
  std::set<uint64_t> seen;
  uint64_t ored = 0, anded = ~0ull;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t v = fastRandom();
    EXPECT_TRUE(seen.insert(v).second);
    ored |= v;
    anded &= v;
  }
  EXPECT_EQ(ored, ~0ull);  // every bit was 1 at least once
  EXPECT_EQ(anded, 0ull);  // and 0 at least once
}

TEST(FastRandom, Uuid4Shape) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    char out[36];
    writeUuid4(out);
    const std::string id(out, sizeof(out));
    ASSERT_TRUE(seen.insert(id).second) << id;
    for (int k = 0; k < 36; ++k) {
      if (k == 8 || k == 13 || k == 18 || k == 23) {
        ASSERT_EQ(id[k], '-') << id;
      } else {
        ASSERT_TRUE((id[k] >= '0' && id[k] <= '9') || (id[k] >= 'a' && id[k] <= 'f')) << id;
      }
    }
    EXPECT_EQ(id[14], '4') << id;                                          // version 4
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;  // variant 10
  }
}

}  // namespace
}  // namespace gw
