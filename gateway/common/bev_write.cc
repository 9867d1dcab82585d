#include "gateway/common/bev_write.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <climits>

namespace gw::net {
namespace {

// SSL_write of the output's front chunks. Stops at the first call that does
// not take everything (socket full, renegotiation, error): those bytes stay
// at the front, where libevent's own write path retries them with the same
// start and at least the same length, as OpenSSL requires (libevent sets
// SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER on the bufferevent's SSL).
void sslWrite(SSL* ssl, evbuffer* out) {
  for (;;) {
    const size_t left = evbuffer_get_length(out);
    if (left == 0) return;
    // One record for a small request head and body added apart.
    const size_t want = left < 16384 ? left : 16384;
    const unsigned char* data = evbuffer_pullup(out, static_cast<ev_ssize_t>(want));
    if (data == nullptr) return;
    // No ERR_clear_error() first (~400 instructions): nothing here reads the
    // error queue; libevent clears it before each SSL call of its own.
    const int n = SSL_write(ssl, data, static_cast<int>(want));
    if (n <= 0) {
      ERR_clear_error();  // libevent's retry reports a real error itself
      return;
    }
    if (evbuffer_drain(out, static_cast<size_t>(n)) != 0) return;
    if (static_cast<size_t>(n) < want) return;
  }
}

}  // namespace

WritePath writePathOf(bufferevent* bev) {
  WritePath path;
  if (bufferevent_get_underlying(bev) != nullptr) return path;
  path.fd = bufferevent_getfd(bev);
  if (path.fd < 0) return path;
  // TLS on a socket writes directly too (through SSL_write), once its
  // handshake is done; a TLS filter over another bufferevent does not.
  SSL* ssl = bufferevent_openssl_get_ssl(bev);
  if (ssl == nullptr) {
    path.kind = WritePath::Kind::Socket;
  } else if (SSL_is_init_finished(ssl) != 0) {
    path.kind = WritePath::Kind::TlsOnSocket;
    path.ssl = ssl;
  }
  return path;
}

void flushOutput(bufferevent* bev, const WritePath& path) {
  if (!path.direct()) {
    bufferevent_enable(bev, EV_WRITE);
    return;
  }
  if (bufferevent_get_enabled(bev) & EV_WRITE) return;  // libevent is already writing
  evbuffer* out = bufferevent_get_output(bev);
  if (evbuffer_get_length(out) == 0) return;
  if (path.kind == WritePath::Kind::TlsOnSocket) {
    sslWrite(path.ssl, out);
    if (evbuffer_get_length(out) == 0) {
      // Adding the bytes armed the TLS bufferevent's write event (libevent
      // 2.1 does so whether EV_WRITE is enabled or not): disarm it, or the
      // epoll changelist turns it into an EPOLLOUT add, a wake-up that writes
      // nothing, and an EPOLLOUT remove.
      bufferevent_disable(bev, EV_WRITE);
    } else {
      bufferevent_enable(bev, EV_WRITE);
    }
    return;
  }
  // A socket bufferevent freezes the front of its output against outside
  // drains; libevent's own write path unfreezes it around the write, as here.
  evbuffer_unfreeze(out, 1);
  int n = evbuffer_write(out, path.fd);
  evbuffer_freeze(out, 1);
  if (n < 0 || evbuffer_get_length(out) > 0) bufferevent_enable(bev, EV_WRITE);
}

void onOutputDrained(bufferevent* bev, const WritePath& path) {
  if (path.direct() && evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
    bufferevent_disable(bev, EV_WRITE);
  }
}

}  // namespace gw::net
