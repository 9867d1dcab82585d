#include "filters/throttle/throttle_event.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

namespace gw::filters::throttle {
namespace {

nlohmann::json payload(const ThrottleEvent& e) {
  nlohmann::json properties = nlohmann::json::object();
  const int64_t ip = ipv4AsInteger(e.client_ip);
  if (ip >= 0) {
    properties["ip"] = ip;
  } else if (!e.client_ip.empty()) {
    properties["ipv6"] = e.client_ip;
  }
  return nlohmann::json{
      {"messageID", e.message_id},
      {"appKey", e.app_key},
      {"appTier", e.app_tier},
      {"apiKey", e.api_key},
      {"apiTier", e.api_tier},
      {"subscriptionKey", e.subscription_key},
      {"subscriptionTier", e.subscription_tier},
      {"resourceKey", e.resource_key},
      {"resourceTier", e.resource_tier},
      {"userId", e.user_id},
      {"apiContext", e.api_context},
      {"apiVersion", e.api_version},
      {"appTenant", e.app_tenant},
      {"apiTenant", e.api_tenant},
      {"appId", e.app_id},
      {"apiName", e.api_name},
      {"properties", properties.dump()},
  };
}

nlohmann::json wrap(const ThrottleEvent& e) {
  return nlohmann::json{{"event",
                         {{"metaData", nlohmann::json::object()},
                          {"correlationData", nlohmann::json::object()},
                          {"payloadData", payload(e)}}}};
}

}  // namespace

int64_t ipv4AsInteger(std::string_view ip) {
  in_addr addr{};
  if (inet_pton(AF_INET, std::string(ip).c_str(), &addr) != 1) return -1;
  return static_cast<int64_t>(ntohl(addr.s_addr));
}

std::string eventJson(const ThrottleEvent& event) {
  return wrap(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string batchJson(const std::vector<ThrottleEvent>& events, bool as_array) {
  if (!as_array && events.size() == 1) return eventJson(events[0]);
  nlohmann::json out = nlohmann::json::array();
  for (const ThrottleEvent& e : events) out.push_back(wrap(e));
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace gw::filters::throttle
