#include "conf/suggest.h"

#include <gtest/gtest.h>

namespace gw::conf {
namespace {

struct DistanceCase {
  const char* a;
  const char* b;
  size_t distance;
};

TEST(EditDistance, Table) {
  const DistanceCase cases[] = {
      {"", "", 0},
      {"abc", "", 3},
      {"", "abc", 3},
      {"kitten", "sitting", 3},
      {"enabel", "enabled", 2},
      {"basepath", "basePath", 0},
      {"host", "hots", 2},
      {"port", "port", 0},
  };
  for (const DistanceCase& c : cases) {
    EXPECT_EQ(editDistance(c.a, c.b), c.distance) << c.a << " vs " << c.b;
  }
}

struct MatchCase {
  const char* word;
  std::vector<std::string> candidates;
  const char* expected;
};

TEST(ClosestMatch, Table) {
  const MatchCase cases[] = {
      {"enabel", {"enabled", "enable", "host"}, "enabled"},  // tie: first candidate wins
      {"hots", {"port", "host"}, "host"},
      {"listenerconfig", {"admin", "listenerConfig"}, "listenerConfig"},
      {"maxUriLenght", {"maxUriLength", "maxHeaderSize"}, "maxUriLength"},
      {"zzzzzz", {"enabled", "host"}, ""},  // nothing close
      {"x", {}, ""},
      {"ab", {"xy"}, "xy"},  // short words: two edits are still allowed
      {"abc", {"xyz"}, ""},
  };
  for (const MatchCase& c : cases) {
    EXPECT_EQ(closestMatch(c.word, c.candidates), c.expected) << c.word;
  }
}

}  // namespace
}  // namespace gw::conf
