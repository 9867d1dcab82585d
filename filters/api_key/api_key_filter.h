#pragma once

// The api_key filter: validates WSO2 3.2 API keys, which are JWTs signed by
// the key issuer ([apikey.tokenConfigs]).
//
// Runs on secured routes whose security types include api_key (the API's
// x-wso2-application-security, or an apiKey scheme named by the operation's
// OpenAPI `security`), when no filter before it authenticated the stream.
// The key is read from the locations of the route's apiKey securitySchemes
// (`in: header|query`, `name`), or, when none is named, from the `apikey`
// header and the `apikey` query parameter. The key must be a JWT with the
// configured `iss`, signed by the certificateAlias key, inside its times
// (exp optional: WSO2 issues keys with validityTime -1), and, with
// validateAllowedAPIs, list the API (name = title, version) in its
// `subscribedAPIs` or `allowedAPIs` claim.
//
// Success: the stream is authenticated and the key is removed before the
// backend (query parameter always; header with [authConfig]
// removeAuthHeaderFromOutMessage). Failures: 401 900902 (no key), 401 900901
// (invalid, expired, wrong issuer, and, as WSO2 3.2 answers it, a valid key
// whose subscribedAPIs/allowedAPIs do not list the API).
// The key never appears in a log line or body.

#include <memory>

#include "filters/api_key/config.h"
#include "filters/jwt_authn/jwt.h"
#include "gateway/http/filter.h"

namespace gw::filters::api_key {

// `name`'s value in a query string ("?a=1&apikey=x" -> "x"), percent-decoded;
// nullopt when absent.
std::optional<std::string> queryParam(std::string_view query, std::string_view name);
// The path with every `name` parameter removed from its query string.
std::string removeQueryParam(std::string_view path, std::string_view name);
// Whether the key's subscribedAPIs / allowedAPIs claim lists {name, version}.
bool allowsApi(const nlohmann::json& claims, const std::string& name, const std::string& version);

class ApiKeyFilter : public http::PassThroughFilter {
 public:
  explicit ApiKeyFilter(std::shared_ptr<const ApiKeyConfig> config) : config_(std::move(config)) {}

  http::FilterStatus decodeHeaders(http::RequestHeaders& headers, bool end_stream) override;

 private:
  // On failure sends the reply and returns false.
  // On success, `identity` gets who the key names (its claims).
  bool validate(std::string_view key, const router::RouteMatch& route,
                http::AuthIdentity& identity);
  http::FilterStatus refuse(Outcome outcome, int status, std::string code, std::string message,
                            std::string description);

  std::shared_ptr<const ApiKeyConfig> config_;
};

}  // namespace gw::filters::api_key
