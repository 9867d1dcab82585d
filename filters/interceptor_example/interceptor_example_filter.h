#pragma once

// An example of what replaces a WSO2 3.2 request/response interceptor
// (x-wso2-request-interceptor / x-wso2-response-interceptor): a filter. Not
// compiled into microgw; copy the folder, rename it, and follow "Adding a
// filter" in the README. It shows the three things interceptors usually do:
//
// - refuse a request (here: one without the `header` from the config, 400);
// - change the request for the backend (the header's value is passed on as
//   X-Tenant-Id, and the client's own X-Tenant-Id is replaced);
// - change the response (X-Tenant-Id echoed back to the client).
//
// Config (conf/filters.yaml):
//
//   - name: interceptor_example
//     config: {header: X-Tenant}
//
// Thread-safety: one filter per request; the config is immutable and shared.

#include <memory>
#include <string>

#include "gateway/http/filter.h"

namespace gw::filters::interceptor_example {

struct InterceptorExampleConfig {
  std::string header = "X-Tenant";  // required on every request
};

class InterceptorExampleFilter : public http::PassThroughFilter {
 public:
  explicit InterceptorExampleFilter(std::shared_ptr<const InterceptorExampleConfig> config)
      : config_(std::move(config)) {}

  // What a WSO2 request interceptor did: runs before the backend is called.
  http::FilterStatus decodeHeaders(http::RequestHeaders& headers, bool end_stream) override;
  // What a WSO2 response interceptor did: runs before the client gets the response.
  http::FilterStatus encodeHeaders(http::ResponseHeaders& headers, bool end_stream) override;

 private:
  std::shared_ptr<const InterceptorExampleConfig> config_;
  std::string tenant_;
};

}  // namespace gw::filters::interceptor_example
