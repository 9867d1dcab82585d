#include "conf/advance_endpoint_config.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "conf/status_macros.h"

namespace gw::conf {
namespace {

constexpr int64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
constexpr int64_t kDayMs = 24LL * 3600 * 1000;
// More retries than this only multiply the load on a backend that is down.
constexpr int64_t kMaxRetryCount = 100;
// A rolling window is summed on every failure: keep it short.
constexpr int64_t kMaxBuckets = 1000;

absl::StatusOr<double> yamlNumber(const YamlContext& ctx, const YAML::Node& node,
                                  const std::string& location, double min, double max) {
  double value = 0;
  if (!node.IsScalar() || !absl::SimpleAtod(node.Scalar(), &value) || !std::isfinite(value)) {
    return yamlError(ctx, location, "expected a number");
  }
  if (value < min || value > max) {
    return yamlError(ctx, location,
                     absl::StrCat("must be between ", min, " and ", max, ", got ", value));
  }
  return value;
}

absl::Status readU32(const YamlContext& ctx, const YAML::Node& node, const std::string& location,
                     const char* key, int64_t min, int64_t max, uint32_t& out) {
  if (!node[key]) return absl::OkStatus();
  absl::StatusOr<int64_t> value = yamlInt(ctx, node[key], joinLocation(location, key), min, max);
  if (!value.ok()) return value.status();
  out = static_cast<uint32_t>(*value);
  return absl::OkStatus();
}

absl::Status readStatusCodes(const YamlContext& ctx, const YAML::Node& node,
                             const std::string& location, std::vector<int>& out) {
  const std::string codes_location = joinLocation(location, "statusCodes");
  const YAML::Node codes = node["statusCodes"];
  if (!codes) return absl::OkStatus();
  if (!codes.IsSequence()) {
    return yamlError(ctx, codes_location,
                     absl::StrCat("expected a list of HTTP status codes such as [502, 503], got ",
                                  yamlTypeName(codes)));
  }
  for (size_t i = 0; i < codes.size(); ++i) {
    absl::StatusOr<int64_t> code =
        yamlInt(ctx, codes[i], absl::StrCat(codes_location, "[", i, "]"), 100, 599);
    if (!code.ok()) return code.status();
    out.push_back(static_cast<int>(*code));
  }
  return absl::OkStatus();
}

absl::StatusOr<RetryConfig> loadRetry(const YamlContext& ctx, const YAML::Node& node,
                                      const std::string& location) {
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, node, location));
  GW_CONF_RETURN_IF_ERROR(checkYamlKeys(
      ctx, node, location,
      {"count", "intervalInMillis", "backOffFactor", "maxWaitIntervalInMillis", "statusCodes"}));
  RetryConfig retry;
  GW_CONF_RETURN_IF_ERROR(readU32(ctx, node, location, "count", 0, kMaxRetryCount, retry.count));
  GW_CONF_RETURN_IF_ERROR(
      readU32(ctx, node, location, "intervalInMillis", 0, kDayMs, retry.interval_ms));
  GW_CONF_RETURN_IF_ERROR(readU32(ctx, node, location, "maxWaitIntervalInMillis", 0, kDayMs,
                                  retry.max_wait_interval_ms));
  if (node["backOffFactor"]) {
    absl::StatusOr<double> factor =
        yamlNumber(ctx, node["backOffFactor"], joinLocation(location, "backOffFactor"), 0.0, 100.0);
    if (!factor.ok()) return factor.status();
    retry.back_off_factor = *factor;
  }
  GW_CONF_RETURN_IF_ERROR(readStatusCodes(ctx, node, location, retry.status_codes));
  return retry;
}

absl::Status loadRollingWindow(const YamlContext& ctx, const YAML::Node& node,
                               const std::string& location, CircuitBreakerConfig& cb) {
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, node, location));
  GW_CONF_RETURN_IF_ERROR(checkYamlKeys(
      ctx, node, location, {"requestVolumeThreshold", "timeWindowInMillis", "bucketSizeInMillis"}));
  GW_CONF_RETURN_IF_ERROR(readU32(ctx, node, location, "requestVolumeThreshold", 0, kMaxU32,
                                  cb.request_volume_threshold));
  GW_CONF_RETURN_IF_ERROR(
      readU32(ctx, node, location, "timeWindowInMillis", 1, kDayMs, cb.time_window_ms));
  GW_CONF_RETURN_IF_ERROR(
      readU32(ctx, node, location, "bucketSizeInMillis", 1, kDayMs, cb.bucket_size_ms));
  if (cb.bucket_size_ms > cb.time_window_ms) {
    return yamlError(ctx, joinLocation(location, "bucketSizeInMillis"),
                     absl::StrCat("must not exceed timeWindowInMillis (", cb.time_window_ms,
                                  "), got ", cb.bucket_size_ms));
  }
  const int64_t buckets =
      (int64_t{cb.time_window_ms} + cb.bucket_size_ms - 1) / int64_t{cb.bucket_size_ms};
  if (buckets > kMaxBuckets) {
    return yamlError(ctx, joinLocation(location, "bucketSizeInMillis"),
                     absl::StrCat("makes ", buckets, " buckets in timeWindowInMillis; at most ",
                                  kMaxBuckets, " are allowed (use larger buckets)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<CircuitBreakerConfig> loadCircuitBreaker(const YamlContext& ctx,
                                                        const YAML::Node& node,
                                                        const std::string& location) {
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, node, location));
  GW_CONF_RETURN_IF_ERROR(
      checkYamlKeys(ctx, node, location,
                    {"rollingWindow", "failureThreshold", "resetTimeInMillis", "statusCodes"}));
  CircuitBreakerConfig cb;
  if (node["rollingWindow"]) {
    GW_CONF_RETURN_IF_ERROR(
        loadRollingWindow(ctx, node["rollingWindow"], joinLocation(location, "rollingWindow"), cb));
  }
  if (node["failureThreshold"]) {
    const std::string threshold_location = joinLocation(location, "failureThreshold");
    absl::StatusOr<double> threshold =
        yamlNumber(ctx, node["failureThreshold"], threshold_location,
                   std::numeric_limits<double>::lowest(), std::numeric_limits<double>::max());
    if (!threshold.ok()) return threshold.status();
    if (*threshold < 0.0 || *threshold > 1.0) {
      return yamlError(ctx, threshold_location,
                       absl::StrCat("is the ratio of failed requests, between 0.0 and 1.0 (0.2 "
                                    "opens the circuit when more than 20% fail), got ",
                                    *threshold));
    }
    cb.failure_threshold = *threshold;
  }
  GW_CONF_RETURN_IF_ERROR(
      readU32(ctx, node, location, "resetTimeInMillis", 1, kDayMs, cb.reset_time_ms));
  GW_CONF_RETURN_IF_ERROR(readStatusCodes(ctx, node, location, cb.status_codes));
  return cb;
}

}  // namespace

absl::Status loadAdvanceEndpointConfig(const YamlContext& ctx, const YAML::Node& node,
                                       const std::string& location, EndpointConfig& endpoint) {
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, node, location));
  GW_CONF_RETURN_IF_ERROR(
      checkYamlKeys(ctx, node, location, {"timeoutInMillis", "retryConfig", "circuitBreaker"}));
  GW_CONF_RETURN_IF_ERROR(
      readU32(ctx, node, location, "timeoutInMillis", 1, kMaxU32, endpoint.timeout_ms));
  if (node["retryConfig"]) {
    absl::StatusOr<RetryConfig> retry =
        loadRetry(ctx, node["retryConfig"], joinLocation(location, "retryConfig"));
    if (!retry.ok()) return retry.status();
    endpoint.retry = *std::move(retry);
  }
  if (node["circuitBreaker"]) {
    absl::StatusOr<CircuitBreakerConfig> cb =
        loadCircuitBreaker(ctx, node["circuitBreaker"], joinLocation(location, "circuitBreaker"));
    if (!cb.ok()) return cb.status();
    endpoint.circuit_breaker = *std::move(cb);
  }
  return absl::OkStatus();
}

}  // namespace gw::conf
