#include <event2/event.h>
#include <event2/thread.h>

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

// Makes libevent's internals thread-aware once per process (needed for
// event_active() from other threads in post()).
void enableLibeventThreads() {
  static const bool done = [] { return evthread_use_pthreads() == 0; }();
  (void)done;
}

class LibeventTimer : public Timer {
 public:
  LibeventTimer(event_base* base, std::function<void()> cb) : cb_(std::move(cb)) {
    ev_.reset(evtimer_new(base, &LibeventTimer::onFire, this));
  }
  void enable(std::chrono::milliseconds delay) override {
    timeval tv{static_cast<time_t>(delay.count() / 1000),
               static_cast<suseconds_t>((delay.count() % 1000) * 1000)};
    evtimer_add(ev_.get(), &tv);
  }
  void disable() override { evtimer_del(ev_.get()); }
  bool enabled() const override { return evtimer_pending(ev_.get(), nullptr) != 0; }

 private:
  static void onFire(evutil_socket_t, short, void* arg) {
    // Copy: the callback may destroy this timer.
    auto cb = static_cast<LibeventTimer*>(arg)->cb_;
    cb();
  }
  std::function<void()> cb_;
  EventPtr ev_;
};

// Libevent-backed Dispatcher. Thread-safe: post() only.
class LibeventDispatcher : public Dispatcher {
 public:
  explicit LibeventDispatcher(std::string name) : name_(std::move(name)) {
    enableLibeventThreads();
    // The epoll changelist folds an EPOLLOUT added and removed within one loop
    // iteration (every small write through a bufferevent) into no syscall.
    event_config* cfg = event_config_new();
    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    base_.reset(event_base_new_with_config(cfg));
    event_config_free(cfg);
    post_event_.reset(event_new(base_.get(), -1, 0, &LibeventDispatcher::onPost, this));
    delete_event_.reset(event_new(base_.get(), -1, 0, &LibeventDispatcher::onDelete, this));
  }
  ~LibeventDispatcher() override {
    // Destroy pending deferred objects while the base still exists.
    to_delete_.clear();
    post_event_.reset();
    delete_event_.reset();
  }

  const std::string& name() const override { return name_; }
  event_base* base() override { return base_.get(); }
  TimerPtr createTimer(std::function<void()> cb) override {
    return std::make_unique<LibeventTimer>(base_.get(), std::move(cb));
  }
  void post(std::function<void()> cb) override {
    {
      std::lock_guard<std::mutex> lock(post_mutex_);
      posted_.push_back(std::move(cb));
    }
    event_active(post_event_.get(), 0, 0);
  }
  void deferredDelete(DeferredDeletablePtr object) override {
    to_delete_.push_back(std::move(object));
    if (to_delete_.size() == 1) event_active(delete_event_.get(), 0, 0);
  }
  MonotonicTime now() const override { return std::chrono::steady_clock::now(); }
  void run() override { event_base_loop(base_.get(), EVLOOP_NO_EXIT_ON_EMPTY); }
  void exit() override { event_base_loopbreak(base_.get()); }

 private:
  static void onPost(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<LibeventDispatcher*>(arg);
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
  EventPtr post_event_;
  EventPtr delete_event_;
  std::mutex post_mutex_;
  std::deque<std::function<void()>> posted_;
  std::vector<DeferredDeletablePtr> to_delete_;
};

}  // namespace

DispatcherPtr createDispatcher(std::string name) {
  return std::make_unique<LibeventDispatcher>(std::move(name));
}

}  // namespace gw::event
