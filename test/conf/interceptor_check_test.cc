// x-wso2-request-interceptor / x-wso2-response-interceptor: an error naming
// the API and the resource and saying what to do instead.

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "conf/loader.h"

namespace gw::conf {
namespace {

constexpr char kHead[] = R"(openapi: 3.0.1
info: {title: Pets, version: '1'}
x-wso2-basePath: /pets
x-wso2-production-endpoints: {urls: ['http://127.0.0.1:8080']}
)";

TEST(Interceptors, OnAResourceNamesApiAndResource) {
  absl::StatusOr<ApiDefinition> api = loadApiFromString(absl::StrCat(kHead, R"(paths:
  /items/{id}:
    get: {}
    post:
      x-wso2-request-interceptor: validateRequest
)"),
                                                        "api.yaml");
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(api.status().message(),
            "api.yaml: paths./items/{id}.post.x-wso2-request-interceptor: API 'Pets', POST "
            "/items/{id}: microgw cannot run WSO2 request interceptors (Ballerina or Java code); "
            "write the same logic as a filter (its decodeHeaders method; see \"Interceptors\" in "
            "the README), add it to the filter chain, and remove x-wso2-request-interceptor from "
            "the definition");
}

TEST(Interceptors, OnTheApiMeansEveryResource) {
  absl::StatusOr<ApiDefinition> api = loadApiFromString(
      absl::StrCat(kHead, "x-wso2-response-interceptor: java:org.example.Interceptor\n",
                   "paths:\n  /items:\n    get: {}\n"),
      "api.yaml");
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(api.status().message(),
            "api.yaml: x-wso2-response-interceptor: API 'Pets', every resource: microgw cannot "
            "run WSO2 response interceptors (Ballerina or Java code); write the same logic as a "
            "filter (its encodeHeaders method; see \"Interceptors\" in the README), add it to the "
            "filter chain, and remove x-wso2-response-interceptor from the definition");
}

}  // namespace
}  // namespace gw::conf
