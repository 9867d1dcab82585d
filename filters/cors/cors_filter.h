#pragma once

// CORS for the APIs whose definition has x-wso2-cors (conf::CorsConfig, read by
// conf/cors_loader.h). The filter takes no config of its own; for APIs without
// x-wso2-cors, or with corsConfigurationEnabled: false, it does nothing.
//
// - Preflight (OPTIONS with Origin and Access-Control-Request-Method) on a path
//   of such an API: answered here, before any auth filter, because browsers
//   send preflights without credentials. Allowed: 204 with the
//   Access-Control-Allow-* headers. Refused (origin, method or a requested
//   header not allowed): 403, with no Access-Control-Allow-* header. Other
//   OPTIONS requests go on through the chain as before.
// - Other requests with an allowed Origin: the response gets
//   Access-Control-Allow-Origin (the configured origin, or "*" when only the
//   wildcard allows it; never the request's value echoed), and
//   Access-Control-Allow-Credentials / -Expose-Headers when configured. "*" is
//   never sent together with Access-Control-Allow-Credentials.
// - The gateway owns CORS for such an API: the backend's own
//   Access-Control-* response headers are dropped, and every response that is
//   not "Access-Control-Allow-Origin: *" gets "Vary: Origin" for caches.
//
// Thread-safety: one filter per request on its worker; CorsFilterConfig is
// immutable and shared.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.h"
#include "gateway/http/filter.h"

namespace gw::stats {
class Counter;
}

namespace gw::filters::cors {

struct CorsFilterConfig {
  stats::Counter* preflights_allowed = nullptr;  // may be null (tests)
  stats::Counter* preflights_refused = nullptr;
};

// What a CORS policy says about one Origin value.
struct OriginDecision {
  bool allowed = false;
  std::string allow_origin;  // the Access-Control-Allow-Origin value: an origin or "*"
  bool credentials = false;  // send Access-Control-Allow-Credentials: true
};

// Matches `origin` (the request header) against the policy: a configured origin
// wins over "*"; "*" never carries credentials.
OriginDecision decideOrigin(const conf::CorsConfig& policy, std::string_view origin);

class CorsFilter : public http::PassThroughFilter {
 public:
  explicit CorsFilter(std::shared_ptr<const CorsFilterConfig> config)
      : config_(std::move(config)) {}

  http::FilterStatus decodeHeaders(http::RequestHeaders& headers, bool end_stream) override;
  http::FilterStatus encodeHeaders(http::ResponseHeaders& headers, bool end_stream) override;

 private:
  enum class State { Inactive, Actual, Preflight };

  void answerPreflight(const http::RequestHeaders& headers, const std::string& origin);
  std::string preflightProblem(const OriginDecision& origin, const std::string& method,
                               bool headers_ok, const std::vector<std::string>& requested) const;

  std::shared_ptr<const CorsFilterConfig> config_;
  State state_ = State::Inactive;
  const conf::CorsConfig* policy_ = nullptr;  // the matched API's; lives as long as the route
  OriginDecision decision_;
};

}  // namespace gw::filters::cors
