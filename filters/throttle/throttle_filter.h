#pragma once

// The throttle filter: WSO2's API, resource, subscription and application
// rate limits, enforced locally with exact fixed-window counts shared by all
// workers, plus the keys the traffic manager blocked. Put it after the
// authentication filters (it reads the identity they publish) and before the
// router.
//
// Per request on a matched operation (secured ones only once authenticated):
//  1. a key the traffic manager blocked (API, resource, subscription or
//     application key) -> 429 until the block's expiry;
//  2. the API's tier, else the resource's, over key
//     "<context>:<version>" or "<context>/<version><template>:<METHOD>";
//  3. the subscription tier over "<appId>:<context>:<version>";
//  4. the application tier over "<appId>:<user>".
// The caller is the validated credential's subject and application; on an
// open resource it is the client IP (application = IP, user "anonymous",
// subscription tier Unauthenticated, application tier Unlimited). A token
// without tiers counts as subscription tier Default, application Unlimited.
// Over a limit: 429 with Retry-After (seconds to the window's end) and WSO2's
// code: 900800 API, 900802 resource, 900803 application, 900804 subscription.
// With the traffic manager enabled, every admitted request becomes one event.
//
// One filter per request, worker thread only; the config is shared.

#include <memory>
#include <string_view>

#include "filters/throttle/config.h"
#include "gateway/http/filter.h"

namespace gw::filters::throttle {

class ThrottleFilter : public http::PassThroughFilter {
 public:
  explicit ThrottleFilter(std::shared_ptr<const ThrottleConfig> config)
      : config_(std::move(config)) {}

  http::FilterStatus decodeHeaders(http::RequestHeaders& headers, bool end_stream) override;

 private:
  // Views into the stream's identity and address (or literals): valid for
  // the request.
  struct Caller {
    std::string_view app_id;
    std::string_view user;
    std::string_view app_tier;
    std::string_view sub_tier;
    const Policy* sub_policy = nullptr;  // of sub_tier; null for none (or Unlimited)
    const Policy* app_policy = nullptr;  // of app_tier
  };
  Caller callerOf(const OperationPlan& plan) const;
  // Sends the 429 and returns StopIteration.
  http::FilterStatus refuse(Level level, const std::string& key, const std::string& tier,
                            int64_t until_ms, int64_t now_ms, bool by_traffic_manager);
  void publish(const OperationPlan& plan, const Caller& caller, const std::string& app_key,
               const std::string& sub_key, const http::RequestHeaders& headers);

  std::shared_ptr<const ThrottleConfig> config_;
};

}  // namespace gw::filters::throttle
