#include "filters/throttle/tm_client.h"

#include <event2/event.h>

#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/event/dispatcher.h"
#include "proxy_connector/connector_impl.h"
#include "proxy_connector/http_client.h"

namespace gw::filters::throttle {

// After a failed POST, queued events are dropped unsent for this long; then one
// flush probes the traffic manager again.
constexpr std::chrono::milliseconds kRetryInterval{1000};
// Written bodies kept to be filled again, so that a steady stream of batches
// allocates nothing: a few more than are usually in flight (at ~30k events/s
// and 1000 per POST, one or two), ~600 KB each at the default batch size. A
// body that grew past kMaxSpareCapacity (a huge batch_size) is freed instead.
constexpr size_t kMaxSpareBodies = 8;
constexpr size_t kMaxSpareCapacity = 4 << 20;

// Lives on the background thread.
class TrafficManagerClient::Worker {
 public:
  explicit Worker(TrafficManagerClient& owner)
      : owner_(owner),
        dispatcher_(event::createDispatcher("throttle-tm")),
        polls_ok_(owner.stats_.counter("microgw_throttle_decision_polls_total",
                                       "Blocked-key decision polls by result.",
                                       {{"result", "success"}})),
        polls_failed_(owner.stats_.counter("microgw_throttle_decision_polls_total",
                                           "Blocked-key decision polls by result.",
                                           {{"result", "failure"}})) {}

  void run() {
    const Options& o = owner_.options_;
    connector_ = proxy::createConnector(*dispatcher_, proxy::connectorOptionsFor(o.http_clients),
                                        owner_.stats_);
    client_ = std::make_unique<proxy::HttpClient>(*dispatcher_, *connector_, o.http_clients);
    if (!o.event_url.empty()) {
      flush_timer_ = dispatcher_->createTimer([this] { flush(); });
      flush_timer_->enable(o.flush_interval);
    }
    if (!o.decision_url.empty()) {
      poll_timer_ = dispatcher_->createTimer([this] { poll(); });
      poll();
    }
    dispatcher_->run();
    flush_timer_.reset();
    poll_timer_.reset();
    client_.reset();  // cancels requests in flight
    connector_.reset();
    event_base_loop(dispatcher_->base(), EVLOOP_NONBLOCK);
  }

  void stop() {
    dispatcher_->post([this] { dispatcher_->exit(); });
  }

 private:
  void flush() {
    const Options& o = owner_.options_;
    if (failing_ && std::chrono::steady_clock::now() < retry_at_) {
      // Not worth sending: drop what waits until the next probe.
      dropBacklog();
      owner_.takeBatches(backlog_, true);
      dropBacklog();
      flush_timer_->enable(o.flush_interval);
      return;
    }
    // Not failing, or time to probe again: publish() queues events (the next
    // batch is the probe).
    owner_.dropping_.store(false, std::memory_order_relaxed);
    sendMore(/*include_open=*/true);
    flush_timer_->enable(o.flush_interval);
  }

  void dropBacklog() {
    for (size_t i = next_; i < backlog_.size(); ++i) {
      owner_.dropped_.inc(backlog_[i].count);
      owner_.recycle(std::move(backlog_[i].body));
    }
    backlog_.clear();
    next_ = 0;
  }

  // POSTs waiting batches while fewer than max_in_flight are in flight; the
  // batch being filled only on the timer (a completed POST sends full ones).
  void sendMore(bool include_open) {
    while (in_flight_ < owner_.options_.max_in_flight) {
      if (next_ == backlog_.size()) {
        backlog_.clear();
        next_ = 0;
        owner_.takeBatches(backlog_, include_open);
        if (backlog_.empty()) break;
      }
      Batch& b = backlog_[next_++];
      send(std::move(b.body), b.count);
    }
  }

  void send(std::string body, size_t count) {
    const Options& o = owner_.options_;
    proxy::HttpRequest req;
    req.method = "POST";
    req.url = o.event_url;
    req.headers = {{"Content-Type", "application/json"}, {"Authorization", o.authorization}};
    // Sent by reference; back to the owner once written (this thread).
    TrafficManagerClient* owner = &owner_;
    req.shared_body = std::shared_ptr<const std::string>(new std::string(std::move(body)),
                                                         [owner](std::string* written) {
                                                           owner->recycle(std::move(*written));
                                                           delete written;
                                                         });
    req.timeout = o.timeout;
    ++in_flight_;
    client_->request(std::move(req), [this, count](absl::StatusOr<proxy::HttpResponse> r) {
      --in_flight_;
      const bool ok = r.ok() && r->status / 100 == 2;
      if (ok) {
        owner_.sent_.inc(count);
        if (failing_)
          GW_LOG_INFO("throttle: traffic manager ", owner_.options_.event_url,
                      " accepts events again");
        failing_ = false;
        // A POST sent before another one failed may succeed after it.
        owner_.dropping_.store(false, std::memory_order_relaxed);
        sendMore(/*include_open=*/false);
        return;
      }
      owner_.dropped_.inc(count);
      retry_at_ = std::chrono::steady_clock::now() + kRetryInterval;
      owner_.dropping_.store(true, std::memory_order_relaxed);
      if (!failing_) {
        GW_LOG_WARN("throttle: publishing events to ", owner_.options_.event_url, " failed (",
                    r.ok() ? gw::cat("HTTP ", r->status) : std::string(r.status().message()),
                    "); events are dropped and counted in "
                    "microgw_throttle_events_dropped_total until it answers 2xx");
      }
      failing_ = true;
    });
  }

  void poll() {
    const Options& o = owner_.options_;
    proxy::HttpRequest req;
    req.url = o.decision_url;
    req.headers = {{"Accept", "application/json"}, {"Authorization", o.authorization}};
    req.timeout = o.timeout;
    client_->request(std::move(req), [this](absl::StatusOr<proxy::HttpResponse> r) {
      onPolled(std::move(r));
      poll_timer_->enable(owner_.options_.poll_interval);
    });
  }

  void onPolled(absl::StatusOr<proxy::HttpResponse> r) {
    absl::StatusOr<std::vector<Decision>> decisions =
        !r.ok()            ? absl::StatusOr<std::vector<Decision>>(r.status())
        : r->status != 200 ? absl::UnavailableError(gw::cat("answered HTTP ", r->status))
                           : parseDecisions(r->body);
    if (!decisions.ok()) {
      polls_failed_.inc();
      if (!poll_failing_) {
        GW_LOG_WARN("throttle: blocked-key decisions from ", owner_.options_.decision_url,
                    " failed (", decisions.status().message(),
                    "); keeping the keys already blocked until they expire");
      }
      poll_failing_ = true;
      return;
    }
    polls_ok_.inc();
    if (poll_failing_) {
      GW_LOG_INFO("throttle: blocked-key decisions from ", owner_.options_.decision_url,
                  " are read again");
    }
    poll_failing_ = false;
    owner_.blocked_->replace(*decisions);
  }

  TrafficManagerClient& owner_;
  event::DispatcherPtr dispatcher_;
  stats::Counter& polls_ok_;
  stats::Counter& polls_failed_;
  std::shared_ptr<proxy::Connector> connector_;
  std::unique_ptr<proxy::HttpClient> client_;
  event::TimerPtr flush_timer_;
  event::TimerPtr poll_timer_;
  std::vector<Batch> backlog_;  // taken from the queue, sent from next_ on
  size_t next_ = 0;
  int in_flight_ = 0;
  bool failing_ = false;  // the last POST failed: drop events until retry_at_, then probe
  std::chrono::steady_clock::time_point retry_at_;
  bool poll_failing_ = false;
};

TrafficManagerClient::TrafficManagerClient(Options options, stats::Store& stats,
                                           std::shared_ptr<BlockedKeys> blocked)
    : options_(std::move(options)),
      stats_(stats),
      blocked_(std::move(blocked)),
      dropped_(stats.counter("microgw_throttle_events_dropped_total",
                             "Throttle events not delivered to the traffic manager (queue full, "
                             "or the POST failed).")),
      sent_(stats.counter("microgw_throttle_events_sent_total",
                          "Throttle events the traffic manager accepted (2xx).")),
      open_(options_.batch_size > 1) {}

std::unique_ptr<TrafficManagerClient> TrafficManagerClient::start(
    Options options, stats::Store& stats, std::shared_ptr<BlockedKeys> blocked) {
  std::unique_ptr<TrafficManagerClient> client(
      new TrafficManagerClient(std::move(options), stats, std::move(blocked)));
  client->worker_ = std::make_unique<Worker>(*client);
  client->thread_ = std::thread([w = client->worker_.get()] { w->run(); });
  return client;
}

TrafficManagerClient::~TrafficManagerClient() {
  if (worker_) worker_->stop();
  if (thread_.joinable()) thread_.join();
}

bool TrafficManagerClient::publish(const ThrottleEvent& event) {
  if (dropping_.load(std::memory_order_relaxed)) {
    dropped_.inc();
    return false;
  }
  thread_local std::string scratch;  // kept: no allocation or memset per event
  const std::string_view json = writeEventJson(scratch, event);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queued_ < options_.queue_size) {
      if (open_.count() == 0) {
        if (!spare_.empty()) {
          open_.reuse(std::move(spare_.back()));
          spare_.pop_back();
        }
        open_.reserve((json.size() + 1) * std::min<size_t>(options_.batch_size, 1024) + 2);
      }
      open_.add(json);
      ++queued_;
      if (const size_t n = open_.count(); n >= options_.batch_size) {
        ready_.push_back({open_.take(), n});
      }
      return true;
    }
  }
  dropped_.inc();
  return false;
}

void TrafficManagerClient::recycle(std::string body) {
  if (body.capacity() > kMaxSpareCapacity) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (spare_.size() < kMaxSpareBodies) spare_.push_back(std::move(body));
}

void TrafficManagerClient::takeBatches(std::vector<Batch>& into, bool include_open) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Batch& b : ready_) {
    queued_ -= b.count;
    into.push_back(std::move(b));
  }
  ready_.clear();
  if (include_open && open_.count() > 0) {
    const size_t n = open_.count();
    queued_ -= n;
    into.push_back({open_.take(), n});
  }
}

}  // namespace gw::filters::throttle
