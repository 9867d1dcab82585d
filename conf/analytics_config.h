#pragma once

// [analytics] and [analytics.fileUpload] of micro-gw.conf (WSO2 3.2's keys):
// usage events written to api-usage-data.dat.tmp, rotated, zipped and
// uploaded to the analytics server. WSO2's older form puts the fileUpload
// keys directly under [analytics]; both forms are read (not both at once).
//
// Part of the typed model (//conf:config); filters/analytics reads it.
// readAnalyticsConfig() is a template on the loader's TOML section type
// (conf/toml_section.h) so that //conf:config does not depend on the loader.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gw::conf {

struct AnalyticsConfig {
  bool enabled = false;                      // enable
  std::string stream_version = "3.2.0";      // [analytics] streamVersion: 3.0.0, 3.1.0, 3.2.0
  uint32_t uploading_time_span_ms = 600000;  // uploadingTimeSpanInMillis
  uint32_t initial_delay_ms = 5000;          // initialDelayInMillis
  std::string uploading_endpoint =           // uploadingEndpoint
      "https://localhost:9444/analytics/v1.0/usage/upload-file";
  uint32_t rotating_period_ms = 600000;  // rotatingPeriod
  bool task_upload_files = true;         // taskUploadFiles
  std::string username = "admin";        // username (Basic auth of the upload)
  std::string password = "admin";        // password; never logged
  // microgw's keys: where the files live (usageDataDirectory, relative to
  // micro-gw.conf; WSO2's folder name by default), the disk cap over all of
  // them (maxDiskUsageInMB) and the in-memory event queue (eventQueueSize).
  std::string directory = "api-usage-data";
  uint64_t max_disk_usage_bytes = 1024ull * 1024 * 1024;
  uint32_t queue_size = 65536;
};

namespace analytics_detail {

inline const std::vector<std::string>& fileUploadKeys() {
  static const auto* keys = new std::vector<std::string>{"enable",
                                                         "uploadingTimeSpanInMillis",
                                                         "initialDelayInMillis",
                                                         "uploadingEndpoint",
                                                         "rotatingPeriod",
                                                         "taskUploadFiles",
                                                         "username",
                                                         "password",
                                                         "usageDataDirectory",
                                                         "maxDiskUsageInMB",
                                                         "eventQueueSize"};
  return *keys;
}

template <typename Section>
bool hasAnyFileUploadKey(const Section& s) {
  if (!s.present()) return false;
  for (const std::string& key : fileUploadKeys()) {
    if (s.has(key)) return true;
  }
  return false;
}

template <typename Section>
absl::Status readFileUploadKeys(const Section& s, AnalyticsConfig& out) {
  constexpr int64_t kMaxU32 = 0xffffffffll;
  absl::Status st = s.readBool("enable", out.enabled);
  if (st.ok()) st = s.readInt("uploadingTimeSpanInMillis", 1, kMaxU32, out.uploading_time_span_ms);
  if (st.ok()) st = s.readInt("initialDelayInMillis", 0, kMaxU32, out.initial_delay_ms);
  if (st.ok()) st = s.readString("uploadingEndpoint", out.uploading_endpoint);
  if (st.ok()) st = s.readInt("rotatingPeriod", 1, kMaxU32, out.rotating_period_ms);
  if (st.ok()) st = s.readBool("taskUploadFiles", out.task_upload_files);
  if (st.ok()) st = s.readString("username", out.username);
  if (st.ok()) st = s.readString("password", out.password);
  if (st.ok()) st = s.readString("usageDataDirectory", out.directory);
  int64_t cap_mb = static_cast<int64_t>(out.max_disk_usage_bytes >> 20);
  if (st.ok()) st = s.readInteger("maxDiskUsageInMB", 1, 1 << 30, cap_mb);
  out.max_disk_usage_bytes = static_cast<uint64_t>(cap_mb) << 20;
  if (st.ok()) st = s.readInt("eventQueueSize", 1, 1 << 24, out.queue_size);
  if (!st.ok()) return st;
  if (out.enabled && out.uploading_endpoint.rfind("http://", 0) != 0 &&
      out.uploading_endpoint.rfind("https://", 0) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.keyName("uploadingEndpoint"), " must be an http:// or https:// URL, e.g. ",
                     "\"https://analytics:9444/analytics/v1.0/usage/upload-file\""));
  }
  if (out.enabled && out.directory.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.keyName("usageDataDirectory"), " must not be empty"));
  }
  return absl::OkStatus();
}

// The other analytics publishers of WSO2 3.2: accepted, one warning when enabled.
template <typename Section>
absl::Status noteOtherPublishers(const Section& top, std::vector<std::string>& warnings) {
  for (const char* name : {"gRPCAnalytics", "elkAnalytics", "choreoAnalytics"}) {
    auto sub = top.section(name);
    if (!sub.ok()) return sub.status();
    if (!sub->present()) continue;
    bool enabled = false;
    if (sub->has("enable")) {
      if (absl::Status s = sub->readBool("enable", enabled); !s.ok()) return s;
    }
    if (enabled) {
      warnings.push_back(absl::StrCat(sub->keyName("enable"),
                                      " = true is not supported (accepted and ignored); "
                                      "microgw publishes analytics by [analytics.fileUpload]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace analytics_detail

// Reads [analytics] from the root section of micro-gw.conf. `resolve` turns
// the relative usageDataDirectory into a path (relative to micro-gw.conf).
template <typename Section, typename Resolve>
absl::Status readAnalyticsConfig(const Section& root, const Resolve& resolve, AnalyticsConfig& out,
                                 std::vector<std::string>& warnings) {
  auto top = root.section("analytics");
  if (!top.ok()) return top.status();
  if (!top->present()) return absl::OkStatus();
  std::vector<std::string> keys = analytics_detail::fileUploadKeys();
  keys.push_back("streamVersion");
  if (absl::Status s =
          top->checkKeys(keys, {"fileUpload", "gRPCAnalytics", "elkAnalytics", "choreoAnalytics"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = top->readString("streamVersion", out.stream_version); !s.ok()) return s;
  if (out.stream_version != "3.0.0" && out.stream_version != "3.1.0" &&
      out.stream_version != "3.2.0") {
    return absl::InvalidArgumentError(absl::StrCat(
        top->keyName("streamVersion"), " must be \"3.2.0\" (default), \"3.1.0\" or \"3.0.0\""));
  }
  auto file_upload = top->section("fileUpload");
  if (!file_upload.ok()) return file_upload.status();
  if (file_upload->present()) {
    if (absl::Status s = file_upload->checkKeys(analytics_detail::fileUploadKeys(), {}); !s.ok()) {
      return s;
    }
  }
  const bool old_form = analytics_detail::hasAnyFileUploadKey(*top);
  if (old_form && analytics_detail::hasAnyFileUploadKey(*file_upload)) {
    return absl::InvalidArgumentError(absl::StrCat(
        top->keyName(""), " and ", file_upload->keyName(""),
        " both set file-upload keys; use [analytics.fileUpload] only (the keys directly under "
        "[analytics] are WSO2's older form)"));
  }
  absl::Status s = analytics_detail::readFileUploadKeys(old_form ? *top : *file_upload, out);
  if (!s.ok()) return s;
  out.directory = resolve(out.directory);
  return analytics_detail::noteOtherPublishers(*top, warnings);
}

}  // namespace gw::conf
