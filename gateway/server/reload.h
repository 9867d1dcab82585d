#pragma once

// What a configuration reload (SIGHUP) changed, for the reload log line and
// for deciding what must be rebuilt. Pure functions over two Runtimes; safe
// on any thread.
//
// Example:
//
//   RuntimeDiff diff = diffRuntimes(*old_runtime, *new_runtime);
//   GW_LOG_INFO("configuration reloaded: ", describeDiff(diff));
//   for (const std::string& s : restartOnlyChanges(started, *new_runtime->config)) GW_LOG_WARN(s);

#include <string>
#include <vector>

#include "conf/config.h"
#include "gateway/server/runtime.h"

namespace gw::server {

struct RuntimeDiff {
  // APIs by "title (basePath)", keyed by basePath.
  std::vector<std::string> apis_added;
  std::vector<std::string> apis_removed;
  std::vector<std::string> apis_changed;
  bool proxy_changed =
      false;  // [httpClients.proxy] or the environment's proxy, credentials included
  bool upstream_changed = false;  // anything the upstream connector is built from (see below)
  bool chain_changed = false;     // the filter chain file's entries
  bool other_changed = false;     // listener limits and timeouts
  bool security_changed =
      false;  // [[jwtTokenConfig]], [keyManager], [authConfig], [jwtConfig], [caching]

  bool empty() const;
};

RuntimeDiff diffRuntimes(const Runtime& before, const Runtime& after);

// One line per setting that only takes effect after a restart (listener
// address, worker count, admin listener, access log) and differs between the
// configuration the process started with and `next`, with both values.
std::vector<std::string> restartOnlyChanges(const conf::Config& started, const conf::Config& next);

// "APIs added: a (/a); proxy changed", or "no changes". Never prints credentials.
std::string describeDiff(const RuntimeDiff& diff);

// True when pooled upstream connections made under `before` must not serve
// requests under `after`: proxy, credentials, TLS settings or trust store
// contents, timeouts or pool limits differ.
bool upstreamSettingsChanged(const Runtime& before, const Runtime& after);

// A digest of a file's bytes ("" when `path` is empty or unreadable).
std::string fileDigest(const std::string& path);

}  // namespace gw::server
