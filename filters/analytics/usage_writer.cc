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

bool UsageWriter::publish(std::string line) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() >= options_.queue_size) {
      counters_.dropped_queue_full->inc();
      return false;
    }
    wake = queue_.empty();
    queue_.push_back(std::move(line));
    wake = wake || queue_.size() == kWakeBatch;
  }
  if (wake) wake_.notify_one();
  return true;
}

void UsageWriter::runOnce() {
  std::deque<std::string> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch.swap(queue_);
  }
  writeBatch(batch);
  maybeRotate();
}

void UsageWriter::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    const auto wait = next_rotation_ - options_.steady_now();
    wake_.wait_for(lock, wait, [this] { return stop_ || !queue_.empty(); });
    if (!stop_ && !queue_.empty()) {
      wake_.wait_for(lock, kGatherTime, [this] { return stop_ || queue_.size() >= kWakeBatch; });
    }
    std::deque<std::string> batch;
    batch.swap(queue_);
    const bool stopping = stop_;
    lock.unlock();
    writeBatch(batch);
    if (!stopping) maybeRotate();
    lock.lock();
    if (stopping && queue_.empty()) return;
  }
}

void UsageWriter::writeBatch(std::deque<std::string>& batch) {
  if (batch.empty()) return;
  std::string out;
  uint64_t kept = 0;
  uint64_t used = files_.usedBytes();
  for (std::string& line : batch) {
    if (used + out.size() + line.size() > options_.max_disk_bytes) {
      counters_.dropped_disk_cap->inc();
      continue;
    }
    out += line;
    ++kept;
  }
  const auto now = options_.steady_now();
  if (kept < batch.size() && now >= next_cap_warning_) {
    next_cap_warning_ = now + std::chrono::seconds(10);
    GW_LOG_WARN("analytics: ", batch.size() - kept,
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
