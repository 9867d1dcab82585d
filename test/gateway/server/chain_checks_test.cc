#include "gateway/server/chain_checks.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conf/loader.h"

namespace gw::server {
namespace {

conf::ApiDefinition api(const std::string& api_tier, const std::string& resource_tier) {
  conf::ApiDefinition a;
  a.title = "Pets";
  a.version = "1.0.0";
  a.base_path = "/pets";
  conf::EndpointUrl u;
  u.url = "http://127.0.0.1:8080";
  u.scheme = "http";
  u.host = "127.0.0.1";
  u.port = 8080;
  a.production.urls.push_back(u);
  a.throttling_tier = api_tier;
  conf::Operation op;
  op.path_template = "/";
  op.method = "GET";
  op.throttling_tier = resource_tier;
  a.operations.push_back(op);
  return a;
}

std::vector<std::string> names(const conf::FilterChainConfig& chain) {
  std::vector<std::string> out;
  for (const conf::FilterEntry& e : chain.filters) out.push_back(e.name);
  return out;
}

std::vector<std::string> complete(const conf::Config& config, conf::ApiDefinition a,
                                  const std::string& chain_file = "") {
  auto routes = router::RouteTable::build({std::move(a)});
  EXPECT_TRUE(routes.ok()) << routes.status();
  absl::StatusOr<conf::FilterChainConfig> chain = conf::loadFilterChain(chain_file);
  EXPECT_TRUE(chain.ok()) << chain.status();
  completeBuiltinChain(config, **routes, *chain);
  for (size_t i = 0; i < chain->filters.size(); ++i) EXPECT_EQ(chain->filters[i].index, int(i));
  return names(*chain);
}

const std::vector<std::string> kBuiltin = {"request_id",           "headers", "cors",  "jwt_authn",
                                           "oauth2_introspection", "api_key", "router"};

TEST(CompleteBuiltinChain, NothingTurnedOnLeavesItAsItIs) {
  EXPECT_EQ(complete(conf::Config{}, api("", "")), kBuiltin);
}

TEST(CompleteBuiltinChain, AnalyticsFirstWhenEnabled) {
  conf::Config config;
  config.analytics.enabled = true;
  std::vector<std::string> want = kBuiltin;
  want.insert(want.begin(), "analytics");
  EXPECT_EQ(complete(config, api("", "")), want);
}

TEST(CompleteBuiltinChain, ThrottleAfterAuthenticationWhenATierIsNamed) {
  std::vector<std::string> want = kBuiltin;
  want.insert(want.end() - 1, "throttle");
  EXPECT_EQ(complete(conf::Config{}, api("Gold", "")), want);
  EXPECT_EQ(complete(conf::Config{}, api("", "10KPerMin")), want);
  conf::Config publishing;
  publishing.throttling.global_publishing = true;
  EXPECT_EQ(complete(publishing, api("", "")), want);
}

TEST(CompleteBuiltinChain, AChainFileIsLeftAsWritten) {
  conf::Config config;
  config.analytics.enabled = true;
  std::vector<std::string> got = complete(config, api("Gold", ""), "conf/filters.yaml");
  EXPECT_EQ(got, kBuiltin);
}

}  // namespace
}  // namespace gw::server
