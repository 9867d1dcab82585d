#pragma once

// The proxy from the environment (HTTPS_PROXY & co.), used when micro-gw.conf
// has no [httpClients.proxy] section. Internal to //conf:loader; see
// conf/loader.h for the rules.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "conf/config.h"
#include "conf/loader.h"

namespace gw::conf {

// Default proxy port when the URL has none (curl's default).
inline constexpr uint16_t kEnvProxyDefaultPort = 1080;
// For https:// proxy URLs without a port (as curl).
inline constexpr uint16_t kEnvHttpsProxyDefaultPort = 443;

// The proxies the environment names, per target scheme: `https` from
// HTTPS_PROXY (or https_proxy), `http` from HTTP_PROXY (or http_proxy); each
// nullopt when its variables are unset or empty. NO_PROXY (or no_proxy)
// applies to both.
struct EnvironmentProxies {
  std::optional<ProxyConfig> https;
  std::optional<ProxyConfig> http;
};
absl::StatusOr<EnvironmentProxies> proxiesFromEnvironment(const Environment& env);

// Parses `[http://][user[:password]@]host[:port][/]`. Errors name `variable`,
// never the URL.
absl::StatusOr<ProxyConfig> parseProxyUrl(absl::string_view url, absl::string_view variable);

// Splits a NO_PROXY value on commas, trimming blanks and dropping empties.
std::vector<std::string> splitNoProxy(absl::string_view value);

}  // namespace gw::conf
