#include "filters/throttle/window_counter.h"

#include "absl/hash/hash.h"

namespace gw::filters::throttle {

size_t WindowCounters::hashOf(std::string_view key) {
  return absl::Hash<absl::string_view>()(absl::string_view(key.data(), key.size()));
}

WindowCounters::Result WindowCounters::consume(HashedKey key, int64_t limit, int64_t window_ms,
                                               int64_t now_ms) {
  // The shard from bits the map's own probing (the low ones) does not lean on.
  Shard& shard = shards_[(key.hash >> 32) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.slots.find(key);
  if (it == shard.slots.end()) {
    if (shard.slots.size() >= shard.sweep_at) sweep(shard, now_ms);
    it = shard.slots.emplace(std::string(key.key), Slot{now_ms, window_ms, 0}).first;
  }
  Slot& slot = it->second;
  if (now_ms >= slot.window_start_ms + slot.window_ms || now_ms < slot.window_start_ms) {
    slot = Slot{now_ms, window_ms, 0};  // a new window (or the clock went back)
  }
  Result r;
  r.window_end_ms = slot.window_start_ms + slot.window_ms;
  r.allowed = slot.count < limit;
  if (r.allowed) ++slot.count;
  return r;
}

void WindowCounters::sweep(Shard& shard, int64_t now_ms) {
  absl::erase_if(shard.slots, [now_ms](const auto& entry) {
    return now_ms >= entry.second.window_start_ms + entry.second.window_ms;
  });
  shard.sweep_at = std::max<size_t>(1024, shard.slots.size() * 2);
}

size_t WindowCounters::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    n += s.slots.size();
  }
  return n;
}

}  // namespace gw::filters::throttle
