#include "filters/api_key/api_key_filter.h"

#include <algorithm>

#include "filters/jwt_authn/token_cache.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/router/route_table.h"

namespace gw::filters::api_key {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%' && i + 2 < in.size() && hexValue(in[i + 1]) >= 0 &&
               hexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexValue(in[i + 1]) * 16 + hexValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// Calls fn(name, value, whole) for each `&`-separated parameter of `query`
// (without its '?').
template <typename Fn>
void forEachParam(std::string_view query, Fn fn) {
  size_t i = 0;
  while (i <= query.size()) {
    size_t end = query.find('&', i);
    if (end == std::string_view::npos) end = query.size();
    std::string_view part = query.substr(i, end - i);
    size_t eq = part.find('=');
    fn(part.substr(0, eq), eq == std::string_view::npos ? "" : part.substr(eq + 1), part);
    i = end + 1;
  }
}

std::vector<conf::ApiKeyLocation> locationsOf(const conf::OperationSecurity& security) {
  if (!security.api_key_locations.empty()) return security.api_key_locations;
  return {{"header", "apikey"}, {"query", "apikey"}};
}

}  // namespace

std::optional<std::string> queryParam(std::string_view query, std::string_view name) {
  if (!query.empty() && query.front() == '?') query.remove_prefix(1);
  std::optional<std::string> out;
  forEachParam(query, [&](std::string_view n, std::string_view v, std::string_view) {
    if (!out && percentDecode(n) == name) out = percentDecode(v);
  });
  return out;
}

std::string removeQueryParam(std::string_view path, std::string_view name) {
  size_t q = path.find('?');
  if (q == std::string_view::npos) return std::string(path);
  std::string out(path.substr(0, q));
  std::string kept;
  forEachParam(path.substr(q + 1), [&](std::string_view n, std::string_view, std::string_view p) {
    if (percentDecode(n) == name) return;
    if (!kept.empty()) kept.push_back('&');
    kept.append(p);
  });
  if (!kept.empty()) out += "?" + kept;
  return out;
}

bool allowsApi(const nlohmann::json& claims, const std::string& name, const std::string& version) {
  for (const char* claim : {"subscribedAPIs", "allowedAPIs"}) {
    auto list = claims.find(claim);
    if (list == claims.end() || !list->is_array()) continue;
    for (const nlohmann::json& api : *list) {
      if (!api.is_object()) continue;
      auto n = api.find("name");
      auto v = api.find("version");
      if (n != api.end() && v != api.end() && *n == name && *v == version) return true;
    }
  }
  return false;
}

http::FilterStatus ApiKeyFilter::decodeHeaders(http::RequestHeaders& headers, bool) {
  const router::RouteMatch* route = decoder_callbacks_->route();
  if (route == nullptr || !route->secured() || !route->operation->security.api_key ||
      decoder_callbacks_->authenticated()) {
    return http::FilterStatus::Continue;
  }
  std::vector<std::string> tried;
  for (const conf::ApiKeyLocation& where : locationsOf(route->operation->security)) {
    std::optional<std::string> key;
    if (where.in == "header") {
      if (const std::string* v = headers.headers.get(where.name)) key = *v;
      tried.push_back(gw::cat("header ", where.name));
    } else {
      key = queryParam(headers.query(), where.name);
      tried.push_back(gw::cat("query parameter ", where.name));
    }
    if (!key) continue;
    http::AuthIdentity identity;
    if (!validate(*key, *route, identity)) return http::FilterStatus::StopIteration;
    decoder_callbacks_->setAuthenticated("api_key");
    decoder_callbacks_->setIdentity(std::move(identity));
    if (where.in == "query") {
      headers.path = removeQueryParam(headers.path, where.name);
    } else if (config_->security.remove_auth_header) {
      headers.headers.remove(where.name);
    }
    config_->outcomes[static_cast<int>(Outcome::Success)]->inc();
    return http::FilterStatus::Continue;
  }
  std::string where;
  for (const std::string& t : tried) where += (where.empty() ? "" : " or ") + t;
  return refuse(Outcome::Missing, 401, "900902", "Missing Credentials",
                gw::cat("the resource is secured: send an API key in the ", where,
                        route->operation->security.oauth2 ? ", or a bearer access token" : ""));
}

bool ApiKeyFilter::validate(std::string_view key, const router::RouteMatch& route,
                            http::AuthIdentity& identity) {
  const std::string id = gw::cat("sha256 ", jwt_authn::shortHash(jwt_authn::tokenDigest(key)));
  auto invalid = [&](Outcome outcome, std::string description) {
    GW_LOG_INFO("api_key: key ", id, " refused: ", description);
    refuse(outcome, 401, "900901", "Invalid Credentials", std::move(description));
    return false;
  };
  absl::StatusOr<jwt_authn::Jwt> jwt = jwt_authn::parseJwt(key);
  if (!jwt.ok()) return invalid(Outcome::Invalid, "the API key is not a WSO2 API key (a JWT)");
  if (!config_->key) {
    return invalid(Outcome::Invalid,
                   "no API key issuer is configured ([apikey.tokenConfigs] certificateAlias)");
  }
  if (jwt->issuer != config_->security.apikey_issuer) {
    return invalid(Outcome::Invalid,
                   "the API key's issuer (iss) is not [apikey.tokenConfigs] issuer");
  }
  if (absl::Status s = jwt_authn::verifySignature(*jwt, *config_->key); !s.ok()) {
    return invalid(Outcome::Invalid, gw::cat("signature check failed: ", s.message()));
  }
  const auto skew = std::chrono::milliseconds(config_->security.timestamp_skew_ms);
  if (absl::Status s = jwt_authn::checkTimes(*jwt, config_->now_seconds(), skew); !s.ok()) {
    return invalid(Outcome::Expired, std::string(s.message()));
  }
  const conf::ApiDefinition& api = route.api->api();
  if (config_->security.apikey_validate_allowed_apis &&
      !allowsApi(jwt->claims, api.title, api.version)) {
    // WSO2 3.2 (validateAPIKey() returning false) answers this as an
    // authentication failure: 401 900901, not 403.
    return invalid(
        Outcome::Forbidden,
        gw::cat("the API key is not allowed for API '", api.title, "' version ", api.version,
                " (its subscribedAPIs/allowedAPIs claim does not list it)"));
  }
  identity = jwt_authn::identityFromClaims(jwt->claims);
  return true;
}

http::FilterStatus ApiKeyFilter::refuse(Outcome outcome, int status, std::string code,
                                        std::string message, std::string description) {
  config_->outcomes[static_cast<int>(outcome)]->inc();
  http::LocalReply reply;
  reply.status = status;
  reply.code = std::move(code);
  reply.message = std::move(message);
  reply.description = std::move(description);
  decoder_callbacks_->sendLocalReply(reply);
  return http::FilterStatus::StopIteration;
}

}  // namespace gw::filters::api_key
