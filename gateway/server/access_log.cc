#include "gateway/server/access_log.h"

#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "absl/strings/str_format.h"
#include "gateway/common/strcat.h"

namespace gw::server {

std::string escapeLogValue(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string_view abortedBy(int local_reply_status) {
  if (local_reply_status == 408) return "client";
  if (local_reply_status == 504) return "timeout";
  if (local_reply_status == 502 || local_reply_status == 503) return "backend";
  return "gateway";
}

absl::StatusOr<std::unique_ptr<AccessLog>> AccessLog::open(const conf::AccessLogConfig& config) {
  if (!config.enabled) return std::unique_ptr<AccessLog>(new AccessLog(nullptr, false));
  if (config.path.empty() || config.path == "-") {
    return std::unique_ptr<AccessLog>(new AccessLog(stdout, false));
  }
  FILE* f = std::fopen(config.path.c_str(), "a");
  if (f == nullptr) {
    return absl::InvalidArgumentError(
        gw::cat("accessLog.path: cannot open '", config.path, "': ", std::strerror(errno)));
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
      "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s \"%s %s\" %d %d upstream=%s api=\"%s\" %.1fms "
      "aborted=%s\n",
      t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
      static_cast<int>(tv.tv_usec / 1000), escapeLogValue(e.client), escapeLogValue(e.method),
      escapeLogValue(e.path), e.status, e.bytes,
      e.upstream.empty() ? "-" : escapeLogValue(e.upstream), escapeLogValue(e.api), e.duration_ms,
      e.aborted_by.empty() ? "-" : escapeLogValue(e.aborted_by));
  std::lock_guard<std::mutex> lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), file_);
}

void AccessLog::flush() {
  if (file_ == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  std::fflush(file_);
}

}  // namespace gw::server
