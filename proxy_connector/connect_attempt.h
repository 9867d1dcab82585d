#pragma once

// One Connector::connect(): the state machine TCP -> [CONNECT] -> [TLS], bounded
// by the connect timeout. It is the ConnectHandle the caller holds; destroying
// it cancels the attempt (bufferevent freed, DNS request cancelled, timers
// off) and no callback runs afterwards. Results are always delivered from a
// zero-delay timer of its own, never inline from connect() nor from inside a
// bufferevent callback. Internal to //proxy_connector:connector_impl.
// Thread-safety: the connector's dispatcher thread only.

#include <optional>
#include <string>

#include "proxy_connector/connect_protocol.h"
#include "proxy_connector/connect_response_reader.h"
#include "proxy_connector/connection_limit.h"
#include "proxy_connector/connector.h"
#include "proxy_connector/connector_context.h"

namespace gw::proxy {

class ConnectAttempt : public ConnectHandle, private ConnectionLimit::Waiter {
 public:
  // `context` and `callbacks` must outlive this attempt.
  ConnectAttempt(ConnectorContext& context, const ConnectRequest& request,
                 ConnectCallbacks& callbacks);
  ~ConnectAttempt() override;

  ConnectFailure abandon(std::chrono::milliseconds waited, const std::string& setting) override;

 private:
  // Queued: over maxActiveConnections, waiting (up to waitTimeInMillis) for a
  // slot or an idle connection for the key.
  enum class Phase { Pending, Queued, Tcp, ProxyAnswer, Tls, Done };

  void onKick();
  void start();
  void queue();
  void onMaybeFree() override;
  SetupPhase setupPhase() const;
  void countFailure(const ConnectFailure& f);
  void onTcpConnected();
  void sendConnect();
  void onProxyReadable();
  void onProxyAnswer(ConnectResponseReader::State state);
  void startTls();
  void onEvent(short events);
  void onTimeout();
  // Ends the attempt; the outcome is delivered on the next loop iteration.
  void succeed();
  void fail(ConnectFailure failure);
  void deliver();

  static void onBevRead(bufferevent* bev, void* arg);
  static void onHandedOverRead(bufferevent* bev, void* arg);
  static void onBevEvent(bufferevent* bev, short events, void* arg);

  ConnectorContext& context_;
  const ConnectRequest request_;
  const std::string key_;
  ConnectCallbacks& callbacks_;
  Phase phase_ = Phase::Pending;
  event::TimerPtr kick_;
  event::TimerPtr timeout_;
  BevPtr bev_;
  SSL* ssl_ = nullptr;  // owned by the TLS filter in bev_
  ConnectResponseReader reader_;
  event::MonotonicTime connect_sent_at_;
  std::unique_ptr<UpstreamConnectionImpl> pooled_;  // a reused connection to hand over
  ConnectionLimit::SlotPtr slot_;                   // held from TCP connect on
  std::optional<ConnectFailure> failure_;
};

}  // namespace gw::proxy
