// api_key filter: WSO2 API keys (JWTs of [apikey.tokenConfigs] issuer) in the
// header and query locations of the API's apiKey schemes.

#include "filters/api_key/api_key_filter.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "filters/api_key/config.h"
#include "gateway/router/route_table.h"
#include "gateway/stats/stats.h"
#include "test/filters/jwt_authn/token_factory.h"
#include "test/mocks/filter_callbacks.h"

namespace gw::filters::api_key {
namespace {

using Json = nlohmann::json;
namespace keys = jwt_authn::testing;
constexpr int64_t kNow = 1'800'000'000;
constexpr char kIssuer[] = "https://localhost:9095/apikey";

using FakeCallbacks = test::FakeDecoderFilterCallbacks;

conf::Operation operation(const std::string& path, bool oauth2, bool api_key,
                          std::vector<conf::ApiKeyLocation> locations = {}) {
  conf::Operation op;
  op.method = "GET";
  op.path_template = path;
  op.security.oauth2 = oauth2;
  op.security.api_key = api_key;
  op.security.api_key_locations = std::move(locations);
  return op;
}

class ApiKeyFilterTest : public ::testing::Test {
 protected:
  ApiKeyFilterTest() {
    const char* tmp = std::getenv("TEST_TMPDIR");
    const std::string pem = std::string(tmp != nullptr ? tmp : "/tmp") + "/apikey.pem";
    std::ofstream(pem) << keys::publicPem(key_);
    config_.security.apikey_certificate_alias = pem;
    conf::ApiDefinition api;
    api.title = "shop";
    api.version = "v1";
    api.base_path = "/shop";
    api.operations = {operation("/keyed", false, true),
                      operation("/named", false, true, {{"header", "X-Key"}, {"query", "k"}}),
                      operation("/oauth", true, false)};
    std::vector<conf::ApiDefinition> apis;
    apis.push_back(std::move(api));
    routes_ = *router::RouteTable::build(std::move(apis));
  }

  std::string apiKey(Json overrides = Json::object(), const keys::KeyPair* signer = nullptr) {
    Json payload = {{"iss", kIssuer},
                    {"sub", "admin"},
                    {"iat", kNow},
                    {"jti", "k-1"},
                    {"subscribedAPIs", Json::array({{{"name", "shop"}, {"version", "v1"}}})}};
    for (auto& [k, v] : overrides.items()) {
      if (v.is_null()) {
        payload.erase(k);
      } else {
        payload[k] = v;
      }
    }
    return keys::sign({{"alg", "RS256"}, {"typ", "JWT"}}, payload, signer ? *signer : key_);
  }

  http::FilterStatus run(const std::string& path,
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto built = buildConfig(config_, stats_, [] { return kNow; });
    EXPECT_TRUE(built.ok()) << built.status();
    cb_ = FakeCallbacks();
    request_ = http::RequestHeaders();
    request_.method = "GET";
    request_.path = path;
    match_ = routes_->match("GET", std::string(request_.pathOnly()));
    cb_.route_ = &match_;
    for (auto& [n, v] : headers) request_.headers.add(n, v);
    ApiKeyFilter filter(*built);
    filter.setDecoderFilterCallbacks(cb_);
    return filter.decodeHeaders(request_, true);
  }

  const http::LocalReply& onlyReply() {
    EXPECT_EQ(cb_.replies.size(), 1u);
    static const http::LocalReply kNone;
    return cb_.replies.empty() ? kNone : cb_.replies[0];
  }

  keys::KeyPair key_ = keys::rsaKey();
  conf::Config config_;
  stats::Store stats_;
  std::shared_ptr<const router::RouteTable> routes_;
  FakeCallbacks cb_;
  router::RouteMatch match_;
  http::RequestHeaders request_;
};

TEST(ApiKeyHelpers, QueryParameters) {
  EXPECT_EQ(queryParam("?a=1&apikey=x%2By&b=2", "apikey"), "x+y");
  EXPECT_EQ(queryParam("?a=1", "apikey"), std::nullopt);
  EXPECT_EQ(removeQueryParam("/p?a=1&apikey=x&b=2", "apikey"), "/p?a=1&b=2");
  EXPECT_EQ(removeQueryParam("/p?apikey=x", "apikey"), "/p");
  EXPECT_EQ(removeQueryParam("/p?apikey=x&apikey=y&c", "apikey"), "/p?c");
  EXPECT_EQ(removeQueryParam("/p", "apikey"), "/p");
}

TEST(ApiKeyHelpers, AllowedApis) {
  const Json sub = {{"subscribedAPIs", Json::array({{{"name", "shop"}, {"version", "v1"}}})}};
  EXPECT_TRUE(allowsApi(sub, "shop", "v1"));
  EXPECT_FALSE(allowsApi(sub, "shop", "v2"));
  EXPECT_FALSE(allowsApi(sub, "other", "v1"));
  const Json allowed = {{"allowedAPIs", Json::array({{{"name", "shop"}, {"version", "v1"}}})}};
  EXPECT_TRUE(allowsApi(allowed, "shop", "v1"));
  EXPECT_FALSE(allowsApi({{"subscribedAPIs", "shop"}}, "shop", "v1"));
}

TEST_F(ApiKeyFilterTest, DefaultLocationsHeaderAndQuery) {
  EXPECT_EQ(run("/shop/keyed", {{"apikey", apiKey()}}), http::FilterStatus::Continue);
  EXPECT_EQ(cb_.authenticated_by, "api_key");
  EXPECT_FALSE(request_.headers.has("apikey"));

  EXPECT_EQ(run("/shop/keyed?x=1&apikey=" + apiKey()), http::FilterStatus::Continue);
  EXPECT_EQ(cb_.authenticated_by, "api_key");
  EXPECT_EQ(request_.path, "/shop/keyed?x=1");
}

TEST_F(ApiKeyFilterTest, SchemeLocations) {
  EXPECT_EQ(run("/shop/named", {{"X-Key", apiKey()}}), http::FilterStatus::Continue);
  EXPECT_FALSE(request_.headers.has("X-Key"));
  EXPECT_EQ(run("/shop/named?k=" + apiKey()), http::FilterStatus::Continue);
  EXPECT_EQ(request_.path, "/shop/named");
  // The default `apikey` is not a location when schemes name others.
  EXPECT_EQ(run("/shop/named", {{"apikey", apiKey()}}), http::FilterStatus::StopIteration);
  EXPECT_EQ(onlyReply().status, 401);
  EXPECT_EQ(onlyReply().code, "900902");
  EXPECT_NE(onlyReply().description.find("header X-Key or query parameter k"), std::string::npos)
      << onlyReply().description;
}

TEST_F(ApiKeyFilterTest, InvalidKeysAre401) {
  keys::KeyPair other = keys::rsaKey();
  const std::string bad[] = {apiKey(Json::object(), &other), apiKey({{"iss", "someone"}}),
                             apiKey({{"exp", kNow - 3600}}), "not-a-jwt"};
  for (const std::string& key : bad) {
    EXPECT_EQ(run("/shop/keyed", {{"apikey", key}}), http::FilterStatus::StopIteration);
    EXPECT_EQ(onlyReply().status, 401);
    EXPECT_EQ(onlyReply().code, "900901");
    EXPECT_EQ(onlyReply().description.find(key), std::string::npos);
    EXPECT_TRUE(cb_.authenticated_by.empty());
  }
}

TEST_F(ApiKeyFilterTest, ValidateAllowedApis) {
  const std::string for_other =
      apiKey({{"subscribedAPIs", Json::array({{{"name", "other"}, {"version", "v1"}}})}});
  EXPECT_EQ(run("/shop/keyed", {{"apikey", for_other}}), http::FilterStatus::Continue);
  config_.security.apikey_validate_allowed_apis = true;
  EXPECT_EQ(run("/shop/keyed", {{"apikey", for_other}}), http::FilterStatus::StopIteration);
  // WSO2 3.2 answers a key for another API as an authentication failure.
  EXPECT_EQ(onlyReply().status, 401);
  EXPECT_EQ(onlyReply().code, "900901");
  EXPECT_NE(onlyReply().description.find("not allowed for API 'shop' version v1"),
            std::string::npos);
  EXPECT_EQ(run("/shop/keyed", {{"apikey", apiKey()}}), http::FilterStatus::Continue);
}

TEST_F(ApiKeyFilterTest, NoIssuerKeyRefusesEveryKey) {
  config_.security.apikey_certificate_alias.clear();
  EXPECT_EQ(run("/shop/keyed", {{"apikey", apiKey()}}), http::FilterStatus::StopIteration);
  EXPECT_EQ(onlyReply().status, 401);
  EXPECT_NE(onlyReply().description.find("certificateAlias"), std::string::npos);
}

TEST_F(ApiKeyFilterTest, OAuthOnlyRoutesAndAuthenticatedStreamsAreLeftAlone) {
  EXPECT_EQ(run("/shop/oauth", {{"apikey", "x"}}), http::FilterStatus::Continue);
  EXPECT_TRUE(cb_.replies.empty());
  EXPECT_TRUE(cb_.authenticated_by.empty());
  EXPECT_TRUE(request_.headers.has("apikey"));
}

TEST_F(ApiKeyFilterTest, UnreadablePemIsAConfigError) {
  config_.security.apikey_certificate_alias = "/nonexistent/apikey.pem";
  auto built = buildConfig(config_, stats_);
  ASSERT_FALSE(built.ok());
  EXPECT_NE(built.status().message().find("/nonexistent/apikey.pem"), std::string::npos);
}

}  // namespace
}  // namespace gw::filters::api_key
