#include "filters/interceptor_example/interceptor_example_filter.h"

#include "gateway/common/strcat.h"

namespace gw::filters::interceptor_example {

http::FilterStatus InterceptorExampleFilter::decodeHeaders(http::RequestHeaders& headers, bool) {
  const std::string* tenant = headers.headers.get(config_->header);
  if (tenant == nullptr || tenant->empty()) {
    decoder_callbacks_->sendLocalReply(400, "Missing tenant",
                                       gw::cat("send the ", config_->header, " header"));
    return http::FilterStatus::StopIteration;  // the backend is never called
  }
  tenant_ = *tenant;
  headers.headers.set("X-Tenant-Id", tenant_);  // what the backend sees
  return http::FilterStatus::Continue;
}

http::FilterStatus InterceptorExampleFilter::encodeHeaders(http::ResponseHeaders& headers, bool) {
  if (!tenant_.empty()) headers.headers.set("X-Tenant-Id", tenant_);
  return http::FilterStatus::Continue;
}

}  // namespace gw::filters::interceptor_example
