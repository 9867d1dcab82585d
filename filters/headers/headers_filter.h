#pragma once

// Adds and removes request and response headers. Config (conf/filters.yaml):
//
//   - name: headers
//     config:
//       request:  { add: { X-Gateway: microgw }, remove: [X-Debug] }
//       response: { add: {}, remove: [Server] }
//
// `add` replaces any existing header of the same name. The config is parsed
// once and shared read-only by every request (thread-safe).

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/http/filter.h"

namespace gw::filters::headers {

struct HeaderRules {
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
  void apply(http::HeaderMap& headers) const;
};

struct HeadersConfig {
  HeaderRules request;
  HeaderRules response;
};

class HeadersFilter : public http::PassThroughFilter {
 public:
  explicit HeadersFilter(std::shared_ptr<const HeadersConfig> config)
      : config_(std::move(config)) {}

  http::FilterStatus decodeHeaders(http::RequestHeaders& headers, bool end_stream) override;
  http::FilterStatus encodeHeaders(http::ResponseHeaders& headers, bool end_stream) override;

 private:
  std::shared_ptr<const HeadersConfig> config_;
};

}  // namespace gw::filters::headers
