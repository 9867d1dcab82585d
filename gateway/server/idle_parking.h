#pragma once

// Idle keep-alive connections between requests, kept as bare sockets.
//
// A client that keeps its connection open but sends nothing still costs the
// gateway a ConnectionManager (~190 bytes) and a libevent read event (~130)
// even after the connection released its codec and buffers. Parked here
// instead, it costs a 32-byte record: the socket sits in an epoll set of the
// worker's own, which the worker's event loop watches as one descriptor, and
// the records form one list ordered by deadline, served by one timer. When
// the client sends its next request (or goes away), the socket is handed back
// and the worker builds a fresh ConnectionManager around it; after the rest
// of listenerConfig.idleTimeoutInMillis without a byte it is closed here.
//
// Sockets are parked with no request begun and nothing buffered either way:
// HTTP/1 between requests, and HTTP/2 with no stream open, whose worker keeps
// what a new codec resumes from (Http2IdleState). Over TLS the worker keeps
// the TLS session beside the socket (ParkedTls); the parking itself only
// sees sockets. Single-threaded: the worker's thread only.

#include <event2/event.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "gateway/event/dispatcher.h"

namespace gw::server {

class IdleParking {
 public:
  // resume(fd, parked_for): the client sent bytes (maybe with EOF) after
  // `parked_for` in the parking; the callee owns fd.
  // closing(fd): a parked socket is about to be closed here (idle timeout,
  // the client closed or reset it, closeAll()); the callee may still write
  // a last word to it.
  using ResumeFn = std::function<void(evutil_socket_t fd, std::chrono::milliseconds parked_for)>;
  using ClosingFn = std::function<void(evutil_socket_t fd)>;
  IdleParking(event::Dispatcher& dispatcher, ResumeFn resume, ClosingFn closing);
  // Closes what is parked, without calling closing().
  ~IdleParking();
  IdleParking(const IdleParking&) = delete;
  IdleParking& operator=(const IdleParking&) = delete;

  // Takes `fd` and closes it after `idle_left` without a byte from the
  // client. False (fd untouched, still the caller's) if the epoll set
  // refuses it: out of memory, or fs.epoll.max_user_watches reached.
  bool park(evutil_socket_t fd, std::chrono::milliseconds idle_left);
  // Closes every parked socket (draining), calling closing() for each.
  void closeAll();
  size_t size() const { return size_; }

 private:
  struct Parked {
    Parked* prev = nullptr;
    Parked* next = nullptr;
    int64_t deadline_ms = 0;  // on the dispatcher's monotonic clock
    evutil_socket_t fd = -1;
    uint32_t parked_at_ms = 0;  // the clock's low 32 bits (wraps after 49 days)
  };
  struct EventDeleter {
    void operator()(::event* e) const { event_free(e); }
  };

  static void onReadyCb(evutil_socket_t fd, short events, void* arg);
  void onReady();
  void onTimer();
  void insert(Parked* p);  // by deadline, from the back (deadlines mostly grow)
  void unlink(Parked* p);
  void armTimer();
  void closeParked(Parked* p);
  int64_t nowMs() const;

  event::Dispatcher& dispatcher_;
  ResumeFn resume_;
  ClosingFn closing_;
  int epoll_fd_ = -1;
  std::unique_ptr<::event, EventDeleter> ready_event_;
  event::TimerPtr timer_;
  // By descriptor: in the epoll set, disarmed or parked (a hint, see park()).
  std::vector<bool> in_set_;
  Parked* head_ = nullptr;  // earliest deadline
  Parked* tail_ = nullptr;
  size_t size_ = 0;
};

}  // namespace gw::server
