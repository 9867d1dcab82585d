#pragma once

// One Connector::connect(): runs the transport steps planTransport() lists
// (TCP -> [TLS to the proxy] -> [CONNECT] -> [TLS to the backend]), each
// stacking a bufferevent over the previous one, all bounded by the connect
// timeout. It is the ConnectHandle the caller holds; destroying it cancels
// the attempt (bufferevents freed, DNS request cancelled, timers off) and no
// callback runs afterwards. Results are always delivered from the connector's
// SoonQueue (later in the same loop pass), never inline from connect() nor
// from inside a bufferevent callback. Internal to //proxy_connector:connector_impl.
// Thread-safety: the connector's dispatcher thread only.

#include <optional>
#include <string>
#include <vector>

#include "proxy_connector/connect_protocol.h"
#include "proxy_connector/connect_response_reader.h"
#include "proxy_connector/connection_limit.h"
#include "proxy_connector/connector.h"
#include "proxy_connector/connector_context.h"
#include "proxy_connector/transport_plan.h"

namespace gw::proxy {

class ConnectAttempt : public ConnectHandle,
                       private ConnectionLimit::Waiter,
                       private SoonQueue::Hook {
 public:
  // `context` and `callbacks` must outlive this attempt.
  ConnectAttempt(ConnectorContext& context, const ConnectRequest& request,
                 ConnectCallbacks& callbacks);
  ~ConnectAttempt() override;

  ConnectFailure abandon(std::chrono::milliseconds waited, const std::string& setting) override;

 private:
  // Queued: over maxActiveConnections, waiting (up to waitTimeInMillis) for a
  // slot or an idle connection for the key. Running: steps_[step_] in progress.
  enum class Phase { Pending, Queued, Running, Done };

  void onSoon() override;  // start(), or deliver() once Done: queued by kickSoon()
  void kickSoon();
  void start();
  bool takePooled();
  void armTimeout(std::chrono::milliseconds after);
  void disarmTimeout();
  void queue();
  void onMaybeFree() override;
  SetupPhase setupPhase() const;
  void countFailure(const ConnectFailure& f);

  // The steps. runStep() starts steps_[step_]; each ends in nextStep() or fail().
  void runStep();
  void nextStep();
  void startTcp(const TransportStep& step);
  void sendConnect();
  void startTls(const TransportStep& step, TlsClient& client);
  static bool isTls(StepKind kind);
  // errno values of a TCP connect that failed (as opposed to a dropped TLS handshake).
  static bool isConnectError(int socket_error);
  // A client SSL for `step` with its cached session offered; null after fail().
  tls::SslPtr newSsl(const TransportStep& step, TlsClient& client);
  // The TCP step runs TLS on the socket and its handshake has begun.
  bool tlsStarted() const;
  TlsClient* tlsClientFor(StepKind kind);
  ConnectFailure tlsStepFailure(StepKind kind, long verify, const std::string& errors) const;

  void onProxyReadable();
  void onProxyAnswer(ConnectResponseReader::State state);
  void onEvent(short events);
  void onTlsEvent(short events);
  void onTimeout();
  // Ends the attempt; the outcome is delivered on the next loop iteration.
  void succeed();
  void fail(ConnectFailure failure);
  void deliver();

  static void onBevRead(bufferevent* bev, void* arg);
  static void onHandedOverRead(bufferevent* bev, void* arg);
  static void onBevEvent(bufferevent* bev, short events, void* arg);

  ConnectorContext& context_;
  const ConnectRequest request_;  // its pool_key filled in
  // maxActiveConnections key, also the pool key of an HTTP/1.1 connection.
  const std::string& key_ = request_.pool_key;
  ConnectCallbacks& callbacks_;
  Phase phase_ = Phase::Pending;
  std::vector<TransportStep> steps_;  // planned by start() unless a pooled connection serves
  size_t step_ = 0;
  event::TimerPtr kick_;     // the retry of a queued attempt; null until one waits
  event::TimerPtr timeout_;  // null until a set-up or a wait begins
  BevPtr bev_;               // the top of the stack: socket, or a TLS filter owning what it wraps
  SSL* ssl_ = nullptr;       // of the TLS step in progress; owned by its filter in bev_
  std::string session_key_;  // of the TLS step in progress
  bool tls_on_socket_ = false;  // the TCP step's bufferevent also runs the next (TLS) step
  std::string alpn_;            // negotiated with the backend
  ConnectResponseReader reader_;
  event::MonotonicTime connect_sent_at_;
  std::unique_ptr<UpstreamConnectionImpl> pooled_;  // a reused connection to hand over
  ConnectionLimit::SlotPtr slot_;                   // held from TCP connect on
  std::optional<ConnectFailure> failure_;
};

}  // namespace gw::proxy
