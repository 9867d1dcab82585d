#include "filters/analytics/usage_writer.h"

#include "gateway/common/log.h"

namespace gw::filters::analytics {
namespace {

constexpr const char* kDroppedName = "microgw_analytics_events_dropped_total";
constexpr const char* kDroppedHelp =
    "Analytics events dropped by reason (queue_full, disk_cap, write_error).";

// The writer lets events gather before it writes: one wake-up and one write()
// per batch rather than per event (per event they cost as much CPU as the rest
// of the filter, tools/bench/issue8_bench.py). A batch is written after
// kGatherTime or once kWakeBatch events wait, whichever comes first.
constexpr auto kGatherTime = std::chrono::milliseconds(50);
constexpr size_t kWakeBatch = 256;

int64_t systemMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

UsageWriter::Counters UsageWriter::countersIn(stats::Store& store) {
  Counters c;
  c.written = &store.counter("microgw_analytics_events_written_total",
                             "Analytics events appended to api-usage-data.dat.tmp.");
  c.dropped_queue_full = &store.counter(kDroppedName, kDroppedHelp, {{"reason", "queue_full"}});
  c.dropped_disk_cap = &store.counter(kDroppedName, kDroppedHelp, {{"reason", "disk_cap"}});
  c.dropped_write_error = &store.counter(kDroppedName, kDroppedHelp, {{"reason", "write_error"}});
  return c;
}

UsageWriter::UsageWriter(UsageFiles& files, Options options, Counters counters)
    : files_(files),
      options_([&] {
        if (!options.wall_ms) options.wall_ms = systemMillis;
        if (!options.steady_now)
          options.steady_now = [] { return std::chrono::steady_clock::now(); };
        return std::move(options);
      }()),
      counters_(counters) {
  next_rotation_ = options_.steady_now() + options_.rotating_period;
  if (options_.start_thread) thread_ = std::thread([this] { loop(); });
}

UsageWriter::~UsageWriter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  } else {
    runOnce();
  }
  files_.closeTmp();
}

bool UsageWriter::publish(std::string_view line) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queued_lines_ >= options_.queue_size) {
      counters_.dropped_queue_full->inc();
      return false;
    }
    wake = queued_lines_ == 0;
    queue_.append(line);
    ++queued_lines_;
    wake = wake || queued_lines_ == kWakeBatch;
  }
  if (wake) wake_.notify_one();
  return true;
}

size_t UsageWriter::takeQueue(std::string& batch) {
  batch.clear();
  batch.swap(queue_);
  const size_t lines = queued_lines_;
  queued_lines_ = 0;
  return lines;
}

void UsageWriter::runOnce() {
  size_t lines = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    lines = takeQueue(batch_);
  }
  writeBatch(batch_, lines);
  maybeRotate();
}

void UsageWriter::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    const auto wait = next_rotation_ - options_.steady_now();
    wake_.wait_for(lock, wait, [this] { return stop_ || queued_lines_ > 0; });
    if (!stop_ && queued_lines_ > 0) {
      wake_.wait_for(lock, kGatherTime, [this] { return stop_ || queued_lines_ >= kWakeBatch; });
    }
    const size_t lines = takeQueue(batch_);
    const bool stopping = stop_;
    lock.unlock();
    writeBatch(batch_, lines);
    if (!stopping) maybeRotate();
    lock.lock();
    if (stopping && queued_lines_ == 0) return;
  }
}

void UsageWriter::writeBatch(const std::string& batch, size_t lines) {
  if (lines == 0) return;
  const uint64_t used = files_.usedBytes();
  uint64_t kept = lines;
  std::string capped;  // the lines that fit, when not all do
  if (used + batch.size() > options_.max_disk_bytes) {
    kept = 0;
    for (size_t from = 0; from < batch.size();) {
      size_t end = batch.find('\n', from);
      end = end == std::string::npos ? batch.size() : end + 1;
      if (used + capped.size() + (end - from) > options_.max_disk_bytes) {
        counters_.dropped_disk_cap->inc();
      } else {
        capped.append(batch, from, end - from);
        ++kept;
      }
      from = end;
    }
  }
  const std::string& out = kept == lines ? batch : capped;
  const auto now = options_.steady_now();
  if (kept < lines && now >= next_cap_warning_) {
    next_cap_warning_ = now + std::chrono::seconds(10);
    GW_LOG_WARN("analytics: ", lines - kept,
                " events dropped (logged at most every 10 s): the usage-data directory ",
                files_.directory(), " holds ", used + out.size(), " bytes, at its cap (",
                options_.max_disk_bytes,
                "; raise [analytics.fileUpload] maxDiskUsageInMB or check the uploads)");
  }
  if (out.empty()) return;
  if (absl::Status s = files_.append(out); !s.ok()) {
    counters_.dropped_write_error->inc(kept);
    GW_LOG_ERROR(s.message(), "; ", kept, " events dropped");
    return;
  }
  counters_.written->inc(kept);
}

void UsageWriter::maybeRotate() {
  const auto now = options_.steady_now();
  if (now < next_rotation_) return;
  next_rotation_ = now + options_.rotating_period;
  absl::StatusOr<std::vector<std::string>> made = files_.rotate(options_.wall_ms());
  if (!made.ok()) {
    GW_LOG_ERROR(made.status().message(), "; the events stay on disk and rotate next period");
    return;
  }
  for (const std::string& name : *made) GW_LOG_DEBUG("analytics: rotated into ", name);
}

}  // namespace gw::filters::analytics
