#pragma once

// Minimal thread-safe logging to stderr: one line per call, with a UTC
// timestamp and level. Messages must never contain secrets (proxy passwords,
// client secrets, Authorization values).
//
// Example:
//
//   GW_LOG_WARN("proxy ", host, ":", port, " answered 407: check httpClients.proxy.username");

#include <string_view>

#include "gateway/common/strcat.h"

namespace gw::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void setLevel(Level level);
bool enabled(Level level);
void write(Level level, std::string_view message);

}  // namespace gw::log

#define GW_LOG_AT(level, ...)                                                       \
  do {                                                                              \
    if (::gw::log::enabled(level)) ::gw::log::write(level, ::gw::cat(__VA_ARGS__)); \
  } while (0)
#define GW_LOG_DEBUG(...) GW_LOG_AT(::gw::log::Level::Debug, __VA_ARGS__)
#define GW_LOG_INFO(...) GW_LOG_AT(::gw::log::Level::Info, __VA_ARGS__)
#define GW_LOG_WARN(...) GW_LOG_AT(::gw::log::Level::Warn, __VA_ARGS__)
#define GW_LOG_ERROR(...) GW_LOG_AT(::gw::log::Level::Error, __VA_ARGS__)
