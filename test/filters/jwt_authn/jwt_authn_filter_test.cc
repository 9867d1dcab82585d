// jwt_authn filter: bearer JWTs on secured routes, with a PEM-key issuer
// (certificateAlias) and a fake wall clock.

#include "filters/jwt_authn/jwt_authn_filter.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "filters/jwt_authn/config.h"
#include "gateway/router/route_table.h"
#include "gateway/stats/stats.h"
#include "test/filters/jwt_authn/token_factory.h"
#include "test/mocks/filter_callbacks.h"

namespace gw::filters::jwt_authn {
namespace {

using Json = nlohmann::json;
constexpr int64_t kNow = 1'800'000'000;
constexpr char kIssuer[] = "https://km.test/oauth2/token";
constexpr char kAudience[] = "http://api.test/";

// Records what the filter does to its stream.
using FakeCallbacks = test::FakeDecoderFilterCallbacks;

conf::Operation operation(const std::string& method, const std::string& path,
                          std::vector<std::string> scopes = {}) {
  conf::Operation op;
  op.method = method;
  op.path_template = path;
  op.security.scopes = std::move(scopes);
  return op;
}

class JwtAuthnFilterTest : public ::testing::Test {
 protected:
  JwtAuthnFilterTest() {
    const char* tmp = std::getenv("TEST_TMPDIR");
    pem_path_ = std::string(tmp != nullptr ? tmp : "/tmp") + "/issuer.pem";
    std::ofstream(pem_path_) << testing::publicPem(key_);
    conf::JwtTokenConfig issuer;
    issuer.issuer = kIssuer;
    issuer.audience = kAudience;
    issuer.certificate_alias = pem_path_;
    issuer.claims = {{"scp", "scope"}};
    config_.security.jwt_issuers = {issuer};
    useApi("");
  }

  void useApi(const std::string& auth_header) {
    conf::ApiDefinition api;
    api.title = "shop";
    api.base_path = "/shop";
    api.auth_header = auth_header;
    conf::Operation open = operation("GET", "/health");
    open.disable_security = true;
    conf::Operation key_only = operation("GET", "/keyed");
    key_only.security.oauth2 = false;
    key_only.security.api_key = true;
    api.operations = {operation("GET", "/items"), operation("POST", "/items", {"write", "admin"}),
                      open, key_only};
    std::vector<conf::ApiDefinition> apis;
    apis.push_back(std::move(api));
    routes_ = *router::RouteTable::build(std::move(apis));
  }

  void build() {
    auto built = buildConfig(
        config_, stats_, [this] { return now_; }, chain_);
    ASSERT_TRUE(built.ok()) << built.status();
    filter_config_ = *built;
  }

  std::string token(Json payload_overrides = Json::object(), Json header = Json::object()) {
    Json payload = {{"iss", kIssuer}, {"aud", kAudience},  {"sub", "app"},       {"jti", "t-1"},
                    {"iat", kNow},    {"exp", kNow + 600}, {"scp", "read write"}};
    for (auto& [k, v] : payload_overrides.items()) {
      if (v.is_null()) {
        payload.erase(k);
      } else {
        payload[k] = v;
      }
    }
    Json h = {{"alg", "RS256"}, {"typ", "JWT"}};
    for (auto& [k, v] : header.items()) h[k] = v;
    return testing::sign(h, payload, key_);
  }

  // Runs one request through a fresh filter; returns its status.
  http::FilterStatus run(const std::string& method, const std::string& path,
                         std::vector<std::pair<std::string, std::string>> headers) {
    if (!filter_config_) build();
    cb_ = FakeCallbacks();
    match_ = routes_->match(method, path);
    cb_.route_ = &match_;
    request_ = http::RequestHeaders();
    request_.method = method;
    request_.path = path;
    for (auto& [n, v] : headers) request_.headers.add(n, v);
    JwtAuthnFilter filter(filter_config_);
    filter.setDecoderFilterCallbacks(cb_);
    return filter.decodeHeaders(request_, true);
  }

  http::FilterStatus runBearer(const std::string& tok, const std::string& path = "/shop/items",
                               const std::string& method = "GET") {
    return run(method, path, {{"Authorization", "Bearer " + tok}});
  }

  const http::LocalReply& onlyReply() {
    EXPECT_EQ(cb_.replies.size(), 1u);
    static const http::LocalReply kNone;
    return cb_.replies.empty() ? kNone : cb_.replies[0];
  }

  std::string wwwAuthenticate() {
    const std::string* v = onlyReply().headers.get("WWW-Authenticate");
    return v == nullptr ? "" : *v;
  }

  uint64_t outcome(const std::string& name) {
    return stats_
        .counter("microgw_authn_results_total", "Authentication results by filter and outcome.",
                 {{"filter", "jwt_authn"}, {"outcome", name}})
        .value();
  }

  testing::KeyPair key_ = testing::rsaKey();
  std::string pem_path_;
  conf::Config config_;
  stats::Store stats_;
  int64_t now_ = kNow;
  std::shared_ptr<const router::RouteTable> routes_;
  std::shared_ptr<const JwtAuthnConfig> filter_config_;
  std::vector<std::string> chain_;  // the chain's filter names (FactoryContext::chain_names)
  FakeCallbacks cb_;
  router::RouteMatch match_;
  http::RequestHeaders request_;
};

// The identity reaches later filters (throttle), from a fresh and a cached token.
TEST_F(JwtAuthnFilterTest, ValidTokenPublishesTheIdentity) {
  const std::string t =
      token({{"sub", "alice"}, {"application", {{"id", "app1"}, {"tier", "50PerMin"}}}});
  for (int i = 0; i < 2; ++i) {
    cb_.identity_ = {};
    EXPECT_EQ(runBearer(t), http::FilterStatus::Continue);
    EXPECT_EQ(cb_.identity().subject, "alice");
    EXPECT_EQ(cb_.identity().application_id, "app1");
    EXPECT_EQ(cb_.identity().application_tier, "50PerMin");
  }
}

TEST_F(JwtAuthnFilterTest, ValidTokenAuthenticatesAndRemovesTheCredential) {
  EXPECT_EQ(runBearer(token()), http::FilterStatus::Continue);
  EXPECT_TRUE(cb_.replies.empty());
  EXPECT_EQ(cb_.authenticated_by, "jwt_authn");
  EXPECT_FALSE(request_.headers.has("Authorization"));
  EXPECT_FALSE(request_.headers.has("X-JWT-Assertion"));
  EXPECT_EQ(outcome("success"), 1u);
}

TEST_F(JwtAuthnFilterTest, KeepsTheCredentialWhenConfigured) {
  config_.security.remove_auth_header = false;
  EXPECT_EQ(runBearer(token()), http::FilterStatus::Continue);
  EXPECT_TRUE(request_.headers.has("Authorization"));
}

TEST_F(JwtAuthnFilterTest, MissingTokenIs401WithBearerChallenge) {
  EXPECT_EQ(run("GET", "/shop/items", {}), http::FilterStatus::StopIteration);
  EXPECT_EQ(onlyReply().status, 401);
  EXPECT_EQ(onlyReply().code, "900902");
  EXPECT_EQ(wwwAuthenticate(), "Bearer");
  EXPECT_TRUE(cb_.authenticated_by.empty());
  EXPECT_EQ(outcome("missing"), 1u);
}

TEST_F(JwtAuthnFilterTest, NotBearerIs401InvalidRequest) {
  run("GET", "/shop/items", {{"Authorization", "Basic dXNlcjpwYXNz"}});
  EXPECT_EQ(onlyReply().status, 401);
  EXPECT_EQ(wwwAuthenticate(), "Bearer error=\"invalid_request\"");
}

TEST_F(JwtAuthnFilterTest, InvalidTokensAre401InvalidTokenAndNeverEchoed) {
  const std::string good = token();
  std::string bad_signature = good;
  bad_signature.back() = bad_signature.back() == 'A' ? 'B' : 'A';
  std::string tampered = good;
  const size_t dot = tampered.find('.');
  tampered[dot + 5] = tampered[dot + 5] == 'x' ? 'y' : 'x';
  const std::string cases[] = {
      "not-a-jwt",
      bad_signature,
      tampered,
      token({{"iss", "https://evil.test"}}),
      token({{"aud", "http://other.test/"}}),
      token({{"exp", nullptr}}),
      token({}, {{"kid", "unknown"}}),
      testing::sign({{"alg", "none"}}, {{"iss", kIssuer}, {"exp", kNow + 60}}, key_),
      testing::sign({{"alg", "HS256"}}, {{"iss", kIssuer}, {"exp", kNow + 60}}, key_,
                    testing::publicPem(key_)),
  };
  for (const std::string& t : cases) {
    EXPECT_EQ(runBearer(t), http::FilterStatus::StopIteration) << t;
    EXPECT_EQ(onlyReply().status, 401) << onlyReply().description;
    EXPECT_EQ(onlyReply().code, "900901");
    EXPECT_EQ(wwwAuthenticate(), "Bearer error=\"invalid_token\"");
    EXPECT_EQ(onlyReply().description.find(t), std::string::npos);
    EXPECT_TRUE(cb_.authenticated_by.empty());
  }
}

TEST_F(JwtAuthnFilterTest, TimesWithSkew) {
  config_.security.timestamp_skew_ms = 5000;
  EXPECT_EQ(runBearer(token({{"exp", kNow - 4}})), http::FilterStatus::Continue);
  EXPECT_EQ(runBearer(token({{"exp", kNow - 6}})), http::FilterStatus::StopIteration);
  EXPECT_EQ(onlyReply().status, 401);
  EXPECT_EQ(runBearer(token({{"nbf", kNow + 60}})), http::FilterStatus::StopIteration);
  EXPECT_EQ(onlyReply().status, 401);
  EXPECT_EQ(outcome("expired"), 2u);
}

TEST_F(JwtAuthnFilterTest, MissingScopeIs403AndMappedClaimCounts) {
  EXPECT_EQ(runBearer(token(), "/shop/items", "POST"), http::FilterStatus::Continue)
      << "scp 'read write' maps to scope and holds 'write'";
  EXPECT_EQ(runBearer(token({{"scp", "read"}}), "/shop/items", "POST"),
            http::FilterStatus::StopIteration);
  EXPECT_EQ(onlyReply().status, 403);
  EXPECT_EQ(onlyReply().code, "900908");
  EXPECT_EQ(wwwAuthenticate(), "Bearer error=\"insufficient_scope\", scope=\"write admin\"");
  EXPECT_EQ(outcome("forbidden"), 1u);
}

TEST_F(JwtAuthnFilterTest, OpenAndApiKeyOnlyRoutesPassThroughUntouched) {
  EXPECT_EQ(run("GET", "/shop/health", {}), http::FilterStatus::Continue);
  EXPECT_TRUE(cb_.replies.empty());
  EXPECT_EQ(run("GET", "/shop/keyed", {}), http::FilterStatus::Continue);
  EXPECT_TRUE(cb_.replies.empty());
  EXPECT_TRUE(cb_.authenticated_by.empty()) << "the router refuses it";
  EXPECT_EQ(run("GET", "/elsewhere", {}), http::FilterStatus::Continue);
}

TEST_F(JwtAuthnFilterTest, ApiAuthHeaderAndConfiguredHeader) {
  useApi("X-Api-Token");
  EXPECT_EQ(run("GET", "/shop/items", {{"X-Api-Token", "Bearer " + token()}}),
            http::FilterStatus::Continue);
  EXPECT_FALSE(request_.headers.has("X-Api-Token"));
  useApi("");
  config_.security.authorization_header = "X-Gw-Auth";
  filter_config_.reset();
  EXPECT_EQ(runBearer(token()), http::FilterStatus::StopIteration);
  EXPECT_EQ(run("GET", "/shop/items", {{"X-Gw-Auth", "Bearer " + token()}}),
            http::FilterStatus::Continue);
}

TEST_F(JwtAuthnFilterTest, ClaimsHeaderReplacesTheClientsCopy) {
  config_.security.jwt_header_enabled = true;
  EXPECT_EQ(run("GET", "/shop/items",
                {{"Authorization", "Bearer " + token()}, {"X-JWT-Assertion", "forged"}}),
            http::FilterStatus::Continue);
  ASSERT_EQ(request_.headers.count("X-JWT-Assertion"), 1u);
  const std::string value = *request_.headers.get("X-JWT-Assertion");
  const size_t first = value.find('.'), second = value.rfind('.');
  ASSERT_NE(first, second);
  std::optional<std::string> claims = base64UrlDecode(value.substr(first + 1, second - first - 1));
  ASSERT_TRUE(claims.has_value());
  Json json = Json::parse(*claims);
  EXPECT_EQ(json["sub"], "app");
  EXPECT_EQ(json["scope"], "read write");
  EXPECT_FALSE(json.contains("scp"));
  // No credential: the forged header is dropped on the refusal path too.
  run("GET", "/shop/items", {{"X-JWT-Assertion", "forged"}});
  EXPECT_FALSE(request_.headers.has("X-JWT-Assertion"));
}

TEST_F(JwtAuthnFilterTest, CachedTokenStillExpiresAtItsOwnExp) {
  const std::string t = token({{"exp", kNow + 100}});
  EXPECT_EQ(runBearer(t), http::FilterStatus::Continue);
  EXPECT_EQ(runBearer(t), http::FilterStatus::Continue);
  EXPECT_EQ(outcome("success"), 1u);
  EXPECT_EQ(outcome("cache_hit"), 1u);
  EXPECT_EQ(filter_config_->cache->size(), 1u);
  now_ = kNow + 106;  // past exp + skew
  EXPECT_EQ(runBearer(t), http::FilterStatus::StopIteration);
  EXPECT_EQ(onlyReply().status, 401);
}

TEST_F(JwtAuthnFilterTest, RevokedJtiOrSignatureIs401EvenWhenCached) {
  build();
  token_revocation::RevocationStore store;
  auto with_store = std::make_shared<JwtAuthnConfig>(*filter_config_);
  with_store->revoked = &store;
  filter_config_ = with_store;
  const std::string t = token({{"jti", "rev-1"}});
  EXPECT_EQ(runBearer(t), http::FilterStatus::Continue);  // validated and cached
  store.publish(std::make_shared<const token_revocation::RevokedSet>(
      token_revocation::RevokedSet({"rev-1"})));
  EXPECT_EQ(runBearer(t), http::FilterStatus::StopIteration);
  EXPECT_EQ(onlyReply().status, 401);
  EXPECT_EQ(onlyReply().code, "900901");
  EXPECT_NE(wwwAuthenticate().find("invalid_token"), std::string::npos);
  EXPECT_EQ(outcome("revoked"), 1u);
  EXPECT_EQ(onlyReply().description.find(t.substr(t.rfind('.') + 1)), std::string::npos);

  // WSO2 also revokes by the signature segment.
  const std::string other = token({{"jti", "rev-2"}});
  store.publish(std::make_shared<const token_revocation::RevokedSet>(
      token_revocation::RevokedSet({other.substr(other.rfind('.') + 1)})));
  EXPECT_EQ(runBearer(other), http::FilterStatus::StopIteration);
  EXPECT_EQ(onlyReply().status, 401);
  EXPECT_EQ(runBearer(t), http::FilterStatus::Continue);  // rev-1 no longer listed
}

TEST_F(JwtAuthnFilterTest, CacheDisabled) {
  config_.security.cache_enabled = false;
  const std::string t = token();
  runBearer(t);
  runBearer(t);
  EXPECT_EQ(outcome("success"), 2u);
  EXPECT_EQ(outcome("cache_hit"), 0u);
}

TEST_F(JwtAuthnFilterTest, UnreadableCertificateAliasIsAStartUpError) {
  config_.security.jwt_issuers[0].certificate_alias = "/nonexistent/issuer.pem";
  auto built = buildConfig(config_, stats_, [] { return kNow; });
  ASSERT_FALSE(built.ok());
  EXPECT_NE(built.status().message().find("certificateAlias: cannot read /nonexistent/issuer.pem"),
            std::string::npos);
}

// Opaque tokens are refused unless oauth2_introspection comes later in the
// chain; then they are left to it (not authenticated, no reply).
TEST_F(JwtAuthnFilterTest, OpaqueTokensGoToIntrospectionOnlyWhenItIsInTheChain) {
  EXPECT_EQ(runBearer("opaque-token"), http::FilterStatus::StopIteration);
  EXPECT_EQ(onlyReply().status, 401);
  chain_ = {"jwt_authn", "oauth2_introspection", "router"};
  filter_config_ = nullptr;
  EXPECT_EQ(runBearer("opaque-token"), http::FilterStatus::Continue);
  EXPECT_TRUE(cb_.replies.empty());
  EXPECT_TRUE(cb_.authenticated_by.empty());
  EXPECT_TRUE(request_.headers.has("Authorization"));
  // Before jwt_authn it does not count.
  chain_ = {"oauth2_introspection", "jwt_authn", "router"};
  filter_config_ = nullptr;
  EXPECT_EQ(runBearer("opaque-token"), http::FilterStatus::StopIteration);
}

TEST_F(JwtAuthnFilterTest, UnknownIssuerIsIntrospectedOnlyWithEnableIntrospectForFailedJWT) {
  const std::string foreign = token({{"iss", "https://elsewhere/"}});
  chain_ = {"jwt_authn", "oauth2_introspection", "router"};
  filter_config_ = nullptr;
  EXPECT_EQ(runBearer(foreign), http::FilterStatus::StopIteration);
  EXPECT_EQ(onlyReply().status, 401);
  config_.security.introspect_failed_jwt = true;
  filter_config_ = nullptr;
  EXPECT_EQ(runBearer(foreign), http::FilterStatus::Continue);
  EXPECT_TRUE(cb_.replies.empty());
  EXPECT_TRUE(cb_.authenticated_by.empty());
  // A known issuer's bad token is still refused here.
  EXPECT_EQ(runBearer(token({{"exp", kNow - 3600}})), http::FilterStatus::StopIteration);
  EXPECT_EQ(onlyReply().status, 401);
}

TEST_F(JwtAuthnFilterTest, RequestsWithoutBearerGoToApiKeyOnRoutesThatAcceptKeys) {
  conf::ApiDefinition api;
  api.title = "both";
  api.base_path = "/both";
  conf::Operation op = operation("GET", "/x");
  op.security.api_key = true;
  api.operations = {op};
  std::vector<conf::ApiDefinition> apis;
  apis.push_back(std::move(api));
  routes_ = *router::RouteTable::build(std::move(apis));
  EXPECT_EQ(run("GET", "/both/x", {}), http::FilterStatus::StopIteration);
  chain_ = {"jwt_authn", "api_key", "router"};
  filter_config_ = nullptr;
  EXPECT_EQ(run("GET", "/both/x", {}), http::FilterStatus::Continue);
  EXPECT_TRUE(cb_.replies.empty());
}

}  // namespace
}  // namespace gw::filters::jwt_authn
