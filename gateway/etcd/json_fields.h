#pragma once

// Reading etcd's JSON answers (v2 and the v3 JSON gateway), for the etcd
// clients' protocol code: a body that must be an object, and fields that
// default when absent or of the wrong type.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gw::etcd {

// The body as a JSON object; else an error "etcd sent a <what> that is not JSON".
inline absl::StatusOr<nlohmann::json> parseObject(std::string_view body, const char* what) {
  nlohmann::json j =
      nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("etcd sent a ", what, " that is not JSON"));
  }
  return j;
}

// An integer field; the v3 JSON gateway writes int64 as strings, v2 as numbers. 0 if absent.
inline int64_t intField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  int64_t v = 0;
  if (it->is_string() && absl::SimpleAtoi(it->get<std::string>(), &v)) return v;
  return 0;
}

// A string field; "" if absent or not a string.
inline std::string stringField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace gw::etcd
