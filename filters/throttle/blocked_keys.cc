#include "filters/throttle/blocked_keys.h"

#include <nlohmann/json.hpp>

#include "gateway/common/strcat.h"

namespace gw::filters::throttle {

absl::StatusOr<std::vector<Decision>> parseDecisions(std::string_view body) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("the answer is not JSON");
  if (doc.is_object()) {
    auto it = doc.find("decisions");
    if (it == doc.end()) {
      return absl::InvalidArgumentError("the answer has no \"decisions\" list");
    }
    doc = *it;
  }
  if (!doc.is_array()) return absl::InvalidArgumentError("\"decisions\" is not a list");
  std::vector<Decision> out;
  for (size_t i = 0; i < doc.size(); ++i) {
    const nlohmann::json& d = doc[i];
    auto key = d.is_object() ? d.find("throttleKey") : d.end();
    if (!d.is_object() || key == d.end() || !key->is_string()) {
      return absl::InvalidArgumentError(gw::cat("decision ", i, " has no string throttleKey"));
    }
    Decision decision;
    decision.throttle_key = key->get<std::string>();
    auto throttled = d.find("isThrottled");
    decision.is_throttled =
        throttled == d.end() || (throttled->is_boolean() && throttled->get<bool>());
    auto expiry = d.find("expiryTimeStamp");
    if (expiry != d.end() && expiry->is_number()) decision.expiry_ms = expiry->get<int64_t>();
    out.push_back(std::move(decision));
  }
  return out;
}

void BlockedKeys::replace(const std::vector<Decision>& decisions) {
  auto next = std::make_shared<Map>();
  for (const Decision& d : decisions) {
    if (d.is_throttled) (*next)[d.throttle_key] = d.expiry_ms;
  }
  const bool any = !next->empty();
  std::atomic_store(&map_, std::shared_ptr<const Map>(std::move(next)));
  any_.store(any, std::memory_order_release);
}

int64_t BlockedKeys::blockedUntil(std::string_view key, int64_t now_ms) const {
  if (empty()) return 0;
  std::shared_ptr<const Map> map = std::atomic_load(&map_);
  auto it = map->find(std::string(key));
  if (it == map->end() || it->second <= now_ms) return 0;
  return it->second;
}

}  // namespace gw::filters::throttle
