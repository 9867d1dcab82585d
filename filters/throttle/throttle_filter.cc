#include "filters/throttle/throttle_filter.h"

#include <atomic>
#include <cstring>

#include "gateway/common/fast_random.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/router/route_table.h"

namespace gw::filters::throttle {
namespace {

constexpr const char* kCodes[kLevelCount] = {"900800", "900802", "900804", "900803"};
constexpr const char* kLevelNames[kLevelCount] = {"API", "resource", "subscription", "application"};

// A key built from parts, with its hash computed when first asked for
// (WindowCounters::hashOf) and kept while the key stays the same.
struct WorkerKey {
  std::string text;
  size_t hash = 0;
  bool has_hash = false;

  // text = a + b + c; unchanged (hash kept) when it is that already.
  void set(std::string_view a, std::string_view b, std::string_view c = {}) {
    if (text.size() == a.size() + b.size() + c.size() && same(0, a) && same(a.size(), b) &&
        same(a.size() + b.size(), c)) {
      return;
    }
    text.assign(a).append(b).append(c);
    has_hash = false;
  }
  bool same(size_t at, std::string_view part) const {
    return part.empty() || std::memcmp(text.data() + at, part.data(), part.size()) == 0;
  }
  HashedKey hashed() {
    if (!has_hash) {
      hash = WindowCounters::hashOf(text);
      has_hash = true;
    }
    return {text, hash};
  }
};

}  // namespace

ThrottleFilter::Caller ThrottleFilter::callerOf(const OperationPlan& plan) const {
  using PLevel = PolicySet::Level;
  Caller c;
  if (!decoder_callbacks_->authenticated()) {  // an open resource: the client IP
    c.app_id = decoder_callbacks_->downstreamAddress();
    c.user = "anonymous";
    c.app_tier = kUnlimited;
    c.sub_tier = kUnauthenticatedTier;
    c.sub_policy = config_->unauthenticated_policy;  // looked up at start-up
    return c;
  }
  const http::AuthIdentity& id = decoder_callbacks_->identity();
  c.app_id = id.application_id;
  c.user = id.subject;
  c.app_tier = id.application_tier.empty() ? std::string_view(kUnlimited) : id.application_tier;
  const http::ApiSubscription* sub = id.subscriptionFor(plan.api_name, plan.api_version);
  c.sub_tier = sub != nullptr && !sub->tier.empty() ? std::string_view(sub->tier) : "Default";
  c.sub_policy = config_->policies.find(PLevel::Subscription, c.sub_tier);
  // Unlimited is never a policy (PolicySet refuses to define it).
  if (c.app_tier != kUnlimited)
    c.app_policy = config_->policies.find(PLevel::Application, c.app_tier);
  return c;
}

http::FilterStatus ThrottleFilter::decodeHeaders(http::RequestHeaders& headers, bool) {
  const router::RouteMatch* route = decoder_callbacks_->route();
  if (route == nullptr || route->result != router::RouteMatch::Result::Matched) {
    return http::FilterStatus::Continue;
  }
  // A secured resource nobody authenticated: the router answers 401.
  if (route->secured() && !decoder_callbacks_->authenticated()) return http::FilterStatus::Continue;
  const OperationPlan* plan = config_->plan(route->operation);
  if (plan == nullptr) return http::FilterStatus::Continue;
  const Caller caller = callerOf(*plan);
  // This worker's keys, reused: no allocation per request. Only used until
  // decodeHeaders returns (the event is formatted at once). A key that is
  // already what this request needs (the same caller on the same API as the
  // worker's last request: a client's requests on one connection) keeps its
  // hash. The application key is built only when something reads it.
  thread_local WorkerKey app_key, sub_key;
  sub_key.set(caller.app_id, plan->sub_key_suffix);
  const bool need_app_key =
      caller.app_policy != nullptr || config_->tm != nullptr || !config_->blocked->empty();
  if (need_app_key) app_key.set(caller.app_id, ":", caller.user);
  const int64_t now = config_->now_ms();
  if (!config_->blocked->empty()) {
    const std::pair<const std::string*, Level> keys[] = {{&plan->api_key, Level::Api},
                                                         {&plan->resource_key, Level::Resource},
                                                         {&sub_key.text, Level::Subscription},
                                                         {&app_key.text, Level::Application}};
    for (const auto& [key, level] : keys) {
      if (int64_t until = config_->blocked->blockedUntil(*key, now)) {
        return refuse(level, *key, "", until, now, /*by_traffic_manager=*/true);
      }
    }
  }
  if (const Policy* p = plan->policy) {
    const bool api = plan->level == Level::Api;
    const std::string& key = api ? plan->api_key : plan->resource_key;
    const HashedKey hashed{key, api ? plan->api_key_hash : plan->resource_key_hash};
    WindowCounters::Result r = config_->counters->consume(hashed, p->count, p->window_ms, now);
    if (!r.allowed) return refuse(plan->level, key, p->name, r.window_end_ms, now, false);
  }
  if (const Policy* p = caller.sub_policy) {
    WindowCounters::Result r =
        config_->counters->consume(sub_key.hashed(), p->count, p->window_ms, now);
    if (!r.allowed && p->stop_on_quota_reach) {
      return refuse(Level::Subscription, sub_key.text, p->name, r.window_end_ms, now, false);
    }
  }
  if (const Policy* p = caller.app_policy) {
    WindowCounters::Result r =
        config_->counters->consume(app_key.hashed(), p->count, p->window_ms, now);
    if (!r.allowed) {
      return refuse(Level::Application, app_key.text, p->name, r.window_end_ms, now, false);
    }
  }
  if (config_->tm) publish(*plan, caller, app_key.text, sub_key.text, headers);
  return http::FilterStatus::Continue;
}

http::FilterStatus ThrottleFilter::refuse(Level level, const std::string& key,
                                          const std::string& tier, int64_t until_ms, int64_t now_ms,
                                          bool by_traffic_manager) {
  const int i = static_cast<int>(level);
  if (by_traffic_manager) {
    config_->blocked_hits->inc();
  } else {
    config_->throttled[i]->inc();
  }
  const int64_t retry_after = std::max<int64_t>(1, (until_ms - now_ms + 999) / 1000);
  GW_LOG_INFO("throttle: ", kLevelNames[i], " key '", key, "' throttled out ",
              by_traffic_manager ? std::string("(blocked by the traffic manager)")
                                 : gw::cat("(policy ", tier, ")"),
              " for ", retry_after, " s");
  http::LocalReply reply;
  reply.status = 429;
  reply.code = kCodes[i];
  reply.message = "Message throttled out";
  reply.description = "You have exceeded your quota";
  reply.headers.add("Retry-After", std::to_string(retry_after));
  decoder_callbacks_->sendLocalReply(reply);
  return http::FilterStatus::StopIteration;
}

void ThrottleFilter::publish(const OperationPlan& plan, const Caller& caller,
                             const std::string& app_key, const std::string& sub_key,
                             const http::RequestHeaders& headers) {
  const std::string* request_id = headers.headers.get("X-Request-Id");
  char generated_id[36];
  ThrottleEvent e;
  if (request_id != nullptr) {
    e.message_id = *request_id;
  } else {
    gw::writeUuid4(generated_id);  // for events of requests without X-Request-Id
    e.message_id = std::string_view(generated_id, sizeof(generated_id));
  }
  e.app_key = app_key;
  e.app_tier = caller.app_tier;
  e.subscription_key = sub_key;
  e.subscription_tier = caller.sub_tier;
  e.user_id = caller.user;
  e.app_id = caller.app_id;
  e.client_ip = decoder_callbacks_->downstreamAddress();
  e.api = &plan.event;
  config_->tm->publish(e);
}

}  // namespace gw::filters::throttle
