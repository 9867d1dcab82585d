#pragma once

// Registers the "cors" filter. It takes no `config:` in the chain file: each
// API's x-wso2-cors is its policy. At start-up (and on reload) it logs, per
// API with CORS, what is allowed, and warns when "*" is combined with
// accessControlAllowCredentials (credentials are then not sent) or when an
// auth filter runs before it in the chain.

#include <string>
#include <vector>

#include "conf/config.h"

namespace gw::filters::cors {

// The start-up warnings for one API's policy given the chain's filter names
// (in order). Empty when there is nothing to say.
std::vector<std::string> policyWarnings(const conf::ApiDefinition& api,
                                        const std::vector<std::string>& chain_names);

}  // namespace gw::filters::cors
