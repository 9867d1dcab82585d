// Endpoint URLs with a query string (WSO2 accepts them and sends the query
// before the request's own); a fragment is still refused.

#include "conf/endpoint_loader.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "conf/yaml_util.h"

namespace gw::conf {
namespace {

TEST(ParseEndpointUrl, KeepsTheQuery) {
  const YamlContext ctx{"api.yaml", nullptr, ""};
  const struct {
    const char* url;
    const char* base_path;
    const char* query;
  } cases[] = {
      {"http://h:8080/base/?key=abc&v=2", "/base", "key=abc&v=2"},
      {"https://h?key=abc", "", "key=abc"},
      {"http://h/base?", "/base", ""},
      {"http://h/base", "/base", ""},
  };
  for (const auto& c : cases) {
    absl::StatusOr<EndpointUrl> url = parseEndpointUrl(ctx, c.url, "urls[0]");
    ASSERT_TRUE(url.ok()) << url.status();
    EXPECT_EQ(url->base_path, c.base_path) << c.url;
    EXPECT_EQ(url->query, c.query) << c.url;
    EXPECT_EQ(url->url, c.url);
  }
}

TEST(ParseEndpointUrl, RefusesFragmentsAndBlanksInTheQuery) {
  const YamlContext ctx{"api.yaml", nullptr, ""};
  absl::StatusOr<EndpointUrl> url = parseEndpointUrl(ctx, "http://h/?a=1#top", "urls[0]");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.status().message(),
            "api.yaml: urls[0]: 'http://h/?a=1#top' must not have a fragment ('#')");
  url = parseEndpointUrl(ctx, "http://h/?a=\x01", "urls[0]");
  ASSERT_FALSE(url.ok());
  EXPECT_NE(url.status().message().find("percent-encode it"), std::string::npos) << url.status();
}

absl::StatusOr<EndpointConfig> load(const std::string& yaml) {
  const YamlContext ctx{"api.yaml", nullptr, ""};
  return loadEndpoint(ctx, YAML::Load(yaml), "x-wso2-production-endpoints");
}

TEST(LoadEndpoint, Http2PriorKnowledge) {
  absl::StatusOr<EndpointConfig> ep = load("{urls: ['http://h:50051'], http2: prior-knowledge}");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_TRUE(ep->http2_prior_knowledge);
  ep = load("{urls: ['http://h:50051'], http2: 'off'}");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_FALSE(ep->http2_prior_knowledge);
  ep = load("{urls: ['http://h:50051']}");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_FALSE(ep->http2_prior_knowledge);
}

TEST(LoadEndpoint, Http2MistakesAreErrors) {
  absl::StatusOr<EndpointConfig> ep = load("{urls: ['http://h'], http2: prior-knowlege}");
  ASSERT_FALSE(ep.ok());
  EXPECT_EQ(ep.status().message(),
            "api.yaml: x-wso2-production-endpoints.http2: expected prior-knowledge or off, got "
            "'prior-knowlege'");
  ep = load("{urls: ['http://h'], htp2: prior-knowledge}");
  ASSERT_FALSE(ep.ok());
  EXPECT_NE(ep.status().message().find("http2"), std::string::npos) << ep.status();
  ep = load("{urls: ['http://h', 'https://h'], http2: prior-knowledge}");
  ASSERT_FALSE(ep.ok());
  EXPECT_NE(ep.status().message().find("urls[1]"), std::string::npos) << ep.status();
  EXPECT_NE(ep.status().message().find("ALPN"), std::string::npos) << ep.status();
}

}  // namespace
}  // namespace gw::conf
