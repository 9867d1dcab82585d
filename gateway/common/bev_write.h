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

//
// Finding out how a bufferevent is written takes a few libevent and OpenSSL
// calls (~300 instructions); an owner that flushes on every request keeps the
// answer (writePathOf() once the bufferevent is set up and, for TLS, its
// handshake done) and passes it to the two-argument forms.

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
inline void flushOutput(bufferevent* bev) { flushOutput(bev, writePathOf(bev)); }

// From the write callback: disarms EV_WRITE once the output is empty.
void onOutputDrained(bufferevent* bev, const WritePath& path);
inline void onOutputDrained(bufferevent* bev) { onOutputDrained(bev, writePathOf(bev)); }

// Whether writes to `bev` go through flushOutput (a plain socket bufferevent,
// or TLS on a socket after its handshake; not a TLS filter).
inline bool writesDirectly(bufferevent* bev) { return writePathOf(bev).direct(); }

}  // namespace gw::net
