#pragma once

// One line per request: time, client, method, path, status, response body
// bytes, upstream, API, duration, and who cut the response short, if anyone:
//
//   2026-01-02T03:04:05.678Z 10.0.0.7 "GET /pets/1" 200 1024 upstream=b:80 api="pets" 3.1ms
//   aborted=-
//
// Every value is escaped (escapeLogValue), so a request cannot forge fields.
// Thread-safe; lines are buffered and flushed by flush() (called
// periodically by the main thread) and at exit.

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
  // Who ended a response after it had started ("client", "backend",
  // "timeout", "gateway"; see abortedBy()), or "" when it completed.
  std::string_view aborted_by;
};

// `value` with `"` and `\` backslash-escaped and every control byte, DEL and
// byte >= 0x80 written as \xHH: one printable ASCII token per logged value.
std::string escapeLogValue(std::string_view value);

// Who cut a started response short, from the status of the local reply that
// became a reset: 408 "client" (it stopped reading), 504 "timeout" (the
// backend fell silent), 502 or 503 "backend" (it closed or sent an invalid
// response), else "gateway".
std::string_view abortedBy(int local_reply_status);

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
