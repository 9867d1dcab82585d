#include "filters/cors/cors_filter.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/router/route_table.h"
#include "gateway/stats/stats.h"

namespace gw::filters::cors {
namespace {

constexpr const char* kBackendCorsHeaders[] = {
    "Access-Control-Allow-Origin",   "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Methods",  "Access-Control-Allow-Headers",
    "Access-Control-Expose-Headers", "Access-Control-Max-Age"};

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& item) { return http::iequals(item, value); });
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// The names in Access-Control-Request-Headers into `out`; false when one is not a token.
bool requestedHeaders(const http::HeaderMap& headers, std::vector<std::string>& out) {
  const std::string* value = headers.get("access-control-request-headers");
  if (value == nullptr) return true;
  for (absl::string_view part : absl::StrSplit(*value, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (part.empty()) continue;
    const std::string name(part.data(), part.size());
    if (!isToken(name)) return false;
    out.push_back(name);
  }
  return true;
}

// Adds `token` to the response's Vary (all its fields, merged) unless it is there or "*".
void addVary(http::HeaderMap& headers, std::string_view token) {
  std::vector<std::string> values;
  for (const auto& [name, value] : headers.entries()) {
    if (http::iequals(name, "vary")) values.push_back(value);
  }
  const std::string vary = absl::StrJoin(values, ", ");
  if (!vary.empty() && (http::hasToken(vary, token) || http::hasToken(vary, "*"))) return;
  headers.set("Vary", vary.empty() ? std::string(token) : gw::cat(vary, ", ", token));
}

void count(stats::Counter* counter) {
  if (counter != nullptr) counter->inc();
}

}  // namespace

OriginDecision decideOrigin(const conf::CorsConfig& policy, std::string_view origin) {
  OriginDecision d;
  const std::string lower = absl::AsciiStrToLower(absl::string_view(origin.data(), origin.size()));
  for (const std::string& allowed : policy.allow_origins) {
    if (allowed != "*" && allowed == lower) {
      d.allowed = true;
      d.allow_origin = allowed;  // the configured value, not the request's bytes
      d.credentials = policy.allow_credentials;
      return d;
    }
  }
  if (contains(policy.allow_origins, "*")) {
    d.allowed = true;
    d.allow_origin = "*";
  }
  return d;
}

http::FilterStatus CorsFilter::decodeHeaders(http::RequestHeaders& headers, bool) {
  const router::RouteMatch* route = decoder_callbacks_->route();
  if (route == nullptr || route->api == nullptr || !route->api->api().cors.enabled) {
    return http::FilterStatus::Continue;
  }
  policy_ = &route->api->api().cors;
  state_ = State::Actual;
  const std::string* origin = headers.headers.get("origin");
  if (origin == nullptr) return http::FilterStatus::Continue;
  if (headers.method == "OPTIONS" && headers.headers.has("access-control-request-method")) {
    state_ = State::Preflight;
    answerPreflight(headers, *origin);
    return http::FilterStatus::StopIteration;
  }
  decision_ = decideOrigin(*policy_, *origin);
  return http::FilterStatus::Continue;
}

// Why the preflight is refused ("" when it is allowed); never quotes the Origin.
std::string CorsFilter::preflightProblem(const OriginDecision& origin, const std::string& method,
                                         bool headers_ok,
                                         const std::vector<std::string>& requested) const {
  if (!origin.allowed) return "its Origin is not in accessControlAllowOrigins";
  if (!isToken(method) ||
      !(contains(policy_->allow_methods, "*") || contains(policy_->allow_methods, method))) {
    return "the method in Access-Control-Request-Method is not in accessControlAllowMethods";
  }
  if (!headers_ok) return "Access-Control-Request-Headers is not a list of header names";
  if (contains(policy_->allow_headers, "*")) return "";
  for (const std::string& name : requested) {
    if (!contains(policy_->allow_headers, name)) {
      return gw::cat("the request header '", name, "' is not in accessControlAllowHeaders");
    }
  }
  return "";
}

void CorsFilter::answerPreflight(const http::RequestHeaders& headers, const std::string& origin) {
  const conf::ApiDefinition& api = decoder_callbacks_->route()->api->api();
  const OriginDecision decision = decideOrigin(*policy_, origin);
  const std::string& method = *headers.headers.get("access-control-request-method");
  std::vector<std::string> requested;
  const bool headers_ok = requestedHeaders(headers.headers, requested);
  const std::string problem = preflightProblem(decision, method, headers_ok, requested);
  http::LocalReply reply;
  reply.headers.add("Vary",
                    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  if (!problem.empty()) {
    count(config_->preflights_refused);
    GW_LOG_INFO("cors: preflight for API '", api.title, "' refused: ", problem, " (x-wso2-cors in ",
                api.file, ")");
    reply.status = 403;
    reply.message = "CORS preflight refused";
    reply.description = gw::cat(problem, " (x-wso2-cors of API '", api.title, "')");
    decoder_callbacks_->sendLocalReply(reply);
    return;
  }
  count(config_->preflights_allowed);
  reply.status = 204;
  reply.message = "CORS preflight";
  reply.headers.add("Access-Control-Allow-Origin", decision.allow_origin);
  if (decision.credentials) reply.headers.add("Access-Control-Allow-Credentials", "true");
  reply.headers.add(
      "Access-Control-Allow-Methods",
      contains(policy_->allow_methods, "*") ? method : absl::StrJoin(policy_->allow_methods, ", "));
  const std::string allow_headers = contains(policy_->allow_headers, "*")
                                        ? absl::StrJoin(requested, ", ")
                                        : absl::StrJoin(policy_->allow_headers, ", ");
  if (!allow_headers.empty()) reply.headers.add("Access-Control-Allow-Headers", allow_headers);
  decoder_callbacks_->sendLocalReply(reply);
}

http::FilterStatus CorsFilter::encodeHeaders(http::ResponseHeaders& response, bool) {
  if (state_ != State::Actual) return http::FilterStatus::Continue;
  for (const char* name : kBackendCorsHeaders) response.headers.remove(name);
  if (decision_.allowed) {
    response.headers.add("Access-Control-Allow-Origin", decision_.allow_origin);
    if (decision_.credentials) response.headers.add("Access-Control-Allow-Credentials", "true");
    if (!policy_->expose_headers.empty()) {
      response.headers.add("Access-Control-Expose-Headers",
                           absl::StrJoin(policy_->expose_headers, ", "));
    }
  }
  if (decision_.allow_origin != "*") addVary(response.headers, "Origin");
  return http::FilterStatus::Continue;
}

}  // namespace gw::filters::cors
