#pragma once

// The key and section names microgw knows: its own micro-gw.conf keys, every
// key and section of WSO2 API Microgateway 3.2's micro-gw.conf (also those
// microgw does not implement; /work/shared/wso2-3.2-keys.md), and the keys of
// the API definition and filter chain YAML files. Internal to //conf:loader.
// Syntax errors name a key only when it is one of these, so that a secret
// standing where a key was expected is never echoed.

#include "absl/strings/string_view.h"

namespace gw::conf {

// True for a name in the list (e.g. "password", "httpClients",
// "x-wso2-production-endpoints"); a dotted name is not in it.
bool isKnownKeyName(absl::string_view name);

}  // namespace gw::conf
