// conf/filter_config.h: the helpers filters read their `config:` node with.

#include "conf/filter_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gw::conf {
namespace {

const YamlContext kCtx = filterConfigContext();
constexpr char kRoot[] = "config";

std::string message(const absl::Status& s) { return std::string(s.message()); }

TEST(FilterConfig, AbsentKeysKeepDefaults) {
  const YAML::Node node = YAML::Load("{b: ~}");
  std::string s = "default";
  bool b = true;
  int64_t i = 7;
  std::vector<std::string> list = {"x"};
  StringPairs map = {{"k", "v"}};
  EXPECT_TRUE(readString(kCtx, node, "s", kRoot, &s).ok());
  EXPECT_TRUE(readBool(kCtx, node, "b", kRoot, &b).ok());
  EXPECT_TRUE(readInt(kCtx, node, "i", kRoot, 0, 10, &i).ok());
  EXPECT_TRUE(readStringList(kCtx, node, "l", kRoot, &list).ok());
  EXPECT_TRUE(readStringMap(kCtx, node, "m", kRoot, &map).ok());
  EXPECT_EQ(s, "default");
  EXPECT_TRUE(b);
  EXPECT_EQ(i, 7);
  EXPECT_EQ(list, std::vector<std::string>{"x"});
  EXPECT_EQ(map, (StringPairs{{"k", "v"}}));
  EXPECT_TRUE(isAbsent(YAML::Node()));
  EXPECT_TRUE(isAbsent(node["b"]));
  EXPECT_FALSE(isAbsent(YAML::Load("0")));
}

TEST(FilterConfig, ReadsTypedValues) {
  const YAML::Node node = YAML::Load("{s: x, b: false, i: 42, l: [a, b], m: {B: 2, A: 1}}");
  std::string s;
  bool b = true;
  int64_t i = 0;
  std::vector<std::string> list;
  StringPairs map;
  ASSERT_TRUE(readString(kCtx, node, "s", kRoot, &s).ok());
  ASSERT_TRUE(readBool(kCtx, node, "b", kRoot, &b).ok());
  ASSERT_TRUE(readInt(kCtx, node, "i", kRoot, 0, 100, &i).ok());
  ASSERT_TRUE(readStringList(kCtx, node, "l", kRoot, &list).ok());
  ASSERT_TRUE(readStringMap(kCtx, node, "m", kRoot, &map).ok());
  EXPECT_EQ(s, "x");
  EXPECT_FALSE(b);
  EXPECT_EQ(i, 42);
  EXPECT_EQ(list, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(map, (StringPairs{{"B", "2"}, {"A", "1"}}));  // file order
}

TEST(FilterConfig, WrongTypesNameTheKeyPathWithoutAFile) {
  const YAML::Node node = YAML::Load("{s: [a], b: maybe, i: 500, j: x, l: a, m: [a], n: {A: [1]}}");
  std::string s;
  bool b = false;
  int64_t i = 0;
  std::vector<std::string> list;
  StringPairs map;
  EXPECT_EQ(message(readString(kCtx, node, "s", kRoot, &s)),
            "config.s: expected a string, got a list");
  EXPECT_EQ(message(readBool(kCtx, node, "b", kRoot, &b)),
            "config.b: expected a boolean (true or false)");
  EXPECT_EQ(message(readInt(kCtx, node, "i", kRoot, 0, 100, &i)),
            "config.i: must be between 0 and 100, got 500");
  EXPECT_EQ(message(readInt(kCtx, node, "j", kRoot, 0, 100, &i)), "config.j: expected an integer");
  EXPECT_EQ(message(readStringList(kCtx, node, "l", kRoot, &list)),
            "config.l: expected a list of strings, got a scalar");
  EXPECT_EQ(message(readStringMap(kCtx, node, "m", kRoot, &map)),
            "config.m: expected a map of name: value, got a list");
  EXPECT_EQ(message(readStringMap(kCtx, node, "n", kRoot, &map)),
            "config.n.A: expected a string, got a list");
  // A key that may hold a value is not echoed.
  const std::string unplain =
      message(readStringMap(kCtx, YAML::Load("{p: {'k: s3cr3t': [v]}}"), "p", kRoot, &map));
  EXPECT_EQ(unplain.find("s3cr3t"), std::string::npos) << unplain;
  EXPECT_EQ(message(readString(kCtx, YAML::Load("[a]"), "s", kRoot, &s)),
            "config: expected a map, got a list");
}

TEST(FilterConfig, UnknownKeySuggestsTheClosest) {
  const YAML::Node node = YAML::Load("{heder: X}");
  EXPECT_EQ(message(checkYamlKeys(kCtx, node, kRoot, {"header"})),
            "unknown key 'config.heder' (did you mean 'header'?)");
}

}  // namespace
}  // namespace gw::conf
