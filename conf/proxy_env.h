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

// nullopt when none of HTTPS_PROXY, https_proxy, HTTP_PROXY, http_proxy is
// set to a non-empty value.
absl::StatusOr<std::optional<ProxyConfig>> proxyFromEnvironment(const Environment& env);

// Parses `[http://][user[:password]@]host[:port][/]`. Errors name `variable`,
// never the URL.
absl::StatusOr<ProxyConfig> parseProxyUrl(absl::string_view url, absl::string_view variable);

// Splits a NO_PROXY value on commas, trimming blanks and dropping empties.
std::vector<std::string> splitNoProxy(absl::string_view value);

}  // namespace gw::conf
