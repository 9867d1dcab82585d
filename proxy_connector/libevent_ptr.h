#pragma once

// RAII owners for the libevent objects the connector holds: bufferevents (a
// socket, or a TLS filter that owns what it wraps), plain events and the DNS base.
// Internal to //proxy_connector:connector_impl. Thread-safety: as the objects.

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>

#include <memory>

namespace gw::proxy {

struct BevDeleter {
  void operator()(bufferevent* b) const { bufferevent_free(b); }
};
using BevPtr = std::unique_ptr<bufferevent, BevDeleter>;

struct EventDeleter {
  void operator()(::event* e) const { event_free(e); }
};
using EventPtr = std::unique_ptr<::event, EventDeleter>;

struct EvdnsBaseDeleter {
  // 1: pending requests fail with their callbacks run (bufferevents cancel theirs first).
  void operator()(evdns_base* b) const { evdns_base_free(b, 1); }
};
using EvdnsBasePtr = std::unique_ptr<evdns_base, EvdnsBaseDeleter>;

}  // namespace gw::proxy
