#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "conf/loader.h"

namespace gw::conf {
namespace {

// With no chain file, the gateway runs the chain conf/filters.yaml holds.
TEST(LoadFilterChain, BuiltInDefaultChainEqualsConfFiltersYaml) {
  absl::StatusOr<FilterChainConfig> builtin = loadFilterChain("");
  absl::StatusOr<FilterChainConfig> file = loadFilterChain("conf/filters.yaml");
  ASSERT_TRUE(builtin.ok()) << builtin.status();
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(builtin->file, "built-in default chain");
  ASSERT_EQ(builtin->filters.size(), file->filters.size());
  for (size_t i = 0; i < file->filters.size(); ++i) {
    EXPECT_EQ(builtin->filters[i].name, file->filters[i].name) << i;
    EXPECT_EQ(builtin->filters[i].config_yaml, file->filters[i].config_yaml) << i;
    EXPECT_EQ(builtin->filters[i].index, file->filters[i].index) << i;
  }
}

TEST(LoadFilterChain, DefaultFile) {
  absl::StatusOr<FilterChainConfig> chain = loadFilterChain("conf/filters.yaml");
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->file, "conf/filters.yaml");
  ASSERT_EQ(chain->filters.size(), 7u);
  EXPECT_EQ(chain->filters[0].name, "request_id");
  EXPECT_EQ(chain->filters[0].config_yaml, "");
  EXPECT_EQ(chain->filters[1].name, "headers");
  EXPECT_EQ(chain->filters[1].index, 1);
  // CORS preflights are answered before authentication (they carry no token).
  EXPECT_EQ(chain->filters[2].name, "cors");
  // Security before the router: a WSO2 user with only micro-gw.conf gets it.
  EXPECT_EQ(chain->filters[3].name, "jwt_authn");
  EXPECT_EQ(chain->filters[4].name, "oauth2_introspection");
  EXPECT_EQ(chain->filters[5].name, "api_key");
  EXPECT_EQ(chain->filters[6].name, "router");
  EXPECT_EQ(chain->filters[6].index, 6);
  EXPECT_EQ(chain->filters[6].config_yaml, "");
  // The re-emitted config parses back to the same content.
  YAML::Node config = YAML::Load(chain->filters[1].config_yaml);
  EXPECT_EQ(config["request"]["add"]["X-Gateway"].as<std::string>(), "microgw");
  EXPECT_EQ(config["request"]["remove"].size(), 0u);
  EXPECT_EQ(config["response"]["remove"][0].as<std::string>(), "Server");
}

TEST(LoadFilterChain, Variants) {
  absl::StatusOr<FilterChainConfig> chain = loadFilterChainFromString(
      "filters:\n- name: a\n  config: 42\n- name: b\n  config:\n- {name: c, config: [x, y]}\n",
      "chain.yaml");
  ASSERT_TRUE(chain.ok()) << chain.status();
  ASSERT_EQ(chain->filters.size(), 3u);
  EXPECT_EQ(chain->filters[0].config_yaml, "42");
  EXPECT_EQ(chain->filters[1].config_yaml, "");  // null config counts as absent
  EXPECT_EQ(YAML::Load(chain->filters[2].config_yaml)[1].as<std::string>(), "y");
  EXPECT_EQ(chain->filters[2].index, 2);

  chain = loadFilterChainFromString("filters: []\n", "chain.yaml");
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_TRUE(chain->filters.empty());
}

TEST(LoadFilterChain, UnknownFilterNamesAreNotCheckedHere) {
  absl::StatusOr<FilterChainConfig> chain =
      loadFilterChainFromString("filters:\n- name: no-such-filter\n", "chain.yaml");
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->filters[0].name, "no-such-filter");
}

struct ErrorCase {
  const char* yaml;
  const char* expected;
};

TEST(LoadFilterChain, Errors) {
  const ErrorCase cases[] = {
      {"filters: {name: a}\n", "chain.yaml: filters: expected a list, got a map"},
      {"filters: router\n", "chain.yaml: filters: expected a list, got a scalar"},
      {"- name: a\n", "chain.yaml: expected a map with a 'filters' list, got a list"},
      {"filter:\n- name: a\n", "chain.yaml: unknown key 'filter' (did you mean 'filters'?)"},
      {"other: 1\n", "chain.yaml: unknown key 'other'"},
      {"{}\n", "chain.yaml: missing 'filters' list"},
      {"filters:\n- name: a\n- config: {}\n", "chain.yaml: filters[1]: missing 'name'"},
      {"filters:\n- name: ''\n", "chain.yaml: filters[0].name: must not be empty"},
      {"filters:\n- name: [a]\n", "chain.yaml: filters[0].name: expected a string, got a list"},
      {"filters:\n- router\n", "chain.yaml: filters[0]: expected a map, got a scalar"},
      {"filters:\n- name: a\n  confg: {}\n",
       "chain.yaml: unknown key 'filters[0].confg' (did you mean 'config'?)"},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<FilterChainConfig> chain = loadFilterChainFromString(c.yaml, "chain.yaml");
    ASSERT_FALSE(chain.ok()) << c.yaml;
    EXPECT_EQ(chain.status().code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_EQ(std::string(chain.status().message()), c.expected) << c.yaml;
  }
}

TEST(LoadFilterChain, FileErrors) {
  absl::StatusOr<FilterChainConfig> chain = loadFilterChain("/nonexistent/filters.yaml");
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(chain.status().message()), "/nonexistent/filters.yaml: cannot open file");

  chain = loadFilterChainFromString("filters: [\n", "chain.yaml");
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.status().message().rfind("chain.yaml: invalid YAML at line ", 0), 0u);
}

}  // namespace
}  // namespace gw::conf
