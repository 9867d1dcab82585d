#pragma once

// [tokenRevocationConfig.persistent]: the config model lives in the conf
// module (conf/revocation_config.h, below every filter); these names keep the
// revocation code readable in its own namespace.

#include "conf/revocation_config.h"

namespace gw::filters::token_revocation {

using conf::EtcdEndpoint;
using KeyNamer = conf::RevocationKeyNamer;
using conf::parseEtcdEndpoint;
using conf::readTokenRevocationConfig;
using conf::RevocationConfig;
using conf::validateRevocationConfig;

}  // namespace gw::filters::token_revocation
