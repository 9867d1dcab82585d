#pragma once

// One throttle event for the traffic manager, in WSO2's shape: POSTed to
// {throttleEndpointUrl}/throttleEventReceiver as
//   {"event":{"metaData":{},"correlationData":{},"payloadData":{...}}}
// with the payloadData fields of WSO2 API Microgateway 3.2 (messageID, appKey,
// appTier, apiKey, apiTier, subscriptionKey, subscriptionTier, resourceKey,
// resourceTier, userId, apiContext, apiVersion, appTenant, apiTenant, appId,
// apiName, properties), all strings; `properties` is a JSON *string* holding
// {"ip": <IPv4 as an integer>} (or {"ipv6": "<address>"}). Several events go
// in one POST as a JSON array, which WSO2's JSON event receivers take as one
// event per element.
//
// The JSON is written by hand (this runs once per request): the fields that
// are the same for every request of one operation are formatted once, at
// start-up, into EventApiFields::json. Pure data and formatting;
// thread-compatible.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gw::filters::throttle {

// The per-operation part of an event. Call finish() after setting the fields.
struct EventApiFields {
  std::string api_key;
  std::string api_tier;
  std::string resource_key;
  std::string resource_tier;
  std::string api_context;
  std::string api_version;
  std::string api_name;
  std::string json;  // the members above, formatted by finish()
  void finish();
};

// One request's part; views into strings that live until the event is
// formatted (TrafficManagerClient::publish formats it at once).
struct ThrottleEvent {
  std::string_view message_id;
  std::string_view app_key;
  std::string_view app_tier;
  std::string_view subscription_key;
  std::string_view subscription_tier;
  std::string_view user_id;
  std::string_view app_id;
  std::string_view client_ip;           // goes into `properties`
  const EventApiFields* api = nullptr;  // not owned
};

// {"event":{...}} for one event, written into `scratch`, a buffer reused from
// call to call (gw::writeSized: no allocation or memset once it is large
// enough); the view is valid until `scratch` changes.
std::string_view writeEventJson(std::string& scratch, const ThrottleEvent& event);
// The same as a string of its own.
std::string eventJson(const ThrottleEvent& event);
// Builds one POST body from formatted events: a JSON array of them, or with
// `as_array` false (one event per POST) the one object.
class EventBatch {
 public:
  explicit EventBatch(bool as_array) : as_array_(as_array) {}
  void add(std::string_view event_json);
  void reserve(size_t bytes) { body_.reserve(bytes); }
  // Fills `buffer` (emptied, its capacity kept) from now on; only between
  // batches (count() == 0).
  void reuse(std::string buffer) {
    buffer.clear();
    body_ = std::move(buffer);
  }
  size_t count() const { return count_; }
  // The body (empty when no event was added); the batch starts over.
  std::string take();

 private:
  bool as_array_;
  std::string body_;
  size_t count_ = 0;
};
// The POST body for formatted events: the one object when `as_array` is false
// and there is one, else a JSON array of them.
std::string batchJson(const std::vector<std::string>& events, bool as_array);
// "1.2.3.4" -> 16909060; -1 for anything but a dotted IPv4 address.
int64_t ipv4AsInteger(std::string_view ip);
// `in` as a JSON string literal, quotes included, appended to `out`. Valid
// UTF-8 passes through; other bytes >= 0x80 become \u00XX.
void appendJsonString(std::string& out, std::string_view in);

}  // namespace gw::filters::throttle
