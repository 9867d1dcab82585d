#pragma once

// [throttlingConfig] of micro-gw.conf (WSO2 API Microgateway 3.2's keys plus
// a few of microgw's) and where the throttling policies come from. Part of
// the typed model (//conf:config); conf/throttling_loader.cc reads it and
// filters/throttle uses it.

#include <cstdint>
#include <string>

namespace gw::conf {

struct ThrottlingConfig {
  // Publish one event per request to the traffic manager, and poll its
  // blocked-key decisions.
  bool global_publishing = false;                                 // enabledGlobalTMEventPublishing
  std::string endpoint_url = "https://localhost:9443/endpoints";  // throttleEndpointUrl
  // throttleEndpointbase64Header: plain "user:pass" (the gateway base64-encodes
  // it, as WSO2 does). Never logged.
  std::string endpoint_credentials = "admin:admin";
  // policiesFile resolved against micro-gw.conf's folder; without the key,
  // policies.yaml beside micro-gw.conf when it exists, else "" (the built-in
  // WSO2 default policies).
  std::string policies_file;
  // microgw's keys for the event publisher: events waiting to be sent (more
  // are dropped and counted) and events per POST (a JSON array; 1 = one event
  // object per POST, as WSO2 sends them).
  // 32768 as WSO2's binary agent's queueSize; 1000 per POST because each POST
  // wakes the traffic manager and the sender (tools/bench/README.md, issue 8).
  uint32_t event_queue_size = 32768;  // eventQueueSize
  uint32_t event_batch_size = 1000;   // eventBatchSize
  // Blocked-key decisions: GET decisionEndpointUrl every decisionPollIntervalInMillis
  // (README "Throttling" has the contract). "" = endpoint_url + "/throttleDecisions".
  std::string decision_url;
  uint32_t decision_poll_ms = 1000;

  std::string decisionUrl() const {
    if (!decision_url.empty()) return decision_url;
    std::string base = endpoint_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/throttleDecisions";
  }
  std::string eventUrl() const {
    std::string base = endpoint_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/throttleEventReceiver";
  }
};

}  // namespace gw::conf
