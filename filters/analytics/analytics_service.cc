#include "filters/analytics/analytics_service.h"

#include <mutex>

#include "gateway/common/log.h"

namespace gw::filters::analytics {
namespace {

bool sameSettings(const conf::AnalyticsConfig& a, const conf::AnalyticsConfig& b) {
  return a.stream_version == b.stream_version &&
         a.uploading_time_span_ms == b.uploading_time_span_ms &&
         a.initial_delay_ms == b.initial_delay_ms && a.uploading_endpoint == b.uploading_endpoint &&
         a.rotating_period_ms == b.rotating_period_ms &&
         a.task_upload_files == b.task_upload_files && a.username == b.username &&
         a.password == b.password && a.directory == b.directory &&
         a.max_disk_usage_bytes == b.max_disk_usage_bytes && a.queue_size == b.queue_size;
}

}  // namespace

absl::StatusOr<std::shared_ptr<AnalyticsService>> AnalyticsService::acquire(
    const conf::AnalyticsConfig& config, const conf::HttpClientsConfig& http_clients,
    stats::Store& stats) {
  static std::mutex* mutex = new std::mutex();
  static auto* running = new std::weak_ptr<AnalyticsService>();
  std::lock_guard<std::mutex> lock(*mutex);
  if (std::shared_ptr<AnalyticsService> current = running->lock()) {
    if (!sameSettings(current->config(), config)) {
      GW_LOG_WARN(
          "analytics: [analytics] settings changed; they take effect after a restart "
          "(still writing to ",
          current->config().directory, ")");
    }
    return current;
  }
  absl::StatusOr<std::unique_ptr<UsageFiles>> files = UsageFiles::open(config.directory);
  if (!files.ok()) return files.status();
  std::shared_ptr<AnalyticsService> service(new AnalyticsService(config));
  service->files_ = *std::move(files);
  UsageWriter::Options options;
  options.queue_size = config.queue_size;
  options.max_disk_bytes = config.max_disk_usage_bytes;
  options.rotating_period = std::chrono::milliseconds(config.rotating_period_ms);
  service->writer_ = std::make_unique<UsageWriter>(*service->files_, std::move(options),
                                                   UsageWriter::countersIn(stats));
  if (config.task_upload_files) {
    service->uploader_ = std::make_unique<Uploader>(*service->files_, config, http_clients, stats);
  }
  GW_LOG_INFO(
      "analytics: writing usage events to ", config.directory, "/", kTmpFile, " (stream version ",
      config.stream_version, ", rotating every ", config.rotating_period_ms, " ms); ",
      config.task_upload_files
          ? gw::cat("uploading to ", config.uploading_endpoint, " every ",
                    config.uploading_time_span_ms, " ms after ", config.initial_delay_ms, " ms")
          : std::string("uploads off (taskUploadFiles = false)"));
  *running = service;
  return service;
}

AnalyticsService::~AnalyticsService() {
  uploader_.reset();
  writer_.reset();  // writes out the queue
}

}  // namespace gw::filters::analytics
