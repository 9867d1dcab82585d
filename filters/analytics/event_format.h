#pragma once

// WSO2 API Microgateway 3.x's usage-data line format, one event per line of
// api-usage-data.dat:
//
//   streamId-KS-<stream>:<version>-ES-timestamp-KS-<ms>-ES-metadata-KS-<meta>
//   -ES-correlationData-KS-null-ES-payLoadData-KS-<field>-OS-<field>-OS-...\n
//
// Three streams, chosen per response (see streamFor()):
//  - org.wso2.apimgt.statistics.request: meta_clientType plus the 36 payload
//    fields of WSO2's order (applicationConsumerKey ... label), then
//    `properties` (stream versions after 3.0.0). The metadata is the JSON
//    {"clientType":...,"correlationID":...}.
//  - org.wso2.apimgt.statistics.fault: gateway-generated errors (local replies
//    other than 429); errorCode is the WSO2 code of the reply body.
//  - org.wso2.apimgt.statistics.throttle: 429 responses.
// Fault and throttle metadata is the JSON {"keyType":...,"correlationID":...}
// (WSO2 builds it from a map with those two keys).
//
// Values are written as they are, as WSO2 does, except that the separators
// (-KS-, -ES-, -OS-) and line ends inside a value are neutralised so that a
// request cannot forge fields or lines.
//
// A line is written in two passes (this runs once per request): its size is
// added up (sanitising never changes a length), the string grown once, then
// every field copied and made safe where it lands. Pure functions;
// thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

namespace gw::filters::analytics {

// What the analytics filter learned about one request and its response.
struct UsageEvent {
  // Who: WSO2's anonymous values unless an auth filter named the caller;
  // views of strings that outlive the event (the analytics filter's: the
  // stream's AuthIdentity), sanitised when written. Views, so that the
  // defaults cost nothing per request.
  std::string_view key_type = "PRODUCTION";
  std::string_view consumer_key = "anonymous";
  std::string_view application_name = "anonymous";
  std::string_view application_id = "anonymous";
  std::string_view application_owner = "anonymous";
  std::string_view user_name = "anonymous";
  std::string_view user_tenant_domain = "anonymous";
  std::string_view subscriber = "anonymous";
  // What the event takes from its API, operation and gateway: views of
  // strings that outlive the event, ALREADY SANITISED (sanitizeField): they
  // are written as they are. The analytics filter sanitises them once, at
  // start-up, per operation (AnalyticsFilterConfig::routes).
  std::string_view api_context;  // "/petstore/v1" (the version appended when the basePath lacks it)
  std::string_view api_name;
  std::string_view api_version;
  std::string_view resource_path;  // the operation's template, as WSO2 sends it twice
  std::string_view destination;    // the backend URL
  // When not empty: api_context, api_name, api_version and resource_path
  // twice, joined with -OS- as the request stream writes them, prepared once
  // per operation (RouteFields::request_run) and written as one. It must
  // agree with those fields (they are still written on their own by the
  // fault and throttle streams).
  std::string_view route_run;
  std::string_view hostname;  // the gateway's host name
  std::string method;         // "GET"
  // Constants (views, written as they are).
  std::string_view api_creator = "__unknown__";  // x-wso2-owner is not read: WSO2's UNKNOWN_VALUE
  std::string_view api_creator_tenant = "carbon.super";
  std::string_view api_tier = "Unauthenticated";  // a view, as the caller's fields above
  std::string user_ip;
  std::string user_agent;
  int64_t request_time_ms = 0;  // epoch ms when the request arrived
  bool throttled_out = false;
  int64_t response_time_ms = 0;  // arrival -> response head
  int64_t service_time_ms = 0;   // time in the gateway before the backend
  int64_t backend_time_ms = 0;   // request sent -> response head
  bool cache_hit = false;
  int64_t response_size = 0;           // Content-Length of the response, 0 when chunked
  std::string_view protocol = "http";  // "http" or "https", a constant
  int status = 0;
  int64_t security_latency_ms = 0;
  int64_t throttling_latency_ms = 0;
  int64_t request_mediation_latency_ms = 0;
  int64_t response_mediation_latency_ms = 0;
  int64_t backend_latency_ms = 0;
  int64_t other_latency_ms = 0;
  std::string_view gateway_type = "MICRO";  // and the two below: constants
  std::string_view label = "MICRO";
  // X-Request-Id when present, else a generated id; a view of a string that
  // outlives the event (the analytics filter's).
  std::string_view correlation_id;
  std::string_view properties = "{}";
  // Fault and throttle streams.
  std::string error_code;            // "900901", from the local reply's body
  std::string error_message;         // the local reply's message
  std::string throttled_out_reason;  // the local reply's message for a 429
};

enum class Stream { Request, Fault, Throttle };

// request for backend responses and non-error local replies, throttle for
// 429, fault for other gateway-generated errors.
Stream streamFor(int status, bool local_reply);

// The stream id with its version: "org.wso2.apimgt.statistics.request:3.2.0".
std::string streamId(Stream stream, std::string_view version);

// The payload part (fields joined by -OS-) of each stream, for `version`
// ("3.0.0", "3.1.0" or "3.2.0"), in WSO2's field order.
std::string requestPayload(const UsageEvent& e, std::string_view version);
std::string faultPayload(const UsageEvent& e, std::string_view version);
std::string throttlePayload(const UsageEvent& e, std::string_view version);

// One whole line, "\n" included. `now_ms` is the event's timestamp.
std::string formatEventLine(Stream stream, const UsageEvent& e, std::string_view version,
                            int64_t now_ms);
// The same line written into `scratch`, a buffer reused from call to call
// (gw::writeSized: no allocation or memset once it is large enough); the
// view is valid until `scratch` changes.
std::string_view writeEventLine(std::string& scratch, Stream stream, const UsageEvent& e,
                                std::string_view version, int64_t now_ms);

// `value` with -KS-, -ES-, -OS-, CR and LF made harmless ("-KS-" -> "_KS_").
std::string sanitizeField(std::string_view value);
// The same, appended to `out`.
void appendSanitized(std::string& out, std::string_view value);

}  // namespace gw::filters::analytics
