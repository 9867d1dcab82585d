#pragma once

// Example custom filter, kept small on purpose (README: "Adding a filter").
// Gives every request an X-Request-Id (keeping a valid one the client sent)
// and echoes it on the response, so a request can be followed through the
// gateway, the proxy and the backend logs.
//
// Config (conf/filters.yaml):
//   - name: request_id
//     config:
//       header: X-Request-Id   # optional; the header to read and set
//
// One filter object per request; the config is shared read-only.

#include <memory>
#include <string>
#include <string_view>

#include "gateway/http/filter.h"

namespace gw::filters::request_id {

struct RequestIdConfig {
  std::string header = "X-Request-Id";
};

class RequestIdFilter : public http::PassThroughFilter {
 public:
  explicit RequestIdFilter(std::shared_ptr<const RequestIdConfig> config)
      : config_(std::move(config)) {}

  http::FilterStatus decodeHeaders(http::RequestHeaders& headers, bool end_stream) override;
  http::FilterStatus encodeHeaders(http::ResponseHeaders& headers, bool end_stream) override;

 private:
  std::shared_ptr<const RequestIdConfig> config_;
  std::string id_;
};

// A random 128-bit id as 32 hex digits.
std::string newRequestId();
// The same written at `out`; returns a view of it.
std::string_view writeNewRequestId(char (&out)[32]);

// Client-supplied ids are kept only if short and made of [A-Za-z0-9._-].
bool isAcceptableId(const std::string& id);

}  // namespace gw::filters::request_id
