#include "filters/throttle/config.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <chrono>

#include "absl/strings/str_join.h"
#include "filters/throttle/throttle_filter.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/http/filter_registry.h"
#include "gateway/router/route_table.h"

namespace gw::filters::throttle {
namespace {

constexpr const char* kLevelLabels[kLevelCount] = {"api", "resource", "subscription",
                                                   "application"};

int64_t wallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string basicAuthorization(const std::string& user_pass) {
  std::string out(4 * ((user_pass.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(user_pass.data()),
                                static_cast<int>(user_pass.size()));
  out.resize(static_cast<size_t>(n));
  return gw::cat("Basic ", out);
}

absl::Status unknownTier(const conf::ApiDefinition& api, const std::string& where,
                         const std::string& tier, const std::string& policies_file) {
  return absl::InvalidArgumentError(
      gw::cat(api.file, ": API '", api.title, "' ", where, " names throttling tier '", tier,
              "', which is not a resourcePolicies entry of ",
              policies_file.empty() ? "the built-in WSO2 policies" : policies_file,
              " (add it there, or use Unlimited or one of the policies listed)"));
}

// The plan of every operation of `api`; resource tiers under an API tier are
// ignored with one warning per API.
absl::Status planApi(const conf::ApiDefinition& api, ThrottleConfig& out,
                     const std::string& policies_file) {
  using PLevel = PolicySet::Level;
  const PolicySet& policies = out.policies;
  if (!api.throttling_tier.empty() && !policies.known(PLevel::Resource, api.throttling_tier)) {
    return unknownTier(api, "x-wso2-throttling-tier", api.throttling_tier, policies_file);
  }
  std::vector<std::string> ignored;
  for (const conf::Operation& op : api.operations) {
    OperationPlan plan;
    plan.api_name = api.title;
    plan.api_context = api.base_path;
    plan.api_version = api.version;
    plan.api_key = gw::cat(api.base_path, ":", api.version);
    plan.resource_key = gw::cat(api.base_path, "/", api.version, op.path_template, ":", op.method);
    plan.api_key_hash = WindowCounters::hashOf(plan.api_key);
    plan.resource_key_hash = WindowCounters::hashOf(plan.resource_key);
    plan.sub_key_suffix = gw::cat(":", api.base_path, ":", api.version);
    plan.api_tier = api.throttling_tier;
    plan.resource_tier = op.throttling_tier.empty() ? kUnlimited : op.throttling_tier;
    if (!api.throttling_tier.empty()) {
      if (!op.throttling_tier.empty()) ignored.push_back(gw::cat(op.method, " ", op.path_template));
      plan.policy = policies.find(PLevel::Resource, api.throttling_tier);
      plan.level = Level::Api;
    } else if (!op.throttling_tier.empty()) {
      if (!policies.known(PLevel::Resource, op.throttling_tier)) {
        return unknownTier(api, gw::cat("resource ", op.method, " ", op.path_template),
                           op.throttling_tier, policies_file);
      }
      plan.policy = policies.find(PLevel::Resource, op.throttling_tier);
      plan.level = Level::Resource;
    }
    plan.event = {plan.api_key,     plan.api_tier,    plan.resource_key, plan.resource_tier,
                  plan.api_context, plan.api_version, plan.api_name,     ""};
    if (!plan.api_tier.empty()) {
      plan.event.resource_key = plan.api_key;
      plan.event.resource_tier = plan.api_tier;
    }
    plan.event.finish();
    out.plans.emplace(&op, std::move(plan));
  }
  if (!ignored.empty()) {
    GW_LOG_WARN(api.file, ": API '", api.title, "' has the API-level throttling tier '",
                api.throttling_tier, "', so the resource tiers of ", absl::StrJoin(ignored, ", "),
                " are ignored (WSO2's rule); remove one or the other");
  }
  return absl::OkStatus();
}

void startTrafficManager(const conf::Config& config, stats::Store& stats, ThrottleConfig& out) {
  const conf::ThrottlingConfig& t = config.throttling;
  TrafficManagerClient::Options o;
  o.http_clients = config.http_clients;
  o.event_url = t.eventUrl();
  o.decision_url = t.decisionUrl();
  o.authorization = basicAuthorization(t.endpoint_credentials);
  o.queue_size = t.event_queue_size;
  o.batch_size = t.event_batch_size;
  o.poll_interval = std::chrono::milliseconds(t.decision_poll_ms);
  out.tm = TrafficManagerClient::start(std::move(o), stats, out.blocked);
  GW_LOG_INFO("throttle: events to the traffic manager at ", t.eventUrl(), " (",
              t.event_batch_size > 1 ? gw::cat("JSON arrays of up to ", t.event_batch_size)
                                     : std::string("one per POST"),
              ", queue ", t.event_queue_size, "); blocked keys from ", t.decisionUrl(), " every ",
              t.decision_poll_ms, " ms");
}

}  // namespace

absl::StatusOr<std::shared_ptr<const ThrottleConfig>> buildConfig(const conf::Config& config,
                                                                  const router::RouteTable* routes,
                                                                  stats::Store& stats,
                                                                  std::function<int64_t()> now_ms,
                                                                  bool start_tm) {
  auto out = std::make_shared<ThrottleConfig>();
  const std::string& file = config.throttling.policies_file;
  if (file.empty()) {
    out->policies = PolicySet::wso2Defaults();
  } else {
    absl::StatusOr<PolicySet> loaded = PolicySet::load(file);
    if (!loaded.ok()) return loaded.status();
    out->policies = *std::move(loaded);
  }
  if (routes != nullptr) {
    for (const auto& api : routes->apis()) {
      if (absl::Status s = planApi(api->api(), *out, file); !s.ok()) return s;
    }
  }
  out->unauthenticated_policy =
      out->policies.find(PolicySet::Level::Subscription, kUnauthenticatedTier);
  out->now_ms = now_ms ? std::move(now_ms) : wallClockMs;
  for (int i = 0; i < kLevelCount; ++i) {
    out->throttled[i] = &stats.counter("microgw_throttled_requests_total",
                                       "Requests refused with 429 by throttling level.",
                                       {{"level", kLevelLabels[i]}});
  }
  out->blocked_hits =
      &stats.counter("microgw_throttled_requests_total",
                     "Requests refused with 429 by throttling level.", {{"level", "blocked"}});
  if (start_tm && config.throttling.global_publishing) startTrafficManager(config, stats, *out);
  return std::shared_ptr<const ThrottleConfig>(std::move(out));
}

namespace {

absl::StatusOr<http::FilterFactoryCb> create(const YAML::Node& node,
                                             const http::FactoryContext& ctx) {
  if (node.IsDefined() && !node.IsNull() && (!node.IsMap() || node.size() > 0)) {
    return absl::InvalidArgumentError(
        "throttle takes no config here: it reads [throttlingConfig] from micro-gw.conf and the "
        "policies from policies.yaml (throttlingConfig.policiesFile)");
  }
  absl::StatusOr<std::shared_ptr<const ThrottleConfig>> config =
      buildConfig(ctx.config, ctx.routes, ctx.stats);
  if (!config.ok()) return config.status();
  const PolicySet& p = (*config)->policies;
  using PLevel = PolicySet::Level;
  GW_LOG_INFO("throttle: ", p.size(PLevel::Resource), " resource, ", p.size(PLevel::Application),
              " application and ", p.size(PLevel::Subscription), " subscription policies from ",
              ctx.config.throttling.policies_file.empty() ? "the built-in WSO2 defaults"
                                                          : ctx.config.throttling.policies_file);
  std::shared_ptr<const ThrottleConfig> shared = *std::move(config);
  return http::FilterFactoryCb([shared] { return std::make_unique<ThrottleFilter>(shared); });
}

const http::RegisterFilter kRegister("throttle", create);

}  // namespace
}  // namespace gw::filters::throttle
