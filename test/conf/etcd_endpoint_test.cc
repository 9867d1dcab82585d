// etcd(<key>, <defaultUrl>) endpoint URLs (WSO2's service discovery form) and
// the values etcd holds for them.

#include "conf/etcd_endpoint.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "conf/loader.h"

namespace gw::conf {
namespace {

absl::StatusOr<ApiDefinition> apiWithUrl(const std::string& url) {
  const std::string yaml = absl::StrCat(
      "openapi: 3.0.0\n"
      "info: {title: Pets, version: 1.0.0}\n"
      "x-wso2-basePath: /pets\n"
      "x-wso2-production-endpoints:\n"
      "  urls: ['",
      url,
      "']\n"
      "x-wso2-disable-security: true\n"
      "paths:\n"
      "  /echo:\n"
      "    get: {summary: Echo}\n");
  return loadApiFromString(yaml, "pets.yaml");
}

TEST(EtcdEndpointTest, Recognised) {
  EXPECT_TRUE(isEtcdEndpoint("etcd(k, http://a/)"));
  EXPECT_TRUE(isEtcdEndpoint("  etcd (k,http://a/)"));
  EXPECT_TRUE(isEtcdEndpoint("ETCD(k, http://a/)"));
  EXPECT_FALSE(isEtcdEndpoint("http://etcd(k/"));
  EXPECT_FALSE(isEtcdEndpoint("etcd://host:2379/"));
  EXPECT_FALSE(isEtcdEndpoint("etcdhost:80"));
}

TEST(EtcdEndpointTest, GoodFormsGiveTheDefaultUrlAndTheKey) {
  struct Case {
    const char* text;
    const char* key;
    const char* host;
    uint16_t port;
    const char* base_path;
  };
  const Case cases[] = {
      {"etcd(pizzashackprod, https://localhost:9443/echo)", "pizzashackprod", "localhost",
       443 + 9000, "/echo"},
      {"etcd(petstore,http://10.0.0.5:8080/v1/)", "petstore", "10.0.0.5", 8080, "/v1"},
      {"  etcd ( /services/pets ,  http://[::1]/ )  ", "/services/pets", "::1", 80, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<ApiDefinition> api = apiWithUrl(c.text);
    ASSERT_TRUE(api.ok()) << api.status();
    ASSERT_EQ(api->production.urls.size(), 1u);
    const EndpointUrl& u = api->production.urls[0];
    EXPECT_EQ(u.etcd_key, c.key);
    EXPECT_EQ(u.host, c.host);
    EXPECT_EQ(u.port, c.port);
    EXPECT_EQ(u.base_path, c.base_path);
    EXPECT_EQ(u.url.rfind("http", 0), 0u) << "url holds the default URL: " << u.url;
  }
}

TEST(EtcdEndpointTest, PlainUrlsHaveNoKey) {
  absl::StatusOr<ApiDefinition> api = apiWithUrl("http://10.0.0.5:8080/");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->production.urls[0].etcd_key, "");
}

// Every refusal names the file, the location, the API and (when there is one)
// the key, and says what was expected.
TEST(EtcdEndpointTest, BadFormsNameTheApiAndTheKey) {
  struct Case {
    const char* text;
    std::vector<const char*> expected;
  };
  const Case cases[] = {
      {"etcd(petstore, http://a/", {"not closed", "etcd(<key>, <defaultUrl>)"}},
      {"etcd(, http://a/)", {"has no key", "etcd(<key>, <defaultUrl>)"}},
      {"etcd(petstore)", {"etcd key 'petstore'", "has no default URL"}},
      {"etcd(petstore, )", {"etcd key 'petstore'", "the default URL is empty"}},
      {"etcd(petstore, http://a/, http://b/)", {"etcd key 'petstore'", "more than two arguments"}},
      {"etcd(pet store, http://a/)", {"'pet store'", "must not contain blanks"}},
      {"etcd(\"petstore\", http://a/)", {"must not contain blanks, quotes"}},
      {"etcd(petstore, ftp://a/)", {"etcd key 'petstore' default URL", "unsupported scheme 'ftp'"}},
      {"etcd(petstore, a:80/x)", {"etcd key 'petstore' default URL"}},
      {"etcd(petstore, http://u:p@a/)", {"etcd key 'petstore'", "credentials"}},
      {"etcd(petstore, etcd(other, http://a/))", {"etcd key 'petstore'", "plain http(s) URL"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<ApiDefinition> api = apiWithUrl(c.text);
    ASSERT_FALSE(api.ok());
    const std::string message(api.status().message());
    EXPECT_NE(message.find("pets.yaml: x-wso2-production-endpoints.urls[0]"), std::string::npos)
        << message;
    EXPECT_NE(message.find("API 'Pets'"), std::string::npos) << message;
    for (const char* part : c.expected) {
      EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
    }
    EXPECT_EQ(message.find(":p@"), std::string::npos) << "credentials echoed: " << message;
  }
}

TEST(EtcdEndpointTest, ResourceLevelEndpointsMayUseEtcdToo) {
  const std::string yaml =
      "openapi: 3.0.0\n"
      "info: {title: Pets, version: 1.0.0}\n"
      "x-wso2-basePath: /pets\n"
      "x-wso2-disable-security: true\n"
      "paths:\n"
      "  /echo:\n"
      "    get:\n"
      "      x-wso2-production-endpoints:\n"
      "        urls: ['etcd(orders, http://10.0.0.9/)']\n";
  absl::StatusOr<ApiDefinition> api = loadApiFromString(yaml, "pets.yaml");
  ASSERT_TRUE(api.ok()) << api.status();
  ASSERT_TRUE(api->operations[0].endpoint.has_value());
  EXPECT_EQ(api->operations[0].endpoint->urls[0].etcd_key, "orders");
}

TEST(EtcdEndpointTest, DiscoveredValues) {
  absl::StatusOr<EndpointUrl> u = parseDiscoveredUrl("petstore", " https://10.1.2.3:8443/v2/ \n");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "10.1.2.3");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->base_path, "/v2");
  EXPECT_EQ(u->etcd_key, "");

  const std::pair<const char*, const char*> bad[] = {
      {"", "the value is empty"},
      {"not a url", "etcd key 'petstore'"},
      {"ftp://a/", "unsupported scheme 'ftp'"},
      {"etcd(x, http://a/)", "not etcd(...)"},
      {"http://user:secret@a/", "credentials"},
  };
  for (const auto& [value, part] : bad) {
    SCOPED_TRACE(value);
    absl::StatusOr<EndpointUrl> r = parseDiscoveredUrl("petstore", value);
    ASSERT_FALSE(r.ok());
    const std::string message(r.status().message());
    EXPECT_NE(message.find("etcd key 'petstore'"), std::string::npos) << message;
    EXPECT_NE(message.find(part), std::string::npos) << message;
    EXPECT_EQ(message.find("secret"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace gw::conf
