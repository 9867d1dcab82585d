#pragma once

// One throttle event for the traffic manager, in WSO2's shape: POSTed to
// {throttleEndpointUrl}/throttleEventReceiver as
//   {"event":{"metaData":{},"correlationData":{},"payloadData":{...}}}
// with the payloadData fields below (WSO2 API Microgateway 3.2's names), and
// `properties` a JSON *string* holding {"ip": <IPv4 as an integer>} (or
// {"ipv6": "<address>"}). Several events go in one POST as a JSON array, which
// WSO2's JSON event receivers take as one event per element. Pure data and
// formatting; thread-compatible.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gw::filters::throttle {

struct ThrottleEvent {
  std::string message_id;
  std::string app_key;
  std::string app_tier;
  std::string api_key;
  std::string api_tier;
  std::string subscription_key;
  std::string subscription_tier;
  std::string resource_key;
  std::string resource_tier;
  std::string user_id;
  std::string api_context;
  std::string api_version;
  std::string app_tenant = "carbon.super";
  std::string api_tenant = "carbon.super";
  std::string app_id;
  std::string api_name;
  std::string client_ip;  // goes into `properties`
};

// {"event":{...}} for one event.
std::string eventJson(const ThrottleEvent& event);
// The POST body for a batch: one object when `as_array` is false (one event),
// else a JSON array of them.
std::string batchJson(const std::vector<ThrottleEvent>& events, bool as_array);
// "1.2.3.4" -> 16909060; nullopt-like -1 for anything but a dotted IPv4 address.
int64_t ipv4AsInteger(std::string_view ip);

}  // namespace gw::filters::throttle
