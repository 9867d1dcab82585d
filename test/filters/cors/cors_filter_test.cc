// cors filter: preflights answered locally (also on secured resources, without
// a token), response headers for allowed origins only, "*" never with
// credentials, Vary: Origin, the backend's own CORS headers dropped.

#include "filters/cors/cors_filter.h"

#include <gtest/gtest.h>

#include "filters/cors/config.h"
#include "gateway/router/route_table.h"
#include "gateway/stats/stats.h"
#include "test/mocks/filter_callbacks.h"

namespace gw::filters::cors {
namespace {

using http::FilterStatus;

conf::Operation operation(const std::string& method, const std::string& path, bool open) {
  conf::Operation op;
  op.method = method;
  op.path_template = path;
  op.disable_security = open;
  return op;
}

conf::CorsConfig policy(std::vector<std::string> origins, bool credentials = false) {
  conf::CorsConfig cors;
  cors.enabled = true;
  cors.allow_origins = std::move(origins);
  cors.allow_methods = {"GET", "POST", "PUT"};
  cors.allow_headers = {"Authorization", "Content-Type"};
  cors.allow_credentials = credentials;
  return cors;
}

http::RequestHeaders request(const std::string& method, const std::string& path,
                             std::vector<std::pair<std::string, std::string>> headers) {
  http::RequestHeaders h;
  h.method = method;
  h.path = path;
  for (auto& [name, value] : headers) h.headers.add(name, value);
  return h;
}

class CorsFilterTest : public ::testing::Test {
 protected:
  // One API at /shop: GET/POST /items secured, OPTIONS /items/{id} secured, GET /open open.
  void serve(conf::CorsConfig cors) {
    conf::ApiDefinition api;
    api.title = "shop";
    api.file = "shop.yaml";
    api.base_path = "/shop";
    api.cors = std::move(cors);
    api.operations = {operation("GET", "/items", false), operation("POST", "/items", false),
                      operation("OPTIONS", "/items/{id}", false), operation("GET", "/open", true)};
    std::vector<conf::ApiDefinition> apis;
    apis.push_back(std::move(api));
    routes_ = *router::RouteTable::build(std::move(apis));
  }

  // Runs decodeHeaders for `h` on a fresh filter; returns its status.
  FilterStatus decode(http::RequestHeaders h) {
    match_ = routes_->match(h.method, h.path);
    decoder_ = test::FakeDecoderFilterCallbacks();
    decoder_.route_ = &match_;
    filter_ = std::make_unique<CorsFilter>(config_);
    filter_->setDecoderFilterCallbacks(decoder_);
    filter_->setEncoderFilterCallbacks(encoder_);
    return filter_->decodeHeaders(h, true);
  }

  // The response headers after the filter's encodeHeaders.
  http::HeaderMap encode(http::HeaderMap backend = {}) {
    http::ResponseHeaders response;
    response.headers = std::move(backend);
    EXPECT_EQ(filter_->encodeHeaders(response, false), FilterStatus::Continue);
    return response.headers;
  }

  std::string header(const http::HeaderMap& h, const std::string& name) {
    const std::string* v = h.get(name);
    return v == nullptr ? "<none>" : *v;
  }

  stats::Store stats_;
  std::shared_ptr<CorsFilterConfig> config_ = [this] {
    auto c = std::make_shared<CorsFilterConfig>();
    c->preflights_allowed = &stats_.counter("p", "h", {{"result", "allowed"}});
    c->preflights_refused = &stats_.counter("p", "h", {{"result", "refused"}});
    return c;
  }();
  std::shared_ptr<const router::RouteTable> routes_;
  router::RouteMatch match_;
  test::FakeDecoderFilterCallbacks decoder_;
  test::FakeEncoderFilterCallbacks encoder_;
  std::unique_ptr<CorsFilter> filter_;
};

http::RequestHeaders preflight(const std::string& origin, const std::string& method = "POST",
                               const std::string& path = "/shop/items") {
  return request("OPTIONS", path,
                 {{"Origin", origin},
                  {"Access-Control-Request-Method", method},
                  {"Access-Control-Request-Headers", "content-type, authorization"}});
}

TEST_F(CorsFilterTest, PreflightFromAllowedOriginIsAnsweredWithoutReachingAuth) {
  serve(policy({"https://app.example.com"}, true));
  // /shop/items is secured and has no OPTIONS operation: the router would say 405,
  // and an auth filter 401. The preflight carries no token.
  EXPECT_EQ(decode(preflight("https://app.example.com")), FilterStatus::StopIteration);
  ASSERT_EQ(decoder_.replies.size(), 1u);
  const http::LocalReply& reply = decoder_.replies[0];
  EXPECT_EQ(reply.status, 204);
  EXPECT_EQ(header(reply.headers, "Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(header(reply.headers, "Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(header(reply.headers, "Access-Control-Allow-Methods"), "GET, POST, PUT");
  EXPECT_EQ(header(reply.headers, "Access-Control-Allow-Headers"), "Authorization, Content-Type");
  EXPECT_TRUE(http::hasToken(header(reply.headers, "Vary"), "Origin"));
  EXPECT_TRUE(decoder_.authenticated_by.empty());  // nothing marked authenticated
  EXPECT_EQ(stats_.counter("p", "h", {{"result", "allowed"}}).value(), 1u);
  // The local reply runs through this filter's encode path: nothing is added twice.
  http::HeaderMap out = encode(reply.headers);
  EXPECT_EQ(out.count("Access-Control-Allow-Origin"), 1u);
}

TEST_F(CorsFilterTest, PreflightOnSecuredOptionsOperationIsStillAnsweredHere) {
  serve(policy({"https://app.example.com"}));
  EXPECT_EQ(decode(preflight("https://app.example.com", "GET", "/shop/items/7")),
            FilterStatus::StopIteration);
  ASSERT_EQ(decoder_.replies.size(), 1u);
  EXPECT_EQ(decoder_.replies[0].status, 204);
}

TEST_F(CorsFilterTest, OptionsWithoutPreflightHeadersGoesOnUnchanged) {
  serve(policy({"*"}));
  // No Access-Control-Request-Method: an ordinary OPTIONS (405 or its secured operation).
  EXPECT_EQ(decode(request("OPTIONS", "/shop/items/7", {{"Origin", "https://x.example"}})),
            FilterStatus::Continue);
  EXPECT_TRUE(decoder_.replies.empty());
  // No Origin at all.
  EXPECT_EQ(decode(request("OPTIONS", "/shop/items", {{"Access-Control-Request-Method", "GET"}})),
            FilterStatus::Continue);
  EXPECT_TRUE(decoder_.replies.empty());
}

TEST_F(CorsFilterTest, PreflightRefusals) {
  struct Case {
    http::RequestHeaders request;
    std::string why;
  };
  serve(policy({"https://app.example.com"}));
  const Case cases[] = {
      {preflight("https://evil.example"), "Origin is not in accessControlAllowOrigins"},
      {preflight("https://app.example.com.evil.example"), "Origin is not in"},
      {preflight("http://app.example.com"), "Origin is not in"},  // other scheme
      {preflight("https://app.example.com", "DELETE"), "not in accessControlAllowMethods"},
      {request("OPTIONS", "/shop/items",
               {{"Origin", "https://app.example.com"},
                {"Access-Control-Request-Method", "GET"},
                {"Access-Control-Request-Headers", "x-secret"}}),
       "'x-secret' is not in accessControlAllowHeaders"},
      {request("OPTIONS", "/shop/items",
               {{"Origin", "https://app.example.com"},
                {"Access-Control-Request-Method", "GET"},
                {"Access-Control-Request-Headers", "a b"}}),
       "not a list of header names"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(decode(c.request), FilterStatus::StopIteration) << c.why;
    ASSERT_EQ(decoder_.replies.size(), 1u) << c.why;
    const http::LocalReply& reply = decoder_.replies[0];
    EXPECT_EQ(reply.status, 403) << c.why;
    EXPECT_NE(reply.description.find(c.why), std::string::npos) << reply.description;
    EXPECT_NE(reply.description.find("API 'shop'"), std::string::npos) << reply.description;
    EXPECT_FALSE(reply.headers.has("Access-Control-Allow-Origin")) << c.why;
    EXPECT_FALSE(reply.headers.has("Access-Control-Allow-Credentials")) << c.why;
    // The refused origin is never echoed.
    EXPECT_EQ(reply.description.find("evil"), std::string::npos) << reply.description;
  }
  EXPECT_EQ(stats_.counter("p", "h", {{"result", "refused"}}).value(), 6u);
}

TEST_F(CorsFilterTest, ActualRequestFromAllowedOriginGetsHeaders) {
  serve(policy({"https://app.example.com"}, true));
  EXPECT_EQ(decode(request("GET", "/shop/open", {{"Origin", "https://APP.example.com"}})),
            FilterStatus::Continue);
  http::HeaderMap backend;
  backend.add("Access-Control-Allow-Origin", "https://evil.example");  // the backend's own
  backend.add("Access-Control-Allow-Methods", "*");
  backend.add("Vary", "Accept-Encoding");
  http::HeaderMap out = encode(std::move(backend));
  // The configured origin, not the request's bytes.
  EXPECT_EQ(header(out, "Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(out.count("Access-Control-Allow-Origin"), 1u);
  EXPECT_EQ(header(out, "Access-Control-Allow-Credentials"), "true");
  EXPECT_FALSE(out.has("Access-Control-Allow-Methods"));
  EXPECT_EQ(header(out, "Vary"), "Accept-Encoding, Origin");
  // Several Vary fields are merged; one already naming Origin is kept as is.
  decode(request("GET", "/shop/open", {{"Origin", "https://app.example.com"}}));
  http::HeaderMap two;
  two.add("Vary", "Accept-Encoding");
  two.add("Vary", "Accept-Language");
  out = encode(std::move(two));
  EXPECT_EQ(out.count("Vary"), 1u);
  EXPECT_EQ(header(out, "Vary"), "Accept-Encoding, Accept-Language, Origin");
  decode(request("GET", "/shop/open", {{"Origin", "https://app.example.com"}}));
  http::HeaderMap has;
  has.add("Vary", "origin");
  EXPECT_EQ(header(encode(std::move(has)), "Vary"), "origin");
}

TEST_F(CorsFilterTest, DisallowedOriginGetsNoCorsHeadersButTheRequestGoesOn) {
  serve(policy({"https://app.example.com"}, true));
  EXPECT_EQ(decode(request("GET", "/shop/open", {{"Origin", "https://evil.example"}})),
            FilterStatus::Continue);
  http::HeaderMap backend;
  backend.add("Access-Control-Allow-Origin", "https://evil.example");
  backend.add("Access-Control-Allow-Credentials", "true");
  http::HeaderMap out = encode(std::move(backend));
  EXPECT_FALSE(out.has("Access-Control-Allow-Origin"));
  EXPECT_FALSE(out.has("Access-Control-Allow-Credentials"));
  EXPECT_EQ(header(out, "Vary"), "Origin");
}

TEST_F(CorsFilterTest, WildcardNeverCarriesCredentials) {
  serve(policy({"*", "https://trusted.example"}, true));
  EXPECT_EQ(decode(request("GET", "/shop/open", {{"Origin", "https://any.example"}})),
            FilterStatus::Continue);
  http::HeaderMap out = encode();
  EXPECT_EQ(header(out, "Access-Control-Allow-Origin"), "*");
  EXPECT_FALSE(out.has("Access-Control-Allow-Credentials"));
  EXPECT_FALSE(out.has("Vary"));  // "*" does not depend on the Origin
  // A listed origin beats "*" and gets credentials.
  decode(request("GET", "/shop/open", {{"Origin", "https://trusted.example"}}));
  out = encode();
  EXPECT_EQ(header(out, "Access-Control-Allow-Origin"), "https://trusted.example");
  EXPECT_EQ(header(out, "Access-Control-Allow-Credentials"), "true");
  // Preflight from an origin only "*" allows: no credentials either.
  decode(preflight("https://any.example", "GET"));
  ASSERT_EQ(decoder_.replies.size(), 1u);
  EXPECT_EQ(header(decoder_.replies[0].headers, "Access-Control-Allow-Origin"), "*");
  EXPECT_FALSE(decoder_.replies[0].headers.has("Access-Control-Allow-Credentials"));
}

TEST_F(CorsFilterTest, WildcardMethodsAndHeadersReflectOnlyWhatWasAsked) {
  conf::CorsConfig cors = policy({"https://app.example.com"}, true);
  cors.allow_methods = {"*"};
  cors.allow_headers = {"*"};
  serve(cors);
  decode(request("OPTIONS", "/shop/items",
                 {{"Origin", "https://app.example.com"},
                  {"Access-Control-Request-Method", "PATCH"},
                  {"Access-Control-Request-Headers", "X-Trace, authorization"}}));
  ASSERT_EQ(decoder_.replies.size(), 1u);
  const http::HeaderMap& h = decoder_.replies[0].headers;
  EXPECT_EQ(decoder_.replies[0].status, 204);
  EXPECT_EQ(header(h, "Access-Control-Allow-Methods"), "PATCH");
  EXPECT_EQ(header(h, "Access-Control-Allow-Headers"), "X-Trace, authorization");
}

TEST_F(CorsFilterTest, ExposeHeaders) {
  conf::CorsConfig cors = policy({"*"});
  cors.expose_headers = {"X-Request-Id", "X-RateLimit-Remaining"};
  serve(cors);
  decode(request("POST", "/shop/items", {{"Origin", "https://a.example"}}));
  EXPECT_EQ(header(encode(), "Access-Control-Expose-Headers"),
            "X-Request-Id, X-RateLimit-Remaining");
}

TEST_F(CorsFilterTest, NothingForApisWithoutCorsOrRequestsWithoutMatch) {
  conf::CorsConfig disabled = policy({"*"});
  disabled.enabled = false;  // corsConfigurationEnabled: false
  serve(disabled);
  EXPECT_EQ(decode(preflight("https://a.example")), FilterStatus::Continue);
  EXPECT_TRUE(decoder_.replies.empty());
  http::HeaderMap backend;
  backend.add("Access-Control-Allow-Origin", "https://backend.example");
  http::HeaderMap out = encode(backend);
  EXPECT_EQ(header(out, "Access-Control-Allow-Origin"), "https://backend.example");  // untouched
  EXPECT_FALSE(out.has("Vary"));
  // A path of no API: the router's 404 answers.
  serve(policy({"*"}));
  EXPECT_EQ(decode(preflight("https://a.example", "GET", "/elsewhere")), FilterStatus::Continue);
  EXPECT_TRUE(decoder_.replies.empty());
}

TEST_F(CorsFilterTest, ResponseToRequestWithoutOriginVariesOnOrigin) {
  serve(policy({"https://app.example.com"}));
  decode(request("GET", "/shop/open", {}));
  http::HeaderMap out = encode();
  EXPECT_FALSE(out.has("Access-Control-Allow-Origin"));
  EXPECT_EQ(header(out, "Vary"), "Origin");  // a cache must not give it to a CORS request
}

TEST(DecideOrigin, Table) {
  struct Case {
    std::vector<std::string> origins;
    bool credentials;
    std::string origin;
    bool allowed;
    std::string allow_origin;
    bool send_credentials;
  };
  const Case cases[] = {
      {{"https://a.example"}, false, "https://a.example", true, "https://a.example", false},
      {{"https://a.example"}, true, "https://a.example", true, "https://a.example", true},
      {{"https://a.example"}, true, "https://A.EXAMPLE", true, "https://a.example", true},
      {{"https://a.example"}, true, "https://a.example:443", false, "", false},
      {{"https://a.example"}, true, "https://b.example", false, "", false},
      {{"https://a.example"}, true, "null", false, "", false},
      {{"*"}, false, "null", true, "*", false},
      {{"*"}, true, "https://b.example", true, "*", false},
      {{}, false, "https://a.example", false, "", false},
  };
  for (const Case& c : cases) {
    conf::CorsConfig cors;
    cors.enabled = true;
    cors.allow_origins = c.origins;
    cors.allow_credentials = c.credentials;
    OriginDecision d = decideOrigin(cors, c.origin);
    EXPECT_EQ(d.allowed, c.allowed) << c.origin;
    EXPECT_EQ(d.allow_origin, c.allow_origin) << c.origin;
    EXPECT_EQ(d.credentials, c.send_credentials) << c.origin;
  }
}

TEST(PolicyWarnings, WildcardWithCredentialsAndAuthBeforeCors) {
  conf::ApiDefinition api;
  api.title = "shop";
  api.file = "apis/shop.yaml";
  api.cors.enabled = true;
  api.cors.allow_origins = {"*"};
  api.cors.allow_credentials = true;
  std::vector<std::string> warnings =
      policyWarnings(api, {"request_id", "jwt_authn", "cors", "router"});
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("apis/shop.yaml: API 'shop'"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("accessControlAllowCredentials"), std::string::npos);
  EXPECT_NE(warnings[1].find("jwt_authn before cors"), std::string::npos) << warnings[1];
  api.cors.allow_credentials = false;
  EXPECT_TRUE(policyWarnings(api, {"cors", "jwt_authn", "router"}).empty());
  api.cors.enabled = false;
  api.cors.allow_credentials = true;
  EXPECT_TRUE(policyWarnings(api, {"jwt_authn", "cors", "router"}).empty());
}

}  // namespace
}  // namespace gw::filters::cors
