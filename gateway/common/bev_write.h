#pragma once

// Direct writes for socket bufferevents.
//
// A bufferevent schedules its socket's write event whenever bytes are added to
// its output, so every small response costs an EPOLLOUT add, a loop pass and
// an EPOLLOUT remove. flushOutput() instead writes straight to the socket and
// arms the write event only when the kernel buffer is full; the owner calls
// onOutputDrained() from its write callback to disarm it again. Filtering
// bufferevents (TLS) keep libevent's normal behaviour.
//
// Usage: keep EV_WRITE disabled on the bufferevent, append to its output, then
// call flushOutput(bev). Thread: the bufferevent's dispatcher only.

struct bufferevent;

namespace gw::net {

// Writes the pending output now; arms EV_WRITE if bytes remain (or the write
// failed, so that libevent reports the error through the event callback).
void flushOutput(bufferevent* bev);

// From the write callback: disarms EV_WRITE once the output is empty.
void onOutputDrained(bufferevent* bev);

// Whether writes to `bev` go through flushOutput (a plain socket bufferevent;
// not a TLS one, on a socket or as a filter).
bool writesDirectly(bufferevent* bev);

}  // namespace gw::net
