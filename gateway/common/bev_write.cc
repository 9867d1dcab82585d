#include "gateway/common/bev_write.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

namespace gw::net {

bool writesDirectly(bufferevent* bev) {
  // A TLS bufferevent on a socket has an fd and no underlying bufferevent too:
  // its bytes must go through SSL_write.
  return bufferevent_get_underlying(bev) == nullptr && bufferevent_getfd(bev) >= 0 &&
         bufferevent_openssl_get_ssl(bev) == nullptr;
}

void flushOutput(bufferevent* bev) {
  if (!writesDirectly(bev)) {
    bufferevent_enable(bev, EV_WRITE);
    return;
  }
  if (bufferevent_get_enabled(bev) & EV_WRITE) return;  // libevent is already writing
  evbuffer* out = bufferevent_get_output(bev);
  if (evbuffer_get_length(out) == 0) return;
  // A socket bufferevent freezes the front of its output against outside
  // drains; libevent's own write path unfreezes it around the write, as here.
  evbuffer_unfreeze(out, 1);
  int n = evbuffer_write(out, bufferevent_getfd(bev));
  evbuffer_freeze(out, 1);
  if (n < 0 || evbuffer_get_length(out) > 0) bufferevent_enable(bev, EV_WRITE);
}

void onOutputDrained(bufferevent* bev) {
  if (writesDirectly(bev) && evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
    bufferevent_disable(bev, EV_WRITE);
  }
}

}  // namespace gw::net
