#pragma once

// Direct writes for socket bufferevents.
//
// A bufferevent schedules its socket's write event whenever bytes are added to
// its output, so every small response costs an EPOLLOUT add, a loop pass and
// an EPOLLOUT remove. flushOutput() instead writes straight to the socket and
// arms the write event only when the kernel buffer is full; the owner calls
// onOutputDrained() from its write callback to disarm it again. A TLS
// bufferevent on a socket (bufferevent_openssl_socket_new) is written the same
// way through SSL_write once its handshake is done (libevent 2.1 would arm
// EPOLLOUT for every write and write on the next loop pass); a TLS filter over
// another bufferevent keeps libevent's normal behaviour.
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

// Whether writes to `bev` go through flushOutput (a plain socket bufferevent,
// or TLS on a socket after its handshake; not a TLS filter).
bool writesDirectly(bufferevent* bev);

}  // namespace gw::net
