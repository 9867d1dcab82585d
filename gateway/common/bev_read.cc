#include "gateway/common/bev_read.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

namespace gw::net {
namespace {

// Free space asked of the input buffer for each read. Small, so that a new
// chunk is libevent's smallest (1 KiB, on malloc's fast path); the read fills
// whatever free space the reservation offers (the rest of that chunk). Asking
// for 4 KiB would make every request's chunk an 8 KiB malloc: ~1,000 more
// instructions per read, measured.
constexpr size_t kInPlace = 512;
// At most this much per wake-up, so that one busy connection cannot starve
// the others (the level-triggered read event fires again while bytes wait).
// What does not fit the reserved space lands on the stack and is copied in.
constexpr size_t kMaxRead = 64 << 10;

// The layout readDirectly() relies on (the bufferevent's `ev_read`) is the
// one of libevent 2.1 and 2.2.
constexpr bool kKnownLayout =
    LIBEVENT_VERSION_NUMBER >= 0x02010000 && LIBEVENT_VERSION_NUMBER < 0x02030000;

// One readv() of at most `room` bytes into `input`; returns what readv()
// returned, with its errno.
ssize_t readInto(evbuffer* input, evutil_socket_t fd, size_t room) {
  // room <= kMaxRead: the stack buffer takes whatever the reservation does not.
  evbuffer_iovec space[2];
  const size_t ask = std::min(room, kInPlace);
  const int n_space = evbuffer_reserve_space(input, static_cast<ev_ssize_t>(ask), space, 2);
  if (n_space < 0) {
    errno = ENOMEM;
    return -1;
  }
  iovec iov[3];
  int n_iov = 0;
  size_t reserved = 0;
  for (int i = 0; i < n_space && reserved < room; ++i) {
    const size_t len = std::min(space[i].iov_len, room - reserved);
    iov[n_iov++] = iovec{space[i].iov_base, len};
    reserved += len;
  }
  const int n_in_place = n_iov;
  char spill[kMaxRead];
  if (room > reserved) iov[n_iov++] = iovec{spill, room - reserved};

  const ssize_t n = readv(fd, iov, n_iov);
  const int read_errno = errno;

  size_t left = n > 0 ? static_cast<size_t>(n) : 0;
  int filled = 0;
  for (; filled < n_in_place && left > 0; ++filled) {
    space[filled].iov_len = std::min(iov[filled].iov_len, left);
    left -= space[filled].iov_len;
  }
  evbuffer_commit_space(input, space, filled);
  if (left > 0) evbuffer_add(input, spill, left);
  errno = read_errno;
  return n;
}

// Ends reading with `what` reported through the event callback, as libevent's
// own handler does: reading disabled first, errno kept for the callback.
void reportEnd(bufferevent* bev, short what) {
  const int saved_errno = errno;
  bufferevent_disable(bev, EV_READ);
  errno = saved_errno;
  bufferevent_trigger_event(bev, what, 0);
}

// The read event's handler (libevent's is bufferevent_sock.c's
// bufferevent_readcb; this one differs in how it reads, see bev_read.h).
void onReadable(evutil_socket_t fd, short events, void* arg) {
  auto* bev = static_cast<bufferevent*>(arg);
  if (events == EV_TIMEOUT) {  // a read timeout (bufferevent_set_timeouts)
    reportEnd(bev, BEV_EVENT_READING | BEV_EVENT_TIMEOUT);
    return;
  }
  evbuffer* input = bufferevent_get_input(bev);
  size_t room = kMaxRead;
  size_t low = 0;
  size_t high = 0;
  bufferevent_getwatermark(bev, EV_READ, &low, &high);
  if (high != 0) {
    const size_t length = evbuffer_get_length(input);
    if (length >= high) {
      // libevent suspends reading when the input reaches the high watermark;
      // only a mark lowered under it gets here. Setting it again suspends.
      bufferevent_setwatermark(bev, EV_READ, low, high);
      return;
    }
    room = std::min(room, high - length);
  }
  // A socket bufferevent freezes the end of its input against outside adds;
  // libevent's own read path unfreezes it around the read, as here.
  evbuffer_unfreeze(input, 0);
  const ssize_t n = readInto(input, fd, room);
  const int read_errno = errno;
  evbuffer_freeze(input, 0);
  if (n > 0) {
    bufferevent_trigger(bev, EV_READ, 0);  // last: the callback may free `bev`
    return;
  }
  if (n < 0 && (read_errno == EAGAIN || read_errno == EWOULDBLOCK || read_errno == EINTR)) {
    return;  // nothing after all; the event stays armed
  }
  errno = read_errno;
  reportEnd(bev, BEV_EVENT_READING | (n == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR));
}

}  // namespace

bool readDirectly(bufferevent* bev) {
  if (!kKnownLayout) return false;
  if (readsDirectly(bev)) return true;
  const evutil_socket_t fd = bufferevent_getfd(bev);
  if (fd < 0 || bufferevent_get_underlying(bev) != nullptr ||
      bufferevent_openssl_get_ssl(bev) != nullptr)
    return false;
  // bufferevent_socket_new's read event: on the socket, for the bufferevent.
  event* read_event = &bev->ev_read;
  if (event_get_fd(read_event) != fd || event_get_callback_arg(read_event) != bev ||
      event_get_base(read_event) != bufferevent_get_base(bev))
    return false;
  // The event must not be pending while it is re-assigned; disabling and
  // enabling again leaves arming it (timeout, suspension) to libevent.
  const bool reading = (bufferevent_get_enabled(bev) & EV_READ) != 0;
  if (reading) bufferevent_disable(bev, EV_READ);
  event_assign(read_event, bufferevent_get_base(bev), fd, EV_READ | EV_PERSIST | EV_FINALIZE,
               &onReadable, bev);
  if (reading) bufferevent_enable(bev, EV_READ);
  return true;
}

bool readsDirectly(bufferevent* bev) {
  return kKnownLayout && event_get_callback(&bev->ev_read) == &onReadable;
}

}  // namespace gw::net
