#pragma once

// What the bearer-token filters (jwt_authn, oauth2_introspection) share when
// they judge a request: the scope check and the refusal reply with its
// `WWW-Authenticate: Bearer` challenge (RFC 6750 section 3). Pure functions.
//
// Example:
//   if (!hasAnyScope(token.scopes, route_scopes)) {
//     callbacks.sendLocalReply(bearerRefusal(403, "900908", "Resource forbidden", why,
//                                            insufficientScope(route_scopes)));
//   }

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gateway/common/strcat.h"
#include "gateway/http/filter.h"

namespace gw::filters::jwt_authn {

// The challenge parameters of a token that is not valid.
inline constexpr const char* kInvalidToken = "error=\"invalid_token\"";

// True when `required` is empty or `granted` holds one of its scopes.
inline bool hasAnyScope(const std::vector<std::string>& granted,
                        const std::vector<std::string>& required) {
  if (required.empty()) return true;
  return std::any_of(required.begin(), required.end(), [&](const std::string& s) {
    return std::find(granted.begin(), granted.end(), s) != granted.end();
  });
}

// The challenge parameters of a token without the resource's scope.
inline std::string insufficientScope(const std::vector<std::string>& required) {
  return gw::cat("error=\"insufficient_scope\", scope=\"", absl::StrJoin(required, " "), "\"");
}

// The reply that refuses a request; 401 and 403 carry the Bearer challenge
// with `bearer_params` ("" for none).
inline http::LocalReply bearerRefusal(int status, std::string code, std::string message,
                                      std::string description, const std::string& bearer_params) {
  http::LocalReply reply;
  reply.status = status;
  reply.code = std::move(code);
  reply.message = std::move(message);
  reply.description = std::move(description);
  if (status == 401 || status == 403) {
    reply.headers.add("WWW-Authenticate",
                      bearer_params.empty() ? "Bearer" : gw::cat("Bearer ", bearer_params));
  }
  return reply;
}

}  // namespace gw::filters::jwt_authn
