// oauth2_introspection filter: opaque tokens checked by a fake key manager
// (the Sender seam) and a fake wall clock; no sockets, no sleeping.

#include "filters/oauth2_introspection/oauth2_introspection_filter.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "filters/oauth2_introspection/config.h"
#include "gateway/router/route_table.h"
#include "gateway/stats/stats.h"
#include "test/mocks/filter_callbacks.h"

namespace gw::filters::oauth2_introspection {
namespace {

constexpr int64_t kNow = 1'800'000'000;
constexpr char kToken[] = "opaque-Token_1";
constexpr char kUrl[] = "https://km.test:9443/oauth2/introspect";

using FakeCallbacks = test::FakeDecoderFilterCallbacks;

conf::Operation operation(const std::string& method, const std::string& path,
                          std::vector<std::string> scopes = {}) {
  conf::Operation op;
  op.method = method;
  op.path_template = path;
  op.security.scopes = std::move(scopes);
  return op;
}

proxy::HttpResponse answer(int status, const std::string& body) {
  proxy::HttpResponse r;
  r.status = status;
  r.body = body;
  return r;
}

class IntrospectionFilterTest : public ::testing::Test {
 protected:
  IntrospectionFilterTest() {
    config_.security.introspection_url_override = kUrl;
    config_.security.km_username = "mgw";
    config_.security.km_password = "pw";
    conf::ApiDefinition api;
    api.title = "shop";
    api.base_path = "/shop";
    conf::Operation open = operation("GET", "/health");
    open.disable_security = true;
    api.operations = {operation("GET", "/items"), operation("POST", "/items", {"write"}), open};
    std::vector<conf::ApiDefinition> apis;
    apis.push_back(std::move(api));
    routes_ = *router::RouteTable::build(std::move(apis));
  }

  void build() {
    auto built = buildConfig(config_, stats_, [this] { return now_; });
    ASSERT_TRUE(built.ok()) << built.status();
    auto copy = std::make_shared<IntrospectionConfig>(**built);
    copy->sender = [this](proxy::HttpRequest req, proxy::HttpCallback cb) {
      sent_.push_back(std::move(req));
      pending_.push_back(std::move(cb));
    };
    filter_config_ = copy;
  }

  // Starts one request through a fresh filter (kept in filter_ until the next).
  http::FilterStatus run(const std::string& method, const std::string& path,
                         std::vector<std::pair<std::string, std::string>> headers) {
    if (!filter_config_) build();
    if (filter_) filter_->onDestroy();
    cb_ = FakeCallbacks();
    match_ = routes_->match(method, path);
    cb_.route_ = &match_;
    request_ = http::RequestHeaders();
    request_.method = method;
    request_.path = path;
    for (auto& [n, v] : headers) request_.headers.add(n, v);
    filter_ = std::make_unique<OAuth2IntrospectionFilter>(filter_config_);
    filter_->setDecoderFilterCallbacks(cb_);
    return filter_->decodeHeaders(request_, true);
  }

  http::FilterStatus runBearer(const std::string& path = "/shop/items",
                               const std::string& method = "GET") {
    return run(method, path, {{"Authorization", std::string("Bearer ") + kToken}});
  }

  // Completes the oldest pending introspection.
  void reply(absl::StatusOr<proxy::HttpResponse> r) {
    ASSERT_FALSE(pending_.empty());
    proxy::HttpCallback cb = std::move(pending_.front());
    pending_.erase(pending_.begin());
    cb(std::move(r));
  }

  const http::LocalReply& onlyReply() {
    EXPECT_EQ(cb_.replies.size(), 1u);
    static const http::LocalReply kNone;
    return cb_.replies.empty() ? kNone : cb_.replies[0];
  }

  uint64_t outcome(const std::string& name) {
    return stats_
        .counter("microgw_authn_results_total", "Authentication results by filter and outcome.",
                 {{"filter", "oauth2_introspection"}, {"outcome", name}})
        .value();
  }

  conf::Config config_;
  stats::Store stats_;
  int64_t now_ = kNow;
  std::shared_ptr<const router::RouteTable> routes_;
  std::shared_ptr<const IntrospectionConfig> filter_config_;
  std::vector<proxy::HttpRequest> sent_;
  std::vector<proxy::HttpCallback> pending_;
  std::unique_ptr<OAuth2IntrospectionFilter> filter_;
  FakeCallbacks cb_;
  router::RouteMatch match_;
  http::RequestHeaders request_;
};

TEST(IntrospectionHelpers, ParsesRfc7662Answers) {
  auto ok = parseIntrospection(
      answer(200, R"({"active":true,"exp":1800000100,"scope":"read  write","jti":"j1"})"));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(ok->active);
  EXPECT_EQ(ok->expires_at, 1800000100);
  EXPECT_EQ(ok->scopes, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(ok->jti, "j1");
  auto inactive = parseIntrospection(answer(200, R"({"active":false})"));
  ASSERT_TRUE(inactive.ok());
  EXPECT_FALSE(inactive->active);
  EXPECT_FALSE(parseIntrospection(answer(500, "{}")).ok());
  EXPECT_NE(
      parseIntrospection(answer(401, "")).status().message().find("keymanager.security.basic"),
      std::string::npos);
  EXPECT_FALSE(parseIntrospection(answer(200, "<html>")).ok());
  EXPECT_FALSE(parseIntrospection(answer(200, "[1]")).ok());
  EXPECT_FALSE(parseIntrospection(answer(200, R"({"active":"true"})")).ok());
}

TEST(IntrospectionHelpers, RequestEncoding) {
  EXPECT_EQ(basicAuthorization("mgw", "pw"), "Basic bWd3OnB3");
  EXPECT_EQ(basicAuthorization("mgw-gateway", "s"), "Basic bWd3LWdhdGV3YXk6cw==");
  EXPECT_EQ(introspectionBody("a+b/c=d~e"), "token_type_hint=access_token&token=a%2Bb%2Fc%3Dd~e");
}

TEST_F(IntrospectionFilterTest, ActiveTokenIsIntrospectedOnceThenCached) {
  EXPECT_EQ(runBearer(), http::FilterStatus::StopIteration);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].method, "POST");
  EXPECT_EQ(sent_[0].url, kUrl);
  EXPECT_EQ(sent_[0].timeout, kIntrospectionTimeout);
  EXPECT_EQ(sent_[0].body, std::string("token_type_hint=access_token&token=") + kToken);
  bool basic = false;
  for (const auto& [n, v] : sent_[0].headers)
    basic |= (n == "Authorization" && v == "Basic bWd3OnB3");
  EXPECT_TRUE(basic);
  EXPECT_EQ(cb_.continue_decoding_calls, 0);
  reply(answer(200, R"({"active":true,"exp":1800000060})"));
  EXPECT_EQ(cb_.continue_decoding_calls, 1);
  EXPECT_TRUE(cb_.replies.empty());
  EXPECT_EQ(cb_.authenticated_by, "oauth2_introspection");
  EXPECT_FALSE(request_.headers.has("Authorization"));

  // Cached: no second call, synchronous Continue.
  EXPECT_EQ(runBearer(), http::FilterStatus::Continue);
  EXPECT_EQ(sent_.size(), 1u);
  EXPECT_EQ(cb_.authenticated_by, "oauth2_introspection");
  EXPECT_EQ(outcome("success"), 1u);
  EXPECT_EQ(outcome("cache_hit"), 1u);

  // The entry ends at the token's exp.
  now_ = kNow + 60;
  EXPECT_EQ(runBearer(), http::FilterStatus::StopIteration);
  EXPECT_EQ(sent_.size(), 2u);
}

TEST_F(IntrospectionFilterTest, CacheEntryEndsAtTokenCacheExpiryTime) {
  config_.security.token_cache_expiry_s = 30;
  runBearer();
  reply(answer(200, R"({"active":true,"exp":1800009999})"));
  now_ = kNow + 29;
  EXPECT_EQ(runBearer(), http::FilterStatus::Continue);
  now_ = kNow + 30;
  EXPECT_EQ(runBearer(), http::FilterStatus::StopIteration);
  EXPECT_EQ(sent_.size(), 2u);
}

TEST_F(IntrospectionFilterTest, InactiveTokenIs401AndNotCached) {
  runBearer();
  reply(answer(200, R"({"active":false})"));
  EXPECT_EQ(cb_.continue_decoding_calls, 0);
  EXPECT_EQ(onlyReply().status, 401);
  EXPECT_EQ(onlyReply().code, "900901");
  const std::string* www = onlyReply().headers.get("WWW-Authenticate");
  ASSERT_NE(www, nullptr);
  EXPECT_EQ(*www, "Bearer error=\"invalid_token\"");
  EXPECT_TRUE(cb_.authenticated_by.empty());
  EXPECT_EQ(onlyReply().description.find(kToken), std::string::npos);
  runBearer();
  EXPECT_EQ(sent_.size(), 2u);
}

TEST_F(IntrospectionFilterTest, ExpiredActiveAnswerIs401) {
  runBearer();
  reply(answer(200, R"({"active":true,"exp":1799999999})"));
  EXPECT_EQ(onlyReply().status, 401);
  EXPECT_EQ(outcome("expired"), 1u);
}

TEST_F(IntrospectionFilterTest, KeyManagerFailuresAre503NamingTheUrl) {
  const absl::StatusOr<proxy::HttpResponse> failures[] = {
      absl::UnavailableError("connect to km.test:9443 failed: connection refused"),
      absl::DeadlineExceededError("no response within 5000 ms"),
      answer(502, "bad gateway"),
      answer(200, "not json"),
      answer(200, R"({"scope":"read"})"),
  };
  for (const auto& failure : failures) {
    runBearer();
    reply(failure);
    EXPECT_EQ(cb_.continue_decoding_calls, 0);
    ASSERT_EQ(cb_.replies.size(), 1u);
    EXPECT_EQ(cb_.replies[0].status, 503);
    EXPECT_NE(cb_.replies[0].description.find(kUrl), std::string::npos)
        << cb_.replies[0].description;
    EXPECT_TRUE(cb_.authenticated_by.empty());
  }
  EXPECT_EQ(outcome("unavailable"), 5u);
}

TEST_F(IntrospectionFilterTest, MissingScopeIs403) {
  runBearer("/shop/items", "POST");
  reply(answer(200, R"({"active":true,"scope":"read"})"));
  EXPECT_EQ(onlyReply().status, 403);
  EXPECT_EQ(onlyReply().code, "900908");
  EXPECT_EQ(cb_.continue_decoding_calls, 0);
  // The positive answer is cached; the scope is checked per resource.
  EXPECT_EQ(runBearer("/shop/items", "GET"), http::FilterStatus::Continue);
  EXPECT_EQ(sent_.size(), 1u);
}

TEST_F(IntrospectionFilterTest, OpenRoutesAndAuthenticatedStreamsAreLeftAlone) {
  EXPECT_EQ(runBearer("/shop/health"), http::FilterStatus::Continue);
  EXPECT_TRUE(sent_.empty());
  build();
  cb_ = FakeCallbacks();
  match_ = routes_->match("GET", "/shop/items");
  cb_.route_ = &match_;
  cb_.authenticated_by = "jwt_authn";
  request_ = http::RequestHeaders();
  request_.headers.add("Authorization", "Bearer x.y.z");
  OAuth2IntrospectionFilter filter(filter_config_);
  filter.setDecoderFilterCallbacks(cb_);
  EXPECT_EQ(filter.decodeHeaders(request_, true), http::FilterStatus::Continue);
  EXPECT_TRUE(sent_.empty());
  EXPECT_TRUE(request_.headers.has("Authorization"));
}

TEST_F(IntrospectionFilterTest, MissingTokenIs401) {
  EXPECT_EQ(run("GET", "/shop/items", {}), http::FilterStatus::StopIteration);
  EXPECT_EQ(onlyReply().status, 401);
  EXPECT_EQ(onlyReply().code, "900902");
  EXPECT_TRUE(sent_.empty());
}

TEST_F(IntrospectionFilterTest, AnswerAfterTheRequestEndedIsIgnored) {
  runBearer();
  filter_->onDestroy();
  filter_.reset();
  reply(answer(200, R"({"active":true})"));  // must not touch the dead filter
  EXPECT_EQ(cb_.continue_decoding_calls, 0);
  EXPECT_TRUE(cb_.replies.empty());
}

}  // namespace
}  // namespace gw::filters::oauth2_introspection
