#pragma once

// The traffic manager's client: publishes throttle events and polls
// blocked-key decisions, on one background thread with its own dispatcher,
// connector and internal HttpClient (so [httpClients.proxy]
// enableInternalServices applies), the shape of jwt_authn's JwksProvider.
//
// Events: publish() formats the event on the calling worker (into a reused
// per-thread buffer) and, under a short mutex, appends it to the POST body
// being filled (a bounded queue of bodies of up to batch_size events); it
// never waits for the network. A body is handed to the connection by
// reference (HttpRequest::shared_body) and, once written, comes back to be
// filled again: no allocation, no copy and no fresh memory per batch.
// Every flush interval, and whenever a POST completes while full batches
// wait, the thread sends the bodies to event_url (Basic auth), at most
// max_in_flight POSTs at once. A full queue, a failed POST or a non-2xx
// answer drops events, counted in microgw_throttle_events_dropped_total, so
// a slow or absent traffic manager never delays a request. After a failed
// POST, events are dropped (and counted) at publish() without being
// formatted for a second, then the next batch probes the traffic manager.
//
// Decisions: every poll interval, GET decision_url; a parseable answer
// replaces the BlockedKeys list (blocked_keys.h has the format); a failed
// poll keeps the old one (its entries still expire on time).
//
// Threading: publish() from any thread. The destructor stops and joins the
// thread; it must not run on that thread (the client is owned by the filter
// config, which the Runtime holds).

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "conf/config.h"
#include "filters/throttle/blocked_keys.h"
#include "filters/throttle/throttle_event.h"
#include "gateway/stats/stats.h"

namespace gw::filters::throttle {

class TrafficManagerClient {
 public:
  struct Options {
    conf::HttpClientsConfig http_clients;
    std::string event_url;      // "" = events are not published
    std::string decision_url;   // "" = decisions are not polled
    std::string authorization;  // "Basic ..."; never logged
    size_t queue_size = 32768;
    size_t batch_size = 1000;  // 1 = one event object per POST (WSO2's own way)
    int max_in_flight = 16;
    std::chrono::milliseconds flush_interval{50};
    std::chrono::milliseconds poll_interval{1000};
    std::chrono::milliseconds timeout{5000};
  };

  static std::unique_ptr<TrafficManagerClient> start(Options options, stats::Store& stats,
                                                     std::shared_ptr<BlockedKeys> blocked);
  ~TrafficManagerClient();

  // Formats one event and queues it; false when the queue is full (the event
  // is dropped and counted).
  bool publish(const ThrottleEvent& event);

  class Worker;  // the background thread's state (internal)

 private:
  TrafficManagerClient(Options options, stats::Store& stats, std::shared_ptr<BlockedKeys> blocked);
  // A POST body of `count` events.
  struct Batch {
    std::string body;
    size_t count = 0;
  };
  // Moves the full batches, and with `include_open` the one being filled, to
  // `into` (background thread, when its backlog is empty: the queue and the
  // backlog each hold at most queue_size events).
  void takeBatches(std::vector<Batch>& into, bool include_open);
  // A body whose bytes were written (or dropped), kept for a next batch.
  void recycle(std::string body);

  const Options options_;
  stats::Store& stats_;
  std::shared_ptr<BlockedKeys> blocked_;
  stats::Counter& dropped_;
  stats::Counter& sent_;
  std::atomic<bool> dropping_{false};  // the traffic manager failed: publish() drops
  std::mutex mu_;
  EventBatch open_;                 // the body being filled; guarded by mu_
  std::vector<Batch> ready_;        // full bodies; guarded by mu_
  size_t queued_ = 0;               // events in open_ and ready_; guarded by mu_
  std::vector<std::string> spare_;  // written bodies, to fill again; guarded by mu_
  std::unique_ptr<Worker> worker_;
  std::thread thread_;

  friend class Worker;
};

}  // namespace gw::filters::throttle
