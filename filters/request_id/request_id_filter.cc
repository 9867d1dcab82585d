#include "filters/request_id/request_id_filter.h"

#include "gateway/common/fast_random.h"

namespace gw::filters::request_id {

void assignNewRequestId(std::string& out) {
  out.resize(32);
  writeHex(fastRandom(), out.data());
  writeHex(fastRandom(), out.data() + 16);
}

std::string newRequestId() {
  std::string out;
  assignNewRequestId(out);
  return out;
}

bool isAcceptableId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

http::FilterStatus RequestIdFilter::decodeHeaders(http::RequestHeaders& headers, bool) {
  const std::string* existing = headers.headers.get(config_->header);
  id_ = (existing != nullptr && isAcceptableId(*existing)) ? *existing : newRequestId();
  headers.headers.set(config_->header, id_);
  return http::FilterStatus::Continue;
}

http::FilterStatus RequestIdFilter::encodeHeaders(http::ResponseHeaders& headers, bool) {
  if (!id_.empty()) headers.headers.set(config_->header, id_);
  return http::FilterStatus::Continue;
}

}  // namespace gw::filters::request_id
