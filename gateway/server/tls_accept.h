#pragma once

// One accepted connection on the TLS listener while its handshake runs: a
// TLS bufferevent in the accepting state, a handshake timeout, and a log line
// (rate-limited by the worker) when it fails. When the handshake is done it
// hands the bufferevent and what was negotiated (DownstreamTransport) to
// `done`, which builds the connection manager; on failure `done` gets null.
// Single-threaded: lives on the worker that accepted it; the worker owns it
// and deletes it (deferred) once `done` has run.

#include <event2/bufferevent.h>
#include <openssl/ssl.h>

#include <chrono>
#include <functional>
#include <string>

#include "gateway/event/dispatcher.h"
#include "gateway/server/downstream_transport.h"
#include "gateway/tls/handshake_log.h"

namespace gw::server {

class PendingTlsConnection {
 public:
  // `bev` is null when the handshake failed or timed out (the socket is closed).
  using Done = std::function<void(PendingTlsConnection& self, bufferevent* bev,
                                  DownstreamTransport transport)>;

  // Takes ownership of `fd`. `limiter` must outlive this.
  PendingTlsConnection(event::Dispatcher& dispatcher, SSL_CTX* ctx, evutil_socket_t fd,
                       std::string peer, tls::HandshakeLogLimiter& limiter, Done done);
  ~PendingTlsConnection();

  // Starts the handshake; false (and `done` not called) when the TLS state
  // cannot be created (the socket is closed).
  bool start(std::chrono::milliseconds timeout);
  // Closes the connection without a log line (drain, shutdown); `done` is not called.
  void abort();
  const std::string& peer() const { return peer_; }

 private:
  static void onEventCb(bufferevent* bev, short events, void* arg);
  void onEvent(short events);
  void fail(const std::string& why, bool quiet);
  DownstreamTransport negotiated() const;

  event::Dispatcher& dispatcher_;
  SSL_CTX* ctx_;
  evutil_socket_t fd_;
  std::string peer_;
  tls::HandshakeLogLimiter& limiter_;
  Done done_;
  bufferevent* bev_ = nullptr;
  event::TimerPtr timeout_;
  std::chrono::milliseconds timeout_ms_{0};
};

}  // namespace gw::server
