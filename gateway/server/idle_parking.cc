#include "gateway/server/idle_parking.h"

#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "gateway/common/log.h"

namespace gw::server {
namespace {

// Readiness reported per epoll_wait; more are taken by calling it again.
constexpr int kReadyBatch = 64;

}  // namespace

IdleParking::IdleParking(event::Dispatcher& dispatcher, ResumeFn resume, ClosingFn closing)
    : dispatcher_(dispatcher), resume_(std::move(resume)), closing_(std::move(closing)) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    GW_LOG_WARN("idle connections cannot be parked (epoll_create1: ", std::strerror(errno),
                "); each keeps its buffers while idle");
    return;
  }
  ready_event_.reset(
      event_new(dispatcher_.base(), epoll_fd_, EV_READ | EV_PERSIST, &onReadyCb, this));
  if (ready_event_ == nullptr || event_add(ready_event_.get(), nullptr) != 0) {
    ready_event_.reset();
    ::close(epoll_fd_);
    epoll_fd_ = -1;
    return;
  }
  timer_ = dispatcher_.createTimer([this] { onTimer(); });
}

IdleParking::~IdleParking() {
  while (head_ != nullptr) {
    Parked* p = head_;
    unlink(p);
    ::close(p->fd);  // also takes it out of the epoll set
    delete p;
  }
  ready_event_.reset();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

int64_t IdleParking::nowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(dispatcher_.now().time_since_epoch())
      .count();
}

bool IdleParking::park(evutil_socket_t fd, std::chrono::milliseconds idle_left) {
  if (epoll_fd_ < 0) return false;
  auto* p = new Parked;
  p->fd = fd;
  const int64_t now = nowMs();
  p->deadline_ms = now + idle_left.count();
  p->parked_at_ms = static_cast<uint32_t>(now);
  epoll_event ev{};
  // Level-triggered: bytes that arrived before this call are reported too.
  // One-shot: a socket handed back stays in the set, disarmed, so that
  // parking it again is one EPOLL_CTL_MOD and handing it back costs none
  // (closing it takes it out of the set).
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.ptr = p;
  const size_t slot = static_cast<size_t>(fd);
  const bool known = slot < in_set_.size() && in_set_[slot];
  // `in_set_` is a hint: the descriptor may have been closed and reused since.
  if ((!known || epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) &&
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    static bool logged = false;  // once per process: every idle connection would say it
    if (!logged) {
      logged = true;
      GW_LOG_WARN("an idle connection could not be parked (epoll_ctl: ", std::strerror(errno),
                  "); it keeps its buffers while idle. Raise fs.epoll.max_user_watches if "
                  "this is ENOSPC");
    }
    delete p;
    return false;
  }
  if (slot >= in_set_.size()) in_set_.resize(slot + 1);
  in_set_[slot] = true;
  insert(p);
  ++size_;
  return true;
}

void IdleParking::insert(Parked* p) {
  Parked* after = tail_;
  while (after != nullptr && after->deadline_ms > p->deadline_ms) after = after->prev;
  p->prev = after;
  p->next = after != nullptr ? after->next : head_;
  if (p->next != nullptr) {
    p->next->prev = p;
  } else {
    tail_ = p;
  }
  if (after != nullptr) {
    after->next = p;
  } else {
    head_ = p;
    armTimer();
  }
}

void IdleParking::unlink(Parked* p) {
  (p->prev != nullptr ? p->prev->next : head_) = p->next;
  (p->next != nullptr ? p->next->prev : tail_) = p->prev;
  p->prev = p->next = nullptr;
}

void IdleParking::armTimer() {
  if (head_ == nullptr) {
    timer_->disable();
    return;
  }
  const int64_t wait = head_->deadline_ms - nowMs();
  timer_->enable(std::chrono::milliseconds(wait > 0 ? wait : 0));
}

void IdleParking::closeParked(Parked* p) {
  unlink(p);
  --size_;
  const evutil_socket_t fd = p->fd;
  delete p;
  closing_(fd);
  ::close(fd);
}

void IdleParking::onTimer() {
  const int64_t now = nowMs();
  while (head_ != nullptr && head_->deadline_ms <= now) closeParked(head_);
  armTimer();
}

void IdleParking::closeAll() {
  while (head_ != nullptr) closeParked(head_);
  armTimer();
}

void IdleParking::onReadyCb(evutil_socket_t, short, void* arg) {
  static_cast<IdleParking*>(arg)->onReady();
}

// The timer stays armed for the deadline of a head that leaves here: firing
// early, it closes nothing and re-arms for the new head.
void IdleParking::onReady() {
  epoll_event ready[kReadyBatch];
  int n;
  do {
    n = epoll_wait(epoll_fd_, ready, kReadyBatch, 0);
    const uint32_t now = static_cast<uint32_t>(nowMs());
    for (int i = 0; i < n; ++i) {
      auto* p = static_cast<Parked*>(ready[i].data.ptr);
      const uint32_t what = ready[i].events;
      bool gone = (what & (EPOLLERR | EPOLLHUP)) != 0;
      if (!gone && (what & EPOLLRDHUP) != 0) {
        // EOF: a request that came with it is still served; a bare FIN is
        // the client closing its idle connection, which needs no parser.
        int pending = 0;
        gone = ioctl(p->fd, FIONREAD, &pending) != 0 || pending == 0;
      }
      if (gone) {
        closeParked(p);
        continue;
      }
      unlink(p);
      --size_;
      const evutil_socket_t fd = p->fd;
      const std::chrono::milliseconds parked_for(now - p->parked_at_ms);
      delete p;
      resume_(fd, parked_for);
    }
  } while (n == kReadyBatch);
}

}  // namespace gw::server
