#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <cpptoml.h>
#include <event2/event.h>
#include <gtest/gtest.h>
#include <http_parser.h>
#include <nghttp2/nghttp2.h>
#include <yaml-cpp/yaml.h>
TEST(Smoke, Links) {
  absl::StatusOr<int> s = absl::NotFoundError("x");
  EXPECT_FALSE(s.ok());
  event_base* b = event_base_new();
  EXPECT_NE(b, nullptr);
  event_base_free(b);
  YAML::Node n = YAML::Load("a: 1");
  EXPECT_EQ(n["a"].as<int>(), 1);
  EXPECT_GT(http_parser_version(), 0u);
  EXPECT_NE(nghttp2_version(0), nullptr);
  EXPECT_EQ(absl::StrCat("a", 1), "a1");
}
