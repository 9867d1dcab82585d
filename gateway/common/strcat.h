#pragma once

// absl::StrCat that also takes std::string_view. Debian's Abseil is built with
// its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), which
// std::string_view does not convert to; gw::cat bridges the two.
//
// Example:
//   std::string_view host = "api.example.com";
//   std::string s = gw::cat("target ", host, ":", 443);

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace gw {
namespace internal_strcat {
template <typename T>
decltype(auto) arg(const T& v) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return absl::string_view(v.data(), v.size());
  } else {
    return (v);
  }
}
}  // namespace internal_strcat

template <typename... Args>
std::string cat(const Args&... args) {
  return absl::StrCat(internal_strcat::arg(args)...);
}

template <typename... Args>
void catAppend(std::string* out, const Args&... args) {
  absl::StrAppend(out, internal_strcat::arg(args)...);
}

}  // namespace gw
