#include "filters/request_id/request_id_filter.h"

#include "gateway/common/fast_random.h"

namespace gw::filters::request_id {

std::string_view writeNewRequestId(char (&out)[32]) {
  writeHex(fastRandom(), out);
  writeHex(fastRandom(), out + 16);
  return {out, sizeof(out)};
}

std::string newRequestId() {
  char id[32];
  return std::string(writeNewRequestId(id));
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
