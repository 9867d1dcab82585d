#pragma once

// Status propagation for the loaders. Internal to //conf:loader.

// Returns the absl::Status of `expr` from the current function if it is not OK.
#define GW_CONF_RETURN_IF_ERROR(expr)                                   \
  do {                                                                  \
    if (absl::Status gw_conf_status_ = (expr); !gw_conf_status_.ok()) { \
      return gw_conf_status_;                                           \
    }                                                                   \
  } while (false)
