#pragma once

// The per-thread event loop.
//
// Every worker thread owns exactly one Dispatcher and runs it; every socket,
// timer and bufferevent a connection uses belongs to the dispatcher of the
// thread that accepted it, and is touched only from that thread. The only
// thread-safe entry point is post(), the way work crosses threads.
//
// Example:
//
//   gw::event::DispatcherPtr d = gw::event::createDispatcher("worker-0");
//   gw::event::TimerPtr t = d->createTimer([&] { d->exit(); });
//   t->enable(std::chrono::milliseconds(100));
//   d->run();  // returns after the timer fired and called exit()

#include <chrono>
#include <functional>
#include <memory>
#include <string>

struct event_base;

namespace gw::event {

using MonotonicTime = std::chrono::steady_clock::time_point;

// A one-shot timer. Destroying it cancels it; the callback never fires after
// the Timer is gone. Thread: the owning dispatcher's only.
class Timer {
 public:
  virtual ~Timer() = default;
  // (Re)arms the timer to fire once after `delay`. Re-arming replaces the previous deadline.
  virtual void enable(std::chrono::milliseconds delay) = 0;
  virtual void disable() = 0;
  virtual bool enabled() const = 0;
};
using TimerPtr = std::unique_ptr<Timer>;

// Base for objects handed to Dispatcher::deferredDelete().
class DeferredDeletable {
 public:
  virtual ~DeferredDeletable() = default;
};
using DeferredDeletablePtr = std::unique_ptr<DeferredDeletable>;

class Dispatcher {
 public:
  virtual ~Dispatcher() = default;

  // Name given at creation ("worker-0"), for logs.
  virtual const std::string& name() const = 0;

  // The libevent base, for creating bufferevents and listeners on this thread.
  virtual event_base* base() = 0;

  // A timer whose callback runs on this dispatcher's thread.
  virtual TimerPtr createTimer(std::function<void()> cb) = 0;

  // Runs `cb` on this dispatcher's thread on a later loop iteration. Thread-safe:
  // the one way for another thread to hand work to this one. Callbacks posted
  // before exit() and not yet run are dropped when the dispatcher is destroyed.
  virtual void post(std::function<void()> cb) = 0;

  // Destroys `object` on a later loop iteration, after the current callback
  // stack has unwound: use it instead of deleting an object from inside one of
  // its own callbacks.
  virtual void deferredDelete(DeferredDeletablePtr object) = 0;

  // Cached loop time, refreshed every iteration; cheap.
  virtual MonotonicTime now() const = 0;

  // Runs the loop until exit() is called (from any thread via post, or from a callback).
  virtual void run() = 0;

  // Makes run() return after the current iteration. Call on the dispatcher's thread.
  virtual void exit() = 0;
};
using DispatcherPtr = std::unique_ptr<Dispatcher>;

// Creates the libevent-backed dispatcher.
DispatcherPtr createDispatcher(std::string name);

}  // namespace gw::event
