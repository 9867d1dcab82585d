#pragma once

// The "analytics" filter: one WSO2 usage event per request (see
// event_format.h), handed to the process's analytics writer when the request
// ends. Put it first in the chain so that it sees every response, the local
// replies of the other filters included:
//
//   filters:
//     - name: analytics
//     - name: request_id
//     ...
//
// It reads [analytics] / [analytics.fileUpload] of micro-gw.conf and takes no
// config of its own. With `enable = false` it does nothing.
//
// A gateway-generated reply (the chain's JSON {"code","message","description"}
// body) with a status >= 400 goes to the fault stream with its code, a 429 to
// the throttle stream, everything else to the request stream. Times are what
// this filter sees: responseTime and backendTime run from its decodeHeaders to
// the response head (backendTime 0 for a local reply); serviceTime is 0.
//
// Callers: an authenticated stream's identity (gateway/http/auth_identity.h),
// read when the response head passes, since the auth filters run after this
// one: subject, application id / name / owner (also the subscriber), key type,
// the API's subscription tier as apiTier ("Default" without one). The identity
// has no consumer key: applicationConsumerKey stays "anonymous". Fields the
// credential lacks keep WSO2's anonymous values, as do open resources and
// replies sent before authentication (e.g. 401).
//
// One filter per request, on its worker; the config is shared read-only.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "filters/analytics/event_format.h"
#include "gateway/http/filter.h"

namespace gw::conf {
struct ApiDefinition;
struct Operation;
}  // namespace gw::conf

namespace gw::filters::analytics {

// What an event takes from its API and operation, sanitised (sanitizeField)
// once: UsageEvent views these strings.
struct RouteFields {
  std::string api_context;  // basePath + version as WSO2's analytics wants it
  std::string api_name;
  std::string api_version;
  std::string resource_path;  // the operation's template ("" for an API alone)
  std::string destination;    // the operation's first backend URL ("" for an API alone)
  // With an operation: the request stream's run of the fields above
  // (UsageEvent::route_run); "" for an API alone. Made by finish().
  std::string request_run;
  // Builds request_run; call it again after changing a field.
  void finish();
};
// `op` null: the API's fields alone (a request that matched no operation).
RouteFields routeFieldsOf(const conf::ApiDefinition& api, const conf::Operation* op);

struct AnalyticsFilterConfig {
  bool enabled = false;
  std::string stream_version = "3.2.0";
  std::string hostname;  // the gateway host's name, sanitised
  // The served APIs' fields, built at start-up (keys: the route table's
  // ApiDefinition and Operation objects). A route missing here (a filter
  // built without the route table) is computed per request instead.
  std::unordered_map<const conf::ApiDefinition*, RouteFields> apis;
  std::unordered_map<const conf::Operation*, RouteFields> operations;
  // Receives each finished line (a view valid for the call); thread-safe.
  std::function<void(std::string_view)> sink;
  std::function<int64_t()> wall_ms;  // epoch milliseconds
  std::function<std::chrono::steady_clock::time_point()> steady_now;
  std::shared_ptr<void> keep_alive;  // the AnalyticsService the sink writes to
};

class AnalyticsFilter : public http::PassThroughFilter {
 public:
  explicit AnalyticsFilter(std::shared_ptr<const AnalyticsFilterConfig> config)
      : config_(std::move(config)) {}

  http::FilterStatus decodeHeaders(http::RequestHeaders& headers, bool end_stream) override;
  http::FilterStatus encodeHeaders(http::ResponseHeaders& headers, bool end_stream) override;
  http::FilterStatus encodeData(std::string& data, bool end_stream) override;
  void onDestroy() override;

 private:
  void readRoute(const http::RequestHeaders& headers);
  // Fields this request makes itself (see AnalyticsFilterConfig::apis).
  RouteFields& own();
  void readCaller();

  std::shared_ptr<const AnalyticsFilterConfig> config_;
  UsageEvent event_;
  std::unique_ptr<RouteFields> own_;  // only when the tables do not serve
  std::string correlation_id_;        // an X-Request-Id (event_.correlation_id views it)
  char generated_id_[32];             // or the id made here
  std::chrono::steady_clock::time_point arrived_;
  bool response_seen_ = false;
  bool maybe_local_reply_ = false;  // JSON error response whose body is not read yet
  bool local_reply_ = false;
  bool sized_by_header_ = false;
  bool done_ = false;
};

// Reads the chain's local-reply body {"code","message","description"} (exactly
// those keys); false for anything else.
bool parseLocalReplyBody(const std::string& body, std::string* code, std::string* message);

}  // namespace gw::filters::analytics
