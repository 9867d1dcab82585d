#pragma once

// Reads [throttlingConfig] (internal to //conf:loader).

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "conf/throttling_config.h"
#include "conf/toml_section.h"

namespace gw::conf {

// `root` is micro-gw.conf's root section, `file` its path (policiesFile is
// relative to it). WSO2 keys microgw does not implement (JMS, binary,
// nodeLocal, dataRetriever) add one warning each to `warnings`.
absl::Status readThrottlingConfig(const TomlSection& root, const std::string& file,
                                  ThrottlingConfig& out, std::vector<std::string>& warnings);

}  // namespace gw::conf
