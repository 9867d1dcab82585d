#pragma once

// The process-wide analytics service: the usage-data directory, its one
// writer thread and the upload thread. Every analytics filter config of the
// process (the start-up chain and each reload's) shares the same instance, so
// there is only ever one writer of api-usage-data.dat.tmp; it lives while any
// chain holds it. A reload with different [analytics] settings keeps the
// running ones and says so (they take effect after a restart).
//
// Destroying the last reference writes the queued events to disk before the
// threads stop, so a clean restart loses nothing; files on disk are uploaded
// by the next process.
//
// Thread-safety: acquire() from any thread; publish() from any thread.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "conf/config.h"
#include "filters/analytics/uploader.h"
#include "filters/analytics/usage_files.h"
#include "filters/analytics/usage_writer.h"
#include "gateway/stats/stats.h"

namespace gw::filters::analytics {

class AnalyticsService {
 public:
  // The running service, or a new one built from `config` (which must be
  // enabled). `stats` must outlive the service.
  static absl::StatusOr<std::shared_ptr<AnalyticsService>> acquire(
      const conf::AnalyticsConfig& config, const conf::HttpClientsConfig& http_clients,
      stats::Store& stats);
  ~AnalyticsService();

  const conf::AnalyticsConfig& config() const { return config_; }
  void publish(std::string_view line) { writer_->publish(line); }

 private:
  explicit AnalyticsService(conf::AnalyticsConfig config) : config_(std::move(config)) {}
  const conf::AnalyticsConfig config_;
  std::unique_ptr<UsageFiles> files_;
  std::unique_ptr<UsageWriter> writer_;
  std::unique_ptr<Uploader> uploader_;  // null when taskUploadFiles = false
};

}  // namespace gw::filters::analytics
