// advanceEndpointConfig: timeoutInMillis, retryConfig and circuitBreaker as
// WSO2 API Microgateway 3.2 spells them, and a typo at any depth is an error
// naming the API file and the key path, with a did-you-mean.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "conf/loader.h"

namespace gw::conf {
namespace {

constexpr char kHead[] =
    "openapi: 3.0.1\ninfo: {title: Flaky, version: '1'}\nx-wso2-basePath: /f\n";
constexpr char kPaths[] = "paths:\n  /a:\n    get: {}\n";

// An API whose production endpoint has `advance` (YAML lines indented by 4) as
// its advanceEndpointConfig.
std::string withAdvance(const std::string& advance) {
  return absl::StrCat(kHead,
                      "x-wso2-production-endpoints:\n  urls: [http://b:1]\n"
                      "  advanceEndpointConfig:\n",
                      advance, kPaths);
}

absl::StatusOr<ApiDefinition> load(const std::string& yaml) {
  return loadApiFromString(yaml, "apis/flaky.yaml", Environment{});
}

TEST(AdvanceEndpointConfig, WsoSampleIsRead) {
  absl::StatusOr<ApiDefinition> api =
      load(withAdvance("    timeoutInMillis: 2000\n"
                       "    retryConfig:\n"
                       "      count: 3\n"
                       "      intervalInMillis: 100\n"
                       "      backOffFactor: 2.0\n"
                       "      maxWaitIntervalInMillis: 1000\n"
                       "      statusCodes: [502, 503]\n"
                       "    circuitBreaker:\n"
                       "      rollingWindow:\n"
                       "        requestVolumeThreshold: 4\n"
                       "        timeWindowInMillis: 10000\n"
                       "        bucketSizeInMillis: 2000\n"
                       "      failureThreshold: 0.2\n"
                       "      resetTimeInMillis: 5000\n"
                       "      statusCodes: [500, 503]\n"));
  ASSERT_TRUE(api.ok()) << api.status();
  const EndpointConfig& ep = api->production;
  EXPECT_EQ(ep.timeout_ms, 2000u);
  EXPECT_EQ(ep.retry.count, 3u);
  EXPECT_EQ(ep.retry.interval_ms, 100u);
  EXPECT_DOUBLE_EQ(ep.retry.back_off_factor, 2.0);
  EXPECT_EQ(ep.retry.max_wait_interval_ms, 1000u);
  EXPECT_EQ(ep.retry.status_codes, (std::vector<int>{502, 503}));
  ASSERT_TRUE(ep.circuit_breaker.has_value());
  EXPECT_EQ(ep.circuit_breaker->request_volume_threshold, 4u);
  EXPECT_EQ(ep.circuit_breaker->time_window_ms, 10000u);
  EXPECT_EQ(ep.circuit_breaker->bucket_size_ms, 2000u);
  EXPECT_DOUBLE_EQ(ep.circuit_breaker->failure_threshold, 0.2);
  EXPECT_EQ(ep.circuit_breaker->reset_time_ms, 5000u);
  EXPECT_EQ(ep.circuit_breaker->status_codes, (std::vector<int>{500, 503}));
}

TEST(AdvanceEndpointConfig, Defaults) {
  absl::StatusOr<ApiDefinition> api =
      load(withAdvance("    retryConfig: {count: 2}\n    circuitBreaker: {}\n"));
  ASSERT_TRUE(api.ok()) << api.status();
  const EndpointConfig& ep = api->production;
  EXPECT_EQ(ep.timeout_ms, 60000u);
  EXPECT_EQ(ep.retry.count, 2u);
  EXPECT_EQ(ep.retry.interval_ms, 0u);
  EXPECT_DOUBLE_EQ(ep.retry.back_off_factor, 1.0);
  EXPECT_EQ(ep.retry.max_wait_interval_ms, 0u);
  EXPECT_TRUE(ep.retry.status_codes.empty());
  ASSERT_TRUE(ep.circuit_breaker.has_value());
  EXPECT_EQ(ep.circuit_breaker->request_volume_threshold, 10u);
  EXPECT_EQ(ep.circuit_breaker->time_window_ms, 60000u);
  EXPECT_EQ(ep.circuit_breaker->bucket_size_ms, 10000u);
  EXPECT_DOUBLE_EQ(ep.circuit_breaker->failure_threshold, 0.5);
  EXPECT_EQ(ep.circuit_breaker->reset_time_ms, 10000u);
}

TEST(AdvanceEndpointConfig, NoBlockMeansNoRetryAndNoBreaker) {
  absl::StatusOr<ApiDefinition> api =
      load(absl::StrCat(kHead, "x-wso2-production-endpoints: {urls: [http://b:1]}\n", kPaths));
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->production.retry.count, 0u);
  EXPECT_FALSE(api->production.circuit_breaker.has_value());
}

TEST(AdvanceEndpointConfig, PerResource) {
  absl::StatusOr<ApiDefinition> api = load(absl::StrCat(
      kHead, "x-wso2-production-endpoints: {urls: [http://b:1]}\n",
      "paths:\n  /a:\n    get:\n      x-wso2-production-endpoints:\n        urls: [http://c:2]\n"
      "        advanceEndpointConfig: {retryConfig: {count: 1, statusCodes: [503]}}\n"));
  ASSERT_TRUE(api.ok()) << api.status();
  ASSERT_TRUE(api->operations[0].endpoint.has_value());
  EXPECT_EQ(api->operations[0].endpoint->retry.count, 1u);
  EXPECT_EQ(api->production.retry.count, 0u);
}

struct ErrorCase {
  std::string advance;
  std::string expected;
};

TEST(AdvanceEndpointConfig, Errors) {
  const std::string loc = "apis/flaky.yaml: x-wso2-production-endpoints.advanceEndpointConfig";
  const std::string unknown =
      "apis/flaky.yaml: unknown key 'x-wso2-production-endpoints.advanceEndpointConfig";
  const ErrorCase cases[] = {
      // The typo the issue names: it used to be ignored and 60 s applied.
      {"    timeoutInMilis: 500\n", unknown + ".timeoutInMilis' (did you mean 'timeoutInMillis'?)"},
      {"    retryConfig: {count: 2, intervalInMilis: 10}\n",
       unknown + ".retryConfig.intervalInMilis' (did you mean 'intervalInMillis'?)"},
      {"    retryConfig: {backoffFactor: 2}\n",
       unknown + ".retryConfig.backoffFactor' (did you mean 'backOffFactor'?)"},
      {"    circuitBreaker: {rollingWindow: {requestVolumeTreshold: 3}}\n",
       unknown + ".circuitBreaker.rollingWindow.requestVolumeTreshold' (did you mean "
                 "'requestVolumeThreshold'?)"},
      {"    circuitBreaker: {resetTimeInMilis: 3}\n",
       unknown + ".circuitBreaker.resetTimeInMilis' (did you mean 'resetTimeInMillis'?)"},
      {"    circuitbreaker: {}\n", unknown + ".circuitbreaker' (did you mean 'circuitBreaker'?)"},
      {"    retryConfig: 3\n", loc + ".retryConfig: expected a map, got a scalar"},
      {"    retryConfig: {count: -1}\n",
       loc + ".retryConfig.count: must be between 0 and 100, got -1"},
      {"    retryConfig: {backOffFactor: fast}\n",
       loc + ".retryConfig.backOffFactor: expected a number"},
      {"    retryConfig: {statusCodes: 503}\n",
       loc + ".retryConfig.statusCodes: expected a list of HTTP status codes such as [502, 503], "
             "got a scalar"},
      {"    retryConfig: {statusCodes: [503, 700]}\n",
       loc + ".retryConfig.statusCodes[1]: must be between 100 and 599, got 700"},
      {"    circuitBreaker: {failureThreshold: 20}\n",
       loc + ".circuitBreaker.failureThreshold: is the ratio of failed requests, between 0.0 and "
             "1.0 (0.2 opens the circuit when more than 20% fail), got 20"},
      {"    circuitBreaker: {failureThreshold: -0.1}\n",
       loc + ".circuitBreaker.failureThreshold: is the ratio of failed requests, between 0.0 and "
             "1.0 (0.2 opens the circuit when more than 20% fail), got -0.1"},
      {"    circuitBreaker: {rollingWindow: {timeWindowInMillis: 1000, bucketSizeInMillis: "
       "2000}}\n",
       loc + ".circuitBreaker.rollingWindow.bucketSizeInMillis: must not exceed timeWindowInMillis "
             "(1000), got 2000"},
      {"    circuitBreaker: {rollingWindow: {timeWindowInMillis: 60000, bucketSizeInMillis: "
       "1}}\n",
       loc + ".circuitBreaker.rollingWindow.bucketSizeInMillis: makes 60000 buckets in "
             "timeWindowInMillis; at most 1000 are allowed (use larger buckets)"},
      {"    circuitBreaker: {resetTimeInMillis: 0}\n",
       loc + ".circuitBreaker.resetTimeInMillis: must be between 1 and 86400000, got 0"},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<ApiDefinition> api = load(withAdvance(c.advance));
    ASSERT_FALSE(api.ok()) << c.advance;
    EXPECT_EQ(api.status().message(), c.expected) << c.advance;
  }
}

}  // namespace
}  // namespace gw::conf
