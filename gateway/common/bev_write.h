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
// Usage: once the bufferevent is set up (for TLS, its handshake done), keep
// `path = writePathOf(bev)`: finding out how a bufferevent is written takes a
// few libevent and OpenSSL calls (~300 instructions), too many for every
// flush. Keep EV_WRITE disabled when path.direct(), append to the output,
// then call flushOutput(bev, path). Thread: the bufferevent's dispatcher only.

struct bufferevent;
typedef struct ssl_st SSL;

namespace gw::net {

// How flushOutput() writes a given bufferevent.
struct WritePath {
  enum class Kind : unsigned char {
    Libevent,     // a TLS filter, a TLS handshake in progress, no socket: libevent's own path
    Socket,       // a plain socket: evbuffer_write
    TlsOnSocket,  // TLS on the socket, handshake done: SSL_write
  };
  Kind kind = Kind::Libevent;
  int fd = -1;         // Socket, TlsOnSocket
  SSL* ssl = nullptr;  // TlsOnSocket
  bool direct() const { return kind != Kind::Libevent; }
};
WritePath writePathOf(bufferevent* bev);

// Writes the pending output now; arms EV_WRITE if bytes remain (or the write
// failed, so that libevent reports the error through the event callback).
void flushOutput(bufferevent* bev, const WritePath& path);

// From the write callback: disarms EV_WRITE once the output is empty.
void onOutputDrained(bufferevent* bev, const WritePath& path);

}  // namespace gw::net
