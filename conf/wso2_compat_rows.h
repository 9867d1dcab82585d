#pragma once

// Internal to //conf:wso2_compat: the table's rows (wso2_compat_rows.cc), kept
// apart from the code that looks keys up and renders the README table.

#include <vector>

#include "conf/wso2_compat.h"

namespace gw::conf {

// Builds the rows once; wso2Table() keeps them.
std::vector<Wso2Entry> buildWso2Table();

}  // namespace gw::conf
