#pragma once

// The one writer of api-usage-data.dat.tmp: workers hand finished event lines
// to publish(), which only takes a short lock to copy the line onto a bounded
// in-memory queue (one byte buffer: no allocation per event once it has grown;
// a worker never touches the disk); one thread appends them in batches and
// rotates the file every rotating period (UsageFiles::rotate: .tmp -> .dat ->
// zip). Lines past the queue's capacity or past the disk cap are dropped and
// counted; nothing already queued is lost on a clean stop (the destructor
// writes the queue out).
//
// Example:
//   UsageWriter writer(files, {.queue_size = 65536, ...}, counters);
//   writer.publish(formatEventLine(...));  // from any worker
//
// Thread-safety: publish() from any thread; runOnce() only when constructed
// with start_thread = false (tests drive it with a fake clock).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "filters/analytics/usage_files.h"
#include "gateway/stats/stats.h"

namespace gw::filters::analytics {

class UsageWriter {
 public:
  struct Options {
    size_t queue_size = 65536;
    uint64_t max_disk_bytes = 1ull << 30;
    std::chrono::milliseconds rotating_period{600000};
    std::function<int64_t()> wall_ms;  // epoch ms for zip names; default: the system clock
    std::function<std::chrono::steady_clock::time_point()> steady_now;  // default: steady_clock
    bool start_thread = true;
  };
  // Events written, and dropped by reason; all must outlive the writer.
  struct Counters {
    stats::Counter* written = nullptr;
    stats::Counter* dropped_queue_full = nullptr;
    stats::Counter* dropped_disk_cap = nullptr;
    stats::Counter* dropped_write_error = nullptr;
  };
  // Registers the counters in `store` (microgw_analytics_events_*_total).
  static Counters countersIn(stats::Store& store);

  // `files` must outlive the writer.
  UsageWriter(UsageFiles& files, Options options, Counters counters);
  ~UsageWriter();  // writes out the queue, then stops the thread

  // Queues (copies) one line ("\n"-terminated). Never blocks on disk; false
  // (and counted) when the queue is full.
  bool publish(std::string_view line);

  // Without a thread: writes the queued lines and rotates when the period is up.
  void runOnce();

 private:
  void loop();
  // Takes the queue into `batch` (whose old bytes are dropped), returns the
  // number of lines taken. Caller holds mutex_.
  size_t takeQueue(std::string& batch);
  void writeBatch(const std::string& batch, size_t lines);
  void maybeRotate();

  UsageFiles& files_;
  const Options options_;
  const Counters counters_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string queue_;        // lines; guarded by mutex_
  size_t queued_lines_ = 0;  // guarded by mutex_
  std::string batch_;        // the writer's buffer, swapped with queue_ (keeps its capacity)
  bool stop_ = false;        // guarded by mutex_
  std::chrono::steady_clock::time_point next_rotation_;     // writer thread only
  std::chrono::steady_clock::time_point next_cap_warning_;  // writer thread only
  std::thread thread_;
};

}  // namespace gw::filters::analytics
