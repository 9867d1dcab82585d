#include <event2/event.h>
#include <event2/thread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <vector>

#include "gateway/event/dispatcher.h"

namespace gw::event {
namespace {

struct EventBaseDeleter {
  void operator()(event_base* b) const { event_base_free(b); }
};
struct EventDeleter {
  void operator()(::event* e) const { event_free(e); }
};
using EventPtr = std::unique_ptr<::event, EventDeleter>;

// Makes libevent's internals thread-aware once per process. The event bases
// themselves run without locks (EVENT_BASE_FLAG_NOLOCK, see below).
void enableLibeventThreads() {
  static const bool done = [] { return evthread_use_pthreads() == 0; }();
  (void)done;
}

// A one-shot timer that moves its deadline without touching libevent when it
// can: re-arming to a later deadline while the libevent timeout is still
// pending only records the deadline (the timeout fires early and is re-added
// for the rest), and disable() only marks it off (a pending timeout then
// fires to no effect). A connection re-arms its idle and header timers on
// every request; this keeps them out of libevent's min-heap on the request
// path (an event_add or event_del each otherwise).
//
// TimerCore is the libevent side; the Timer handed out (LibeventTimer) only
// points to one, and gives it back to its dispatcher's TimerPool when
// destroyed. A request's timers (the router's, an internal exchange's) then
// cost no event_new, event_free or event_del: a core keeps its event, and a
// timeout still pending from its last owner fires to no effect, or serves the
// next owner's deadline as above.
struct TimerCore {
  using Clock = std::chrono::steady_clock;

  explicit TimerCore(event_base* base) { ev.reset(evtimer_new(base, &TimerCore::onFire, this)); }

  void enable(std::chrono::milliseconds delay) {
    const Clock::time_point at = Clock::now() + delay;
    deadline = at;
    armed = true;
    if (scheduled && scheduled_for <= at) return;  // fires first, then re-adds
    schedule(delay, at);
  }
  void schedule(Clock::duration delay, Clock::time_point at) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(delay).count();
    timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
    evtimer_add(ev.get(), &tv);
    scheduled = true;
    scheduled_for = at;
  }
  static void onFire(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<TimerCore*>(arg);
    self->scheduled = false;
    if (!self->armed) return;  // disabled, or back in the pool
    const Clock::time_point now = Clock::now();
    if (now < self->deadline) {
      // Re-armed for later since this timeout was added (or libevent's coarse
      // clock ran a little ahead): wait for the rest.
      self->schedule(self->deadline - now, self->deadline);
      return;
    }
    self->armed = false;
    // Copy: the callback may destroy its timer, and a new timer may get this core.
    auto callback = self->cb;
    callback();
  }

  std::function<void()> cb;
  EventPtr ev;
  Clock::time_point deadline{};       // when the callback is due, while armed
  Clock::time_point scheduled_for{};  // when libevent's timeout fires, while scheduled
  bool armed = false;
  bool scheduled = false;
};

// A dispatcher's spare TimerCores. A few dozen cover the timers requests make
// and drop; more would only hold the memory of timers that idle connections
// gave up (~250 bytes each).
class TimerPool {
 public:
  static constexpr size_t kMaxSpare = 64;
  explicit TimerPool(event_base* base) : base_(base) {}
  std::unique_ptr<TimerCore> take(std::function<void()> cb) {
    std::unique_ptr<TimerCore> core;
    if (spare_.empty()) {
      core = std::make_unique<TimerCore>(base_);
    } else {
      core = std::move(spare_.back());
      spare_.pop_back();
    }
    core->cb = std::move(cb);
    return core;
  }
  void give(std::unique_ptr<TimerCore> core) {
    core->armed = false;
    core->cb = nullptr;  // what the callback captured goes now
    if (spare_.size() < kMaxSpare) spare_.push_back(std::move(core));
  }

 private:
  event_base* base_;
  std::vector<std::unique_ptr<TimerCore>> spare_;
};

class LibeventTimer : public Timer {
 public:
  LibeventTimer(TimerPool& pool, std::function<void()> cb)
      : pool_(pool), core_(pool.take(std::move(cb))) {}
  ~LibeventTimer() override { pool_.give(std::move(core_)); }
  void enable(std::chrono::milliseconds delay) override { core_->enable(delay); }
  void disable() override { core_->armed = false; }
  bool enabled() const override { return core_->armed; }

 private:
  TimerPool& pool_;
  std::unique_ptr<TimerCore> core_;
};

// Libevent-backed Dispatcher. Thread-safe: post() only.
//
// The event base has no lock (EVENT_BASE_FLAG_NOLOCK): only its own thread
// touches it, and that spares every event_add/del and bufferevent call a lock
// and an unlock. post() is the one way in from other threads: it queues under
// post_mutex_ and, when the queue was empty, writes to an eventfd the loop
// watches; onPost reads the eventfd first, then takes the queue, so a post
// that lands in between is either taken now or wakes the loop again.
class LibeventDispatcher : public Dispatcher {
 public:
  explicit LibeventDispatcher(std::string name) : name_(std::move(name)) {
    enableLibeventThreads();
    // The epoll changelist folds an EPOLLOUT added and removed within one loop
    // iteration (every small write through a bufferevent) into no syscall.
    event_config* cfg = event_config_new();
    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
    base_.reset(event_base_new_with_config(cfg));
    event_config_free(cfg);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!base_ || wake_fd_ < 0) {
      std::fprintf(stderr, "microgw: cannot create the event loop of %s: %s\n", name_.c_str(),
                   !base_ ? "event_base_new failed" : std::strerror(errno));
      std::abort();
    }
    post_event_.reset(
        event_new(base_.get(), wake_fd_, EV_READ | EV_PERSIST, &LibeventDispatcher::onPost, this));
    event_add(post_event_.get(), nullptr);
    delete_event_.reset(event_new(base_.get(), -1, 0, &LibeventDispatcher::onDelete, this));
    timers_ = std::make_unique<TimerPool>(base_.get());
  }
  ~LibeventDispatcher() override {
    // Destroy pending deferred objects while the base still exists.
    to_delete_.clear();
    timers_.reset();  // spare timers' events, before the base
    post_event_.reset();
    delete_event_.reset();
    close(wake_fd_);
  }

  const std::string& name() const override { return name_; }
  event_base* base() override { return base_.get(); }
  TimerPtr createTimer(std::function<void()> cb) override {
    return std::make_unique<LibeventTimer>(*timers_, std::move(cb));
  }
  void post(std::function<void()> cb) override {
    bool was_empty;
    {
      std::lock_guard<std::mutex> lock(post_mutex_);
      was_empty = posted_.empty();
      posted_.push_back(std::move(cb));
    }
    if (was_empty) {
      const uint64_t one = 1;
      // Cannot fail short of a bad descriptor: the counter is far from its
      // limit, as the loop reads it to zero on every wake-up.
      [[maybe_unused]] const ssize_t n = write(wake_fd_, &one, sizeof(one));
    }
  }
  void deferredDelete(DeferredDeletablePtr object) override {
    to_delete_.push_back(std::move(object));
    if (to_delete_.size() == 1) event_active(delete_event_.get(), 0, 0);
  }
  MonotonicTime now() const override { return std::chrono::steady_clock::now(); }
  void run() override { event_base_loop(base_.get(), EVLOOP_NO_EXIT_ON_EMPTY); }
  void exit() override { event_base_loopbreak(base_.get()); }

 private:
  static void onPost(evutil_socket_t fd, short, void* arg) {
    auto* self = static_cast<LibeventDispatcher*>(arg);
    uint64_t wakes;
    [[maybe_unused]] const ssize_t n = read(fd, &wakes, sizeof(wakes));  // first: see above
    std::deque<std::function<void()>> batch;
    {
      std::lock_guard<std::mutex> lock(self->post_mutex_);
      batch.swap(self->posted_);
    }
    for (auto& cb : batch) cb();
  }
  static void onDelete(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<LibeventDispatcher*>(arg);
    // Objects deleted here may queue more deletions; loop until empty.
    while (!self->to_delete_.empty()) {
      std::vector<DeferredDeletablePtr> batch;
      batch.swap(self->to_delete_);
      batch.clear();
    }
  }

  std::string name_;
  std::unique_ptr<event_base, EventBaseDeleter> base_;
  int wake_fd_ = -1;  // eventfd: post() wakes the loop
  EventPtr post_event_;
  EventPtr delete_event_;
  std::unique_ptr<TimerPool> timers_;
  std::mutex post_mutex_;
  std::deque<std::function<void()>> posted_;
  std::vector<DeferredDeletablePtr> to_delete_;
};

}  // namespace

DispatcherPtr createDispatcher(std::string name) {
  return std::make_unique<LibeventDispatcher>(std::move(name));
}

}  // namespace gw::event
