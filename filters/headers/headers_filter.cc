#include "filters/headers/headers_filter.h"

namespace gw::filters::headers {

void HeaderRules::apply(http::HeaderMap& headers) const {
  for (const std::string& name : remove) headers.remove(name);
  for (const auto& [name, value] : add) headers.set(name, value);
}

http::FilterStatus HeadersFilter::decodeHeaders(http::RequestHeaders& headers, bool) {
  config_->request.apply(headers.headers);
  return http::FilterStatus::Continue;
}

http::FilterStatus HeadersFilter::encodeHeaders(http::ResponseHeaders& headers, bool) {
  config_->response.apply(headers.headers);
  return http::FilterStatus::Continue;
}

}  // namespace gw::filters::headers
