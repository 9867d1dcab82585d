#include "gateway/server/access_log.h"

#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "gateway/common/strcat.h"
#include "absl/strings/str_format.h"

namespace gw::server {

absl::StatusOr<std::unique_ptr<AccessLog>> AccessLog::open(const conf::AccessLogConfig& config) {
  if (!config.enabled) return std::unique_ptr<AccessLog>(new AccessLog(nullptr, false));
  if (config.path.empty() || config.path == "-") {
    return std::unique_ptr<AccessLog>(new AccessLog(stdout, false));
  }
  FILE* f = std::fopen(config.path.c_str(), "a");
  if (f == nullptr) {
    return absl::InvalidArgumentError(gw::cat("accessLog.path: cannot open '", config.path,
                                                   "': ", std::strerror(errno)));
  }
  return std::unique_ptr<AccessLog>(new AccessLog(f, true));
}

AccessLog::~AccessLog() {
  flush();
  if (owned_ && file_ != nullptr) std::fclose(file_);
}

void AccessLog::write(const AccessLogEntry& e) {
  if (file_ == nullptr) return;
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  gmtime_r(&tv.tv_sec, &t);
  std::string line = absl::StrFormat(
      "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s \"%s %s\" %d %d upstream=%s api=\"%s\" %.1fms\n",
      t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
      static_cast<int>(tv.tv_usec / 1000), e.client, e.method, e.path, e.status, e.bytes,
      e.upstream.empty() ? "-" : e.upstream, e.api, e.duration_ms);
  std::lock_guard<std::mutex> lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), file_);
}

void AccessLog::flush() {
  if (file_ == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  std::fflush(file_);
}

}  // namespace gw::server
