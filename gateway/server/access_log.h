#pragma once

// One line per request: time, client, method, path, status, response body
// bytes, upstream, duration. Thread-safe; lines are buffered and flushed by
// flush() (called periodically by the main thread) and at exit.

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "conf/config.h"

namespace gw::server {

struct AccessLogEntry {
  std::string_view client;
  std::string_view method;
  std::string_view path;
  int status = 0;
  uint64_t bytes = 0;
  std::string_view upstream;
  double duration_ms = 0;
  std::string_view api;
};

class AccessLog {
 public:
  // Opens the configured destination ("-" = stdout). Disabled config -> a no-op log.
  static absl::StatusOr<std::unique_ptr<AccessLog>> open(const conf::AccessLogConfig& config);
  ~AccessLog();

  bool enabled() const { return file_ != nullptr; }
  void write(const AccessLogEntry& entry);
  void flush();

 private:
  AccessLog(FILE* file, bool owned) : file_(file), owned_(owned) {}
  std::mutex mutex_;
  FILE* file_;
  bool owned_;
};

}  // namespace gw::server
