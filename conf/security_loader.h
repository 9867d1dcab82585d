#pragma once

// micro-gw.conf's security sections -> SecurityConfig: [keyManager],
// [keymanager.security.basic], [[jwtTokenConfig]] (with [[jwtTokenConfig.claims]]),
// [authConfig], [apikey.tokenConfigs],
// [jwtConfig] and [caching]. Internal to //conf:loader.

#include "absl/status/status.h"
#include "conf/config.h"
#include "conf/toml_section.h"

namespace gw::conf {

// The root-level section names this reader owns.
inline const std::vector<std::string>& securitySectionNames() {
  static const auto* names = new std::vector<std::string>{
      "keyManager", "keymanager", "jwtTokenConfig", "authConfig", "jwtConfig", "caching", "apikey"};
  return *names;
}

// Reads every security section of `root`; `file` resolves certificateAlias
// paths. Accepted-but-unimplemented WSO2 keys add a line to `warnings`.
absl::Status readSecurity(const TomlSection& root, const std::string& file, SecurityConfig& out,
                          std::vector<std::string>& warnings);

}  // namespace gw::conf
