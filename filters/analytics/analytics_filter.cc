#include "filters/analytics/analytics_filter.h"

#include <array>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "filters/request_id/request_id_filter.h"
#include "gateway/common/strcat.h"
#include "gateway/router/route_table.h"

namespace gw::filters::analytics {
namespace {

int64_t millisBetween(std::chrono::steady_clock::time_point a,
                      std::chrono::steady_clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

// WSO2's analytics wants the context as "<basePath>/<version>"; assigned to
// `context` (reusing its capacity).
void assignAnalyticsContext(std::string& context, const std::string& base_path,
                            const std::string& version) {
  context.assign(base_path.empty() ? std::string_view("/") : std::string_view(base_path));
  while (context.size() > 1 && context.back() == '/') context.pop_back();
  const bool has_version =
      context.size() >= version.size() &&
      context.compare(context.size() - version.size(), version.size(), version) == 0;
  if (version.empty() || has_version) return;
  if (context != "/") context += '/';
  context += version;
}

// HeaderMap::get of each of `names` (first values), in one pass over `map`.
// Inline, so that the names are constants where it is called.
template <size_t N>
[[gnu::always_inline]] inline std::array<const std::string*, N> getAll(
    const http::HeaderMap& map, const std::array<std::string_view, N>& names) {
  std::array<const std::string*, N> found{};
  size_t missing = N;
  for (const http::HeaderMap::Entry& e : map.entries()) {
    for (size_t i = 0; i < N; ++i) {
      // The size, then the first byte case folded, before the call: equal
      // names pass. A name in the usual case is compared as bytes first.
      if (e.first.size() == names[i].size() && (e.first[0] | 0x20) == (names[i][0] | 0x20) &&
          found[i] == nullptr &&
          (std::memcmp(e.first.data(), names[i].data(), names[i].size()) == 0 ||
           http::iequalsSameSize(e.first, names[i]))) {
        found[i] = &e.second;
        if (--missing == 0) return found;
        break;  // a name matches one of `names` at most
      }
    }
  }
  return found;
}

// std::strtoll(value, nullptr, 10), without the call for the usual value:
// plain digits that cannot overflow.
int64_t parseLength(const std::string& value) {
  if (value.empty() || value.size() > 18) return std::strtoll(value.c_str(), nullptr, 10);
  int64_t n = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') return std::strtoll(value.c_str(), nullptr, 10);
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace

RouteFields routeFieldsOf(const conf::ApiDefinition& api, const conf::Operation* op) {
  RouteFields f;
  std::string context;
  assignAnalyticsContext(context, api.base_path, api.version);
  f.api_context = sanitizeField(context);
  f.api_name = sanitizeField(api.title);
  f.api_version = sanitizeField(api.version);
  if (op != nullptr) {
    f.resource_path = sanitizeField(op->path_template);
    const conf::EndpointConfig& endpoint = op->endpoint ? *op->endpoint : api.production;
    if (!endpoint.urls.empty()) f.destination = sanitizeField(endpoint.urls.front().url);
  }
  if (op != nullptr) f.finish();
  return f;
}

void RouteFields::finish() {
  request_run = gw::cat(api_context, "-OS-", api_name, "-OS-", api_version, "-OS-", resource_path,
                        "-OS-", resource_path);
}

bool parseLocalReplyBody(const std::string& body, std::string* code, std::string* message) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.size() != 3 || !j.contains("code") || !j.contains("message") ||
      !j.contains("description") || !j["message"].is_string()) {
    return false;
  }
  const nlohmann::json& c = j["code"];
  if (!c.is_string() && !c.is_number_integer()) return false;
  *code = c.is_string() ? c.get<std::string>() : std::to_string(c.get<int64_t>());
  *message = j["message"].get<std::string>();
  return true;
}

http::FilterStatus AnalyticsFilter::decodeHeaders(http::RequestHeaders& headers, bool) {
  if (!config_->enabled) return http::FilterStatus::Continue;
  arrived_ = config_->steady_now();
  event_.request_time_ms = config_->wall_ms();
  event_.method = headers.method;
  const auto [ua, id] = getAll<2>(headers.headers, {"User-Agent", "X-Request-Id"});
  if (ua != nullptr) event_.user_agent = *ua;
  if (id != nullptr && request_id::isAcceptableId(*id)) {
    correlation_id_ = *id;
    event_.correlation_id = correlation_id_;
  }
  event_.hostname = config_->hostname;
  event_.user_ip = decoder_callbacks_->downstreamAddress();
  event_.protocol = decoder_callbacks_->downstreamTls() ? "https" : "http";
  readRoute(headers);
  return http::FilterStatus::Continue;
}

RouteFields& AnalyticsFilter::own() {
  if (!own_) own_ = std::make_unique<RouteFields>();
  return *own_;
}

// The route's fields from the tables built at start-up; the request path as
// the resource when no operation matched.
void AnalyticsFilter::readRoute(const http::RequestHeaders& headers) {
  const router::RouteMatch* route = decoder_callbacks_->route();
  const RouteFields* fields = nullptr;
  if (route != nullptr && route->api != nullptr) {
    const conf::ApiDefinition& api = route->api->api();
    if (route->operation != nullptr) {
      auto it = config_->operations.find(route->operation);
      if (it != config_->operations.end()) fields = &it->second;
    } else if (auto it = config_->apis.find(&api); it != config_->apis.end()) {
      fields = &it->second;
    }
    if (fields == nullptr) fields = &(own() = routeFieldsOf(api, route->operation));
    event_.api_context = fields->api_context;
    event_.api_name = fields->api_name;
    event_.api_version = fields->api_version;
    event_.destination = fields->destination;
  }
  if (fields != nullptr && route->operation != nullptr) {
    event_.resource_path = fields->resource_path;
    event_.route_run = fields->request_run;
  } else {
    own().resource_path = sanitizeField(headers.pathOnly());
    event_.resource_path = own_->resource_path;
  }
}

// The caller, as the auth filter later in the chain published it. Read on the
// response: this filter runs first, before any auth filter has decided.
void AnalyticsFilter::readCaller() {
  if (!decoder_callbacks_->authenticated()) return;  // open resource: WSO2's anonymous
  const http::AuthIdentity& id = decoder_callbacks_->identity();
  // Views of the identity, which the stream keeps until this filter is
  // destroyed (auth filters set it on the request path, before this runs).
  auto known = [](std::string_view& field, const std::string& value) {
    if (!value.empty()) field = value;
  };
  known(event_.user_name, id.subject);
  known(event_.application_id, id.application_id);
  known(event_.application_name, id.application_name);
  known(event_.application_owner, id.application_owner);
  known(event_.subscriber, id.application_owner);
  known(event_.key_type, id.key_type);
  const size_t at = id.subject.rfind('@');
  if (at == std::string::npos) {
    event_.user_tenant_domain = "carbon.super";
  } else {
    event_.user_tenant_domain = std::string_view(id.subject).substr(at + 1);
  }
  // WSO2's apiTier is the subscription's tier; "Default" as the throttle filter assumes.
  const router::RouteMatch* route = decoder_callbacks_->route();
  if (route == nullptr || route->api == nullptr) {
    event_.api_tier = "Default";
    return;
  }
  const conf::ApiDefinition& api = route->api->api();
  const http::ApiSubscription* sub = id.subscriptionFor(api.title, api.version);
  event_.api_tier = sub != nullptr && !sub->tier.empty() ? std::string_view(sub->tier)
                                                         : std::string_view("Default");
}

http::FilterStatus AnalyticsFilter::encodeHeaders(http::ResponseHeaders& headers, bool end_stream) {
  if (!config_->enabled || response_seen_) return http::FilterStatus::Continue;
  response_seen_ = true;
  readCaller();
  event_.status = headers.status;
  event_.response_time_ms = millisBetween(arrived_, config_->steady_now());
  const auto [length, id] = getAll<2>(headers.headers, {"Content-Length", "X-Request-Id"});
  if (length != nullptr) {
    event_.response_size = parseLength(*length);
    sized_by_header_ = true;
  }
  if (event_.correlation_id.empty()) {
    // The id a later request_id filter gave the request comes back on the response.
    if (id != nullptr && request_id::isAcceptableId(*id)) {
      correlation_id_ = *id;
      event_.correlation_id = correlation_id_;
    } else {
      // Written in place: a 32-byte std::string would be allocated per request.
      event_.correlation_id = request_id::writeNewRequestId(generated_id_);
    }
  }
  if (!end_stream && headers.status >= 400) {
    const std::string* type = headers.headers.get("Content-Type");
    maybe_local_reply_ = type != nullptr && *type == "application/json";
  }
  return http::FilterStatus::Continue;
}

http::FilterStatus AnalyticsFilter::encodeData(std::string& data, bool) {
  if (!config_->enabled) return http::FilterStatus::Continue;
  if (!sized_by_header_) event_.response_size += static_cast<int64_t>(data.size());
  if (maybe_local_reply_) {
    maybe_local_reply_ = false;
    local_reply_ =
        data.size() < 4096 && parseLocalReplyBody(data, &event_.error_code, &event_.error_message);
  }
  return http::FilterStatus::Continue;
}

void AnalyticsFilter::onDestroy() {
  if (!config_->enabled || !response_seen_ || done_) return;
  done_ = true;
  event_.backend_time_ms = local_reply_ ? 0 : event_.response_time_ms;
  event_.backend_latency_ms = event_.backend_time_ms;
  const Stream stream = streamFor(event_.status, local_reply_);
  if (stream == Stream::Throttle) event_.throttled_out_reason = event_.error_message;
  // Formatted into this worker's buffer, which keeps its capacity: no allocation per event.
  thread_local std::string scratch;
  config_->sink(
      writeEventLine(scratch, stream, event_, config_->stream_version, config_->wall_ms()));
}

}  // namespace gw::filters::analytics
