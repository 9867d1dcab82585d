#include "filters/request_id/request_id_filter.h"

#include <random>

namespace gw::filters::request_id {

void assignNewRequestId(std::string& out) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  out.assign(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t v = rng();
    for (int i = 0; i < 16; ++i) out[half * 16 + i] = kHex[(v >> (i * 4)) & 0xf];
  }
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
