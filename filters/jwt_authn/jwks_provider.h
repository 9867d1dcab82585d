#pragma once

// Key sets fetched from JWKS endpoints ([[jwtTokenConfig]] jwksURL) on one
// background thread, published to the workers as immutable snapshots.
//
// Threading: the provider owns one thread with its own dispatcher, connector
// and internal HttpClient (so [httpClients.proxy] enableInternalServices
// applies to the fetches). keys() and refetchUnknownKid() may be called from
// any thread: keys() is a lock-free atomic load of a shared_ptr<const JwkSet>;
// refetchUnknownKid() does an atomic compare-exchange and posts to the
// background thread. The destructor stops and joins the thread; it must not
// run on that thread (the provider is owned by the filter config, which the
// Runtime holds, never the background thread).
//
// Fetch policy: a provider starts with the keys this process last fetched
// from each URL (a reload keeps serving while it refetches); every URL is
// fetched at start; a failure is logged and retried
// with back-off (1 s doubling to 60 s) until a first key set arrives. After
// that a URL is refetched when a token names a kid it does not hold, at most
// once per 30 s per URL (RefetchGate), and every 15 minutes. A failed refetch
// keeps the keys already held. A request whose kid is unknown does not wait
// for the refetch: it is refused (401), and the next request sees the new keys.
// A request that arrives before the first fetch of its URL has finished waits
// for that fetch (waitForFirstFetch; bounded by fetch_timeout) instead of
// being refused while the gateway starts.
//
// Example:
//   auto jwks = JwksProvider::start({.http_clients = ..., .urls = {url}}, stats);
//   std::shared_ptr<const JwkSet> keys = jwks->keys(url);   // null until first fetch
//   if (keys && keys->find(kid) == nullptr) jwks->refetchUnknownKid(url);

#include <atomic>
#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "conf/config.h"
#include "filters/jwt_authn/jwk.h"
#include "gateway/event/dispatcher.h"
#include "gateway/stats/stats.h"

namespace gw::filters::jwt_authn {

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

// At most one acquisition per `interval`, across threads. Pure logic on a
// caller-supplied time, so tests need no sleeping.
class RefetchGate {
 public:
  explicit RefetchGate(std::chrono::milliseconds interval) : interval_ms_(interval.count()) {}
  // True (and the gate closes until now + interval) when it was open at `now`.
  bool tryAcquire(std::chrono::steady_clock::time_point now);

 private:
  const int64_t interval_ms_;
  std::atomic<int64_t> last_ms_{std::numeric_limits<int64_t>::min()};
};

// Retry delay after `failures` consecutive failures: 1 s, 2 s, 4 s ... 60 s.
std::chrono::milliseconds jwksRetryDelay(int failures);

class JwksProvider {
 public:
  struct Options {
    conf::HttpClientsConfig http_clients;
    std::vector<std::string> urls;
    std::chrono::milliseconds min_refetch_interval{30000};
    std::chrono::milliseconds refresh_interval{15 * 60 * 1000};
    std::chrono::milliseconds fetch_timeout{10000};
    SteadyClock clock;  // default: std::chrono::steady_clock::now
  };

  // Starts the background thread and the first fetch of every URL.
  static std::shared_ptr<JwksProvider> start(Options options, stats::Store& stats);
  ~JwksProvider();

  // The latest key set of `url`, or null before its first successful fetch
  // (or for a URL the provider was not started with). Lock-free.
  std::shared_ptr<const JwkSet> keys(const std::string& url) const;

  // A token named a kid that keys(url) lacks: refetch, unless this URL was
  // (re)fetched for an unknown kid within min_refetch_interval. Returns
  // whether a refetch was scheduled.
  bool refetchUnknownKid(const std::string& url);

  // While the first fetch of `url` is in flight: registers `done`, which is
  // posted to `dispatcher` once that fetch has finished (either way), and
  // returns an id for cancelWait(). Returns nullopt when the first fetch
  // has already finished (or `url` is unknown): read keys(url) instead.
  // Any thread. The caller cancels before it goes away; `done` may still run
  // once after a cancel that raced with the post, so it must check liveness.
  std::optional<uint64_t> waitForFirstFetch(const std::string& url, event::Dispatcher& dispatcher,
                                            std::function<void()> done);
  void cancelWait(uint64_t id);

  class Worker;  // the background thread's state (internal)

 private:
  struct Source {
    explicit Source(std::string u, std::chrono::milliseconds gate)
        : url(std::move(u)), gate(gate) {}
    const std::string url;
    std::shared_ptr<const JwkSet> keys;  // only through std::atomic_load/atomic_store
    RefetchGate gate;
    std::atomic<bool> first_fetch_done{false};
  };
  struct Waiter {
    uint64_t id;
    const Source* source;
    event::Dispatcher* dispatcher;
    std::function<void()> done;
  };

  // The background thread: the first fetch of `source` finished.
  void firstFetchDone(Source& source);

  JwksProvider(Options options, stats::Store& stats);
  Source* find(const std::string& url) const;

  const Options options_;
  stats::Store& stats_;
  std::vector<std::unique_ptr<Source>> sources_;  // fixed after construction
  std::unique_ptr<Worker> worker_;
  std::mutex waiters_mu_;
  std::vector<Waiter> waiters_;  // guarded by waiters_mu_
  uint64_t next_wait_id_ = 1;    // guarded by waiters_mu_
  std::thread thread_;

  friend class Worker;
};

}  // namespace gw::filters::jwt_authn
