#pragma once

// Direct reads for plain socket bufferevents.
//
// Why: libevent 2.1's socket bufferevent reads with evbuffer_read(), which
// asks the kernel how many bytes wait (ioctl FIONREAD) before every read():
// two system calls per wake-up where one does, about a quarter of the
// gateway's system calls on a keep-alive request (one read downstream, one
// upstream). readDirectly() swaps the bufferevent's read handler for one that
// reads with a single readv() and no FIONREAD: into the input buffer's free
// space (a small reservation, so that a small request costs libevent's
// smallest chunk) and a stack buffer whose bytes are copied in. It reads at
// most 64 KiB per wake-up (libevent: 4 KiB), less at the read high
// watermark, so one busy connection cannot starve the others (the
// level-triggered event fires again while bytes wait).
//
// Only the read system call changes; the bufferevent keeps its contract, so
// the code that owns it needs no change: the read callback (with the low
// watermark), EOF and errors through the event callback (BEV_EVENT_READING |
// BEV_EVENT_EOF / BEV_EVENT_ERROR / BEV_EVENT_TIMEOUT, reading disabled
// first), bufferevent_enable / bufferevent_disable(EV_READ), the high
// watermark's suspension of reading, read timeouts, bufferevent_trigger, and
// freeing inside a callback all behave as with libevent's own handler, which
// is still the one that arms, suspends and frees the read event.
//
// How: the handler is the callback of the bufferevent's read event (`ev_read`
// in event2/bufferevent_struct.h, a layout libevent still exposes and does
// not promise to keep: readDirectly() checks it and leaves libevent reading
// when it does not match). bufferevent_setfd() and bufferevent_socket_connect()
// put libevent's handler back: call readDirectly() after them (for an
// outgoing connection, once BEV_EVENT_CONNECTED arrives). TLS bufferevents are
// left alone: they read through SSL_read, without FIONREAD.
//
// Example:
//   bufferevent* bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
//   gw::net::readDirectly(bev);
//   bufferevent_setcb(bev, &onRead, &onWrite, &onEvent, arg);
//   bufferevent_enable(bev, EV_READ);
//
// Thread: the bufferevent's dispatcher only.

struct bufferevent;

namespace gw::net {

// Reads of `bev` go through one readv() from now on. Returns false, leaving
// libevent's reading, when `bev` is not a plain socket bufferevent with its
// socket set (a TLS bufferevent, a filter, a pair, no fd yet) or libevent's
// layout is not the expected one.
bool readDirectly(bufferevent* bev);

// Whether readDirectly() is in effect on `bev`.
bool readsDirectly(bufferevent* bev);

}  // namespace gw::net
