#include "conf/proxy_env.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "conf/url.h"

namespace gw::conf {
namespace {

absl::Status urlError(absl::string_view variable, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("environment variable '", variable, "': malformed proxy URL: ", what));
}

std::optional<std::string> nonEmpty(const Environment& env, const std::string& name) {
  if (!env.get_env) return std::nullopt;
  std::optional<std::string> value = env.get_env(name);
  if (value && absl::StripAsciiWhitespace(*value).empty()) return std::nullopt;
  return value;
}

}  // namespace

absl::StatusOr<ProxyConfig> parseProxyUrl(absl::string_view url, absl::string_view variable) {
  absl::StatusOr<ParsedUrl> parsed = parseUrl(absl::StripAsciiWhitespace(url));
  if (!parsed.ok()) return urlError(variable, parsed.status().message());
  if (!parsed->scheme.empty() && parsed->scheme != "http" && parsed->scheme != "https") {
    return urlError(variable, "unsupported scheme (expected http or https)");
  }
  const bool https = parsed->scheme == "https";
  if (parsed->has_query_or_fragment || (!parsed->path.empty() && parsed->path != "/")) {
    return urlError(variable, "unexpected path, query or fragment");
  }
  ProxyConfig proxy;
  proxy.host = parsed->host;
  proxy.port = parsed->port.value_or(https ? kEnvHttpsProxyDefaultPort : kEnvProxyDefaultPort);
  if (https) proxy.protocol = "https";
  if (parsed->has_userinfo) {
    absl::StatusOr<std::string> user = percentDecode(parsed->user);
    if (!user.ok()) return urlError(variable, "malformed percent escape in user name");
    absl::StatusOr<std::string> password = percentDecode(parsed->password);
    if (!password.ok()) return urlError(variable, "malformed percent escape in password");
    proxy.username = *std::move(user);
    proxy.password = *std::move(password);
  }
  proxy.enabled = true;
  proxy.enable_internal_services = true;
  proxy.source = absl::StrCat("environment (", variable, ")");
  return proxy;
}

std::vector<std::string> splitNoProxy(absl::string_view value) {
  std::vector<std::string> hosts;
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) hosts.emplace_back(part);
  }
  return hosts;
}

// The first non-empty of `variables`, parsed, with NO_PROXY applied.
absl::StatusOr<std::optional<ProxyConfig>> proxyFromVariables(
    const Environment& env, std::initializer_list<const char*> variables) {
  for (const char* variable : variables) {
    std::optional<std::string> url = nonEmpty(env, variable);
    if (!url) continue;
    absl::StatusOr<ProxyConfig> proxy = parseProxyUrl(*url, variable);
    if (!proxy.ok()) return proxy.status();
    for (const char* no_proxy : {"NO_PROXY", "no_proxy"}) {
      if (std::optional<std::string> hosts = nonEmpty(env, no_proxy)) {
        proxy->non_proxy_hosts = splitNoProxy(*hosts);
        break;
      }
    }
    return std::optional<ProxyConfig>(*std::move(proxy));
  }
  return std::optional<ProxyConfig>();
}

absl::StatusOr<EnvironmentProxies> proxiesFromEnvironment(const Environment& env) {
  EnvironmentProxies out;
  absl::StatusOr<std::optional<ProxyConfig>> https =
      proxyFromVariables(env, {"HTTPS_PROXY", "https_proxy"});
  if (!https.ok()) return https.status();
  absl::StatusOr<std::optional<ProxyConfig>> http =
      proxyFromVariables(env, {"HTTP_PROXY", "http_proxy"});
  if (!http.ok()) return http.status();
  out.https = *std::move(https);
  out.http = *std::move(http);
  return out;
}

}  // namespace gw::conf
