#include "filters/oauth2_introspection/oauth2_introspection_filter.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/str_join.h"
#include "filters/jwt_authn/bearer_reply.h"
#include "filters/jwt_authn/jwt.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/router/route_table.h"

namespace gw::filters::oauth2_introspection {
namespace {

std::vector<std::string> splitScopes(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find(' ', i);
    if (end == std::string::npos) end = text.size();
    if (end > i) out.push_back(text.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

}  // namespace

absl::StatusOr<Introspection> parseIntrospection(const proxy::HttpResponse& response) {
  if (response.status != 200) {
    return absl::UnavailableError(
        gw::cat("answered HTTP ", response.status,
                response.status == 401 || response.status == 403
                    ? " (check [keymanager.security.basic] username and password)"
                    : ""));
  }
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return absl::InternalError("answered 200 with a body that is not a JSON object");
  }
  auto active = body.find("active");
  if (active == body.end() || !active->is_boolean()) {
    return absl::InternalError("answered 200 without a boolean `active` (not RFC 7662)");
  }
  Introspection out;
  out.active = active->get<bool>();
  auto exp = body.find("exp");
  if (exp != body.end() && exp->is_number()) out.expires_at = exp->get<int64_t>();
  auto scope = body.find("scope");
  if (scope != body.end() && scope->is_string())
    out.scopes = splitScopes(scope->get<std::string>());
  auto jti = body.find("jti");
  if (jti != body.end() && jti->is_string()) out.jti = jti->get<std::string>();
  out.identity = jwt_authn::identityFromClaims(body);
  return out;
}

std::string introspectionBody(std::string_view token) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "token_type_hint=access_token&token=";
  for (unsigned char c : token) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

http::FilterStatus OAuth2IntrospectionFilter::decodeHeaders(http::RequestHeaders& headers, bool) {
  const router::RouteMatch* route = decoder_callbacks_->route();
  if (route == nullptr || !route->secured() || !route->operation->security.oauth2 ||
      decoder_callbacks_->authenticated()) {
    return http::FilterStatus::Continue;
  }
  const conf::SecurityConfig& sec = config_->security;
  const std::string& api_header = route->api->api().auth_header;
  header_ = api_header.empty() ? sec.authorization_header : api_header;
  const std::string* value = headers.headers.get(header_);
  if (value == nullptr) {
    if (config_->defer_missing_to_api_key && route->operation->security.api_key) {
      return http::FilterStatus::Continue;  // the api_key filter decides
    }
    refuse(Outcome::Missing, 401, "900902", "Missing Credentials",
           gw::cat("the resource is secured: send an access token in the ", header_,
                   " header as 'Bearer <token>'"),
           "");
    return http::FilterStatus::StopIteration;
  }
  std::optional<std::string_view> token = jwt_authn::bearerToken(*value);
  if (!token) {
    refuse(Outcome::Invalid, 401, "900901", "Invalid Credentials",
           gw::cat("the ", header_, " header must be 'Bearer <token>'"),
           "error=\"invalid_request\"");
    return http::FilterStatus::StopIteration;
  }
  headers_ = &headers;
  digest_ = jwt_authn::tokenDigest(*token);
  if (config_->cache) {
    if (auto hit = config_->cache->find(digest_, config_->now_seconds())) {
      if (!admit(*hit)) return http::FilterStatus::StopIteration;
      config_->outcomes[static_cast<int>(Outcome::CacheHit)]->inc();
      return http::FilterStatus::Continue;
    }
  }
  introspect(*token);
  return http::FilterStatus::StopIteration;
}

void OAuth2IntrospectionFilter::introspect(std::string_view token) {
  proxy::HttpRequest req;
  req.method = "POST";
  req.url = config_->url;
  req.timeout = config_->timeout;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
  if (!config_->authorization.empty())
    req.headers.emplace_back("Authorization", config_->authorization);
  req.body = introspectionBody(token);
  if (config_->calls != nullptr) config_->calls->inc();
  std::weak_ptr<bool> alive = alive_;
  proxy::HttpCallback done = [this, alive](absl::StatusOr<proxy::HttpResponse> answer) {
    if (alive.expired()) return;
    onAnswer(std::move(answer));
  };
  if (config_->sender) {
    config_->sender(std::move(req), std::move(done));
    return;
  }
  client_ = std::make_unique<proxy::HttpClient>(
      decoder_callbacks_->dispatcher(), decoder_callbacks_->connector(), config_->http_clients);
  client_->request(std::move(req), std::move(done));
}

void OAuth2IntrospectionFilter::onAnswer(absl::StatusOr<proxy::HttpResponse> answer) {
  absl::StatusOr<Introspection> parsed =
      answer.ok() ? parseIntrospection(*answer) : absl::StatusOr<Introspection>(answer.status());
  const std::string short_hash = jwt_authn::shortHash(digest_);
  if (!parsed.ok()) {
    GW_LOG_WARN("oauth2_introspection: token sha256 ", short_hash, ": the key manager at ",
                config_->url, " failed: ", parsed.status().message());
    refuse(Outcome::Unavailable, 503, "", "Key manager unavailable",
           gw::cat("token introspection at ", config_->url, " failed (", parsed.status().message(),
                   "); retry later"),
           "");
    return;
  }
  const std::string id = jwt_authn::tokenLogId(parsed->jti, digest_);
  const int64_t now = config_->now_seconds();
  if (!parsed->active || (parsed->expires_at && *parsed->expires_at <= now)) {
    const bool expired = parsed->active;
    GW_LOG_INFO("oauth2_introspection: token ", id,
                " refused: ", expired ? "expired" : "the key manager says it is not active");
    refuse(expired ? Outcome::Expired : Outcome::Invalid, 401, "900901", "Invalid Credentials",
           expired ? "the access token has expired"
                   : "the access token is not active (revoked, expired or unknown to the key "
                     "manager)",
           jwt_authn::kInvalidToken);
    return;
  }
  jwt_authn::ValidatedToken valid;
  valid.expires_at = now + config_->security.token_cache_expiry_s;
  if (parsed->expires_at) valid.expires_at = std::min(valid.expires_at, *parsed->expires_at);
  valid.scopes = std::move(parsed->scopes);
  valid.log_id = id;
  valid.identity = std::move(parsed->identity);
  if (config_->cache) config_->cache->insert(digest_, valid, now);
  if (!admit(valid)) return;
  config_->outcomes[static_cast<int>(Outcome::Success)]->inc();
  decoder_callbacks_->continueDecoding();
}

bool OAuth2IntrospectionFilter::admit(const jwt_authn::ValidatedToken& token) {
  const router::RouteMatch* route = decoder_callbacks_->route();
  const std::vector<std::string>& required = route->operation->security.scopes;
  if (!jwt_authn::hasAnyScope(token.scopes, required)) {
    GW_LOG_INFO("oauth2_introspection: token ", token.log_id, " lacks the scope of ",
                route->operation->method, " ", route->operation->path_template);
    refuse(Outcome::Forbidden, 403, "900908", "Resource forbidden",
           gw::cat("the access token lacks the scope this resource requires (one of: ",
                   absl::StrJoin(required, ", "), ")"),
           jwt_authn::insufficientScope(required));
    return false;
  }
  decoder_callbacks_->setAuthenticated("oauth2_introspection");
  decoder_callbacks_->setIdentity(token.identity);
  if (config_->security.remove_auth_header) headers_->headers.remove(header_);
  return true;
}

void OAuth2IntrospectionFilter::refuse(Outcome outcome, int status, std::string code,
                                       std::string message, std::string description,
                                       std::string bearer_params) {
  config_->outcomes[static_cast<int>(outcome)]->inc();
  decoder_callbacks_->sendLocalReply(jwt_authn::bearerRefusal(
      status, std::move(code), std::move(message), std::move(description), bearer_params));
}

void OAuth2IntrospectionFilter::onDestroy() {
  alive_.reset();
  client_.reset();
}

}  // namespace gw::filters::oauth2_introspection
