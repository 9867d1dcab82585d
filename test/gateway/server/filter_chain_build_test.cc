#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "conf/config.h"
#include "gateway/http/filter_registry.h"
#include "gateway/server/server.h"
#include "gateway/stats/stats.h"

namespace gw::server {
namespace {

conf::FilterChainConfig chain(std::vector<std::pair<std::string, std::string>> entries) {
  conf::FilterChainConfig c;
  c.file = "/etc/microgw/filters.yaml";
  int index = 0;
  for (auto& [name, yaml] : entries) {
    conf::FilterEntry e;
    e.name = name;
    e.config_yaml = yaml;
    e.index = index++;
    c.filters.push_back(e);
  }
  return c;
}

struct ErrorCase {
  const char* name;
  conf::FilterChainConfig chain;
  std::vector<std::string> expected_parts;
};

TEST(BuildFilterChain, Errors) {
  const ErrorCase cases[] = {
      {"unknown filter with hint",
       chain({{"header", ""}, {"router", ""}}),
       {"/etc/microgw/filters.yaml", "filters[0]", "'header'", "unknown filter",
        "did you mean 'headers'?", "router"}},
      {"unknown filter at a later index",
       chain({{"headers", ""}, {"routr", ""}, {"router", ""}}),
       {"/etc/microgw/filters.yaml", "filters[1]", "'routr'", "did you mean 'router'?"}},
      {"unknown filter without a close name",
       chain({{"zzzzzzzzzzzz", ""}, {"router", ""}}),
       {"/etc/microgw/filters.yaml", "filters[0]", "unknown filter", "headers"}},
      {"chain does not end with router",
       chain({{"headers", ""}}),
       {"/etc/microgw/filters.yaml", "must end with `router`"}},
      {"router first, not last",
       chain({{"router", ""}, {"headers", ""}}),
       {"/etc/microgw/filters.yaml", "must end with `router`"}},
      {"empty chain", chain({}), {"/etc/microgw/filters.yaml", "must end with `router`"}},
      {"router twice",
       chain({{"router", ""}, {"headers", ""}, {"router", ""}}),
       {"/etc/microgw/filters.yaml", "filters[0]", "`router` must be the last filter"}},
      {"filter config error names the entry",
       chain({{"headers", "reqest: {}\n"}, {"router", ""}}),
       {"/etc/microgw/filters.yaml", "filters[0]", "'headers'", "did you mean 'request'?"}},
      {"router takes no config",
       chain({{"headers", ""}, {"router", "timeout: 5\n"}}),
       {"filters[1]", "'router'", "takes no config"}},
      {"unparsable config yaml",
       chain({{"headers", "request: {add: [\n"}, {"router", ""}}),
       {"/etc/microgw/filters.yaml", "filters[0]", "'headers'"}},
  };
  conf::Config config;
  stats::Store stats;
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto built = buildFilterChain(c.chain, config, stats);
    ASSERT_FALSE(built.ok());
    EXPECT_EQ(built.status().code(), absl::StatusCode::kInvalidArgument);
    std::string msg(built.status().message());
    for (const std::string& part : c.expected_parts) {
      EXPECT_NE(msg.find(part), std::string::npos) << "missing '" << part << "' in: " << msg;
    }
  }
}

// Filters whose config parser lets an exception escape: as<T>() on a value
// of the wrong type (yaml-cpp's BadConversion), and anything else.
absl::StatusOr<http::FilterFactoryCb> throwsYaml(const YAML::Node& node,
                                                 const http::FactoryContext&) {
  (void)node["header"].as<std::string>();  // throws on a list
  return http::FilterFactoryCb([] { return http::StreamFilterPtr(); });
}
absl::StatusOr<http::FilterFactoryCb> throwsOther(const YAML::Node&, const http::FactoryContext&) {
  throw std::runtime_error("secret value S3cr3t");
}
const http::RegisterFilter kThrowsYaml("test_throws_yaml", throwsYaml);
const http::RegisterFilter kThrowsOther("test_throws_other", throwsOther);

// The exception boundary at filter creation: an escaping exception used to
// abort `microgw --check` (exit 134).
TEST(BuildFilterChain, FactoryExceptionsBecomeErrors) {
  conf::Config config;
  stats::Store stats;
  auto yaml = buildFilterChain(
      chain({{"headers", ""}, {"test_throws_yaml", "header: [a, b]\n"}, {"router", ""}}), config,
      stats);
  ASSERT_FALSE(yaml.ok());
  EXPECT_EQ(yaml.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string msg(yaml.status().message());
  for (const char* part : {"/etc/microgw/filters.yaml", "filters[1] 'test_throws_yaml'",
                           "config: a value has the wrong type", "line 1"}) {
    EXPECT_NE(msg.find(part), std::string::npos) << "missing '" << part << "' in: " << msg;
  }

  auto other = buildFilterChain(chain({{"test_throws_other", ""}, {"router", ""}}), config, stats);
  ASSERT_FALSE(other.ok());
  const std::string other_msg(other.status().message());
  EXPECT_NE(other_msg.find("filters[0] 'test_throws_other': config: cannot be read"),
            std::string::npos)
      << other_msg;
  EXPECT_EQ(other_msg.find("S3cr3t"), std::string::npos) << other_msg;
}

// The built-in filters' parsers name the key themselves; the chain builder
// adds the file and the entry.
TEST(BuildFilterChain, WrongTypeInBuiltInFilterNamesFileEntryAndKey) {
  conf::Config config;
  stats::Store stats;
  auto built =
      buildFilterChain(chain({{"request_id", "header: [a, b]\n"}, {"router", ""}}), config, stats);
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().message(),
            "/etc/microgw/filters.yaml: filters[0] 'request_id': config.header: expected a "
            "string, got a list");
  built =
      buildFilterChain(chain({{"headers", "request:\n  add: 5\n"}, {"router", ""}}), config, stats);
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().message(),
            "/etc/microgw/filters.yaml: filters[0] 'headers': config.request.add: expected a map "
            "of name: value, got a scalar");
}

TEST(BuildFilterChain, ValidChain) {
  conf::Config config;
  stats::Store stats;
  auto built = buildFilterChain(
      chain({{"headers", "response:\n  add: {X-Via: microgw}\n"}, {"router", ""}}), config, stats);
  ASSERT_TRUE(built.ok()) << built.status();
  ASSERT_EQ(built->size(), 2u);

  // The first factory is the configured headers filter.
  ASSERT_TRUE((*built)[0]);
  http::StreamFilterPtr headers = (*built)[0]();
  ASSERT_NE(headers, nullptr);
  http::ResponseHeaders resp;
  EXPECT_EQ(headers->encodeHeaders(resp, true), http::FilterStatus::Continue);
  ASSERT_NE(resp.headers.get("x-via"), nullptr);
  EXPECT_EQ(*resp.headers.get("x-via"), "microgw");
  ASSERT_TRUE((*built)[1]);

  // The router registers its upstream metrics while it parses its config.
  EXPECT_NE(stats.renderPrometheus().find("microgw_upstream_response_seconds"), std::string::npos);
}

TEST(BuildFilterChain, RouterAloneIsValid) {
  conf::Config config;
  stats::Store stats;
  auto built = buildFilterChain(chain({{"router", ""}}), config, stats);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->size(), 1u);
}

}  // namespace
}  // namespace gw::server
