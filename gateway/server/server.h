#pragma once

// Start-up and shutdown: loads micro-gw.conf, the API definitions and the
// filter chain into an immutable Runtime, binds the listeners, runs the
// workers and the admin listener, reloads the configuration on SIGHUP, and
// drains gracefully on SIGTERM/SIGINT.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/server/runtime.h"
#include "gateway/stats/stats.h"

namespace gw::server {

struct Options {
  std::string conf_path = "conf/micro-gw.conf";
  std::string apis_dir = "conf/apis";
  // --etcd key=value: WSO2's run-time etcd keys, over micro-gw.conf's (conf/etcd_config.h).
  std::vector<std::string> etcd_flags;
  // ${mgw-runtime.home} in micro-gw.conf paths (--runtime-home); unset = an error where used.
  std::optional<std::string> runtime_home;
};

// Loads and validates everything. Errors name the file, the key or entry, and
// what to change.
absl::StatusOr<RuntimeConstSharedPtr> loadRuntime(const Options& options, stats::Store& stats);

// Builds the filter factories for `chain` from the registry. Public for tests.
absl::StatusOr<std::vector<http::FilterFactoryCb>> buildFilterChain(
    const conf::FilterChainConfig& chain, const conf::Config& config, stats::Store& stats,
    const router::RouteTable* routes = nullptr);

// Serves until SIGTERM/SIGINT and a drain. On SIGHUP, loads `options` again
// with loadRuntime(): a valid result serves new requests, an invalid one is
// logged and refused. Returns the process exit code.
int serve(RuntimeConstSharedPtr runtime, stats::Store& stats, const Options& options);

}  // namespace gw::server
