#include "filters/jwt_authn/jwks_provider.h"

#include <event2/event.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <mutex>

#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/event/dispatcher.h"
#include "proxy_connector/connector_impl.h"
#include "proxy_connector/http_client.h"

namespace gw::filters::jwt_authn {
namespace {

// The last key set fetched per URL in this process, so that the provider a
// reload builds starts with the keys the previous one held (no 503 window
// while it refetches). Touched at provider construction and after fetches,
// never on the request path.
class LastKnownKeys {
 public:
  static LastKnownKeys& instance() {
    static auto* keys = new LastKnownKeys();
    return *keys;
  }
  std::shared_ptr<const JwkSet> get(const std::string& url) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = keys_.find(url);
    return it == keys_.end() ? nullptr : it->second;
  }
  void put(const std::string& url, std::shared_ptr<const JwkSet> keys) {
    std::lock_guard<std::mutex> lock(mu_);
    keys_[url] = std::move(keys);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const JwkSet>> keys_;
};

int64_t toMs(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

bool RefetchGate::tryAcquire(std::chrono::steady_clock::time_point now) {
  const int64_t now_ms = toMs(now);
  int64_t last = last_ms_.load(std::memory_order_relaxed);
  while (last == std::numeric_limits<int64_t>::min() || now_ms - last >= interval_ms_) {
    if (last_ms_.compare_exchange_weak(last, now_ms, std::memory_order_relaxed)) return true;
  }
  return false;
}

std::chrono::milliseconds jwksRetryDelay(int failures) {
  int64_t ms = 1000;
  for (int i = 1; i < failures && ms < 60000; ++i) ms *= 2;
  return std::chrono::milliseconds(std::min<int64_t>(ms, 60000));
}

// Lives on the background thread: its dispatcher, connector, HttpClient and
// one fetch state per URL.
class JwksProvider::Worker {
 public:
  explicit Worker(JwksProvider& provider)
      : provider_(provider),
        dispatcher_(event::createDispatcher("jwks")),
        fetched_(provider.stats_.counter("microgw_jwks_fetches_total", "JWKS fetches by result.",
                                         {{"result", "success"}})),
        failed_(provider.stats_.counter("microgw_jwks_fetches_total", "JWKS fetches by result.",
                                        {{"result", "failure"}})) {}

  void run() {
    connector_ = proxy::createConnector(*dispatcher_,
                                        proxy::connectorOptionsFor(provider_.options_.http_clients),
                                        provider_.stats_);
    client_ = std::make_unique<proxy::HttpClient>(*dispatcher_, *connector_,
                                                  provider_.options_.http_clients);
    for (size_t i = 0; i < provider_.sources_.size(); ++i) {
      states_.push_back(State{});
      states_.back().timer = dispatcher_->createTimer([this, i] { fetch(i); });
    }
    for (size_t i = 0; i < states_.size(); ++i) fetch(i);
    dispatcher_->run();
    states_.clear();
    client_.reset();  // cancels fetches in flight
    connector_.reset();
    event_base_loop(dispatcher_->base(), EVLOOP_NONBLOCK);
  }

  // Any thread.
  void post(std::function<void()> cb) { dispatcher_->post(std::move(cb)); }
  void stop() {
    dispatcher_->post([this] { dispatcher_->exit(); });
  }

  void fetch(size_t i) {
    State& st = states_[i];
    if (st.fetching) return;
    st.fetching = true;
    proxy::HttpRequest req;
    req.url = provider_.sources_[i]->url;
    req.headers = {{"Accept", "application/json"}};
    req.timeout = provider_.options_.fetch_timeout;
    client_->request(std::move(req), [this, i](absl::StatusOr<proxy::HttpResponse> r) {
      onFetched(i, std::move(r));
    });
  }

 private:
  struct State {
    event::TimerPtr timer;  // retry or periodic refresh
    int failures = 0;
    bool fetching = false;
  };

  static absl::StatusOr<JwkSet> keysFrom(absl::StatusOr<proxy::HttpResponse> r) {
    if (!r.ok()) return r.status();
    if (r->status != 200) {
      return absl::UnavailableError(gw::cat("the endpoint answered HTTP ", r->status));
    }
    return JwkSet::parse(r->body);
  }

  void onFetched(size_t i, absl::StatusOr<proxy::HttpResponse> response) {
    State& st = states_[i];
    Source& src = *provider_.sources_[i];
    st.fetching = false;
    absl::StatusOr<JwkSet> keys = keysFrom(std::move(response));
    struct FirstFetchNotice {  // wakes the waiting requests once the keys are stored
      JwksProvider& provider;
      Source& source;
      ~FirstFetchNotice() {
        if (!source.first_fetch_done.load(std::memory_order_acquire)) {
          provider.firstFetchDone(source);
        }
      }
    } notice{provider_, src};
    std::shared_ptr<const JwkSet> held = std::atomic_load(&src.keys);
    if (keys.ok()) {
      fetched_.inc();
      st.failures = 0;
      GW_LOG_INFO("jwt_authn: JWKS ", src.url, ": ", keys->size(), " usable key(s)");
      for (const std::string& s : keys->skipped()) {
        GW_LOG_INFO("jwt_authn: JWKS ", src.url, ": skipped ", s);
      }
      auto fresh = std::make_shared<const JwkSet>(*std::move(keys));
      std::atomic_store(&src.keys, std::shared_ptr<const JwkSet>(fresh));
      LastKnownKeys::instance().put(src.url, fresh);
      st.timer->enable(provider_.options_.refresh_interval);
      return;
    }
    failed_.inc();
    if (held != nullptr) {
      GW_LOG_WARN("jwt_authn: JWKS ", src.url, ": refetch failed (", keys.status().message(),
                  "); keeping the ", held->size(), " key(s) held");
      st.timer->enable(provider_.options_.refresh_interval);
      return;
    }
    ++st.failures;
    const std::chrono::milliseconds delay = jwksRetryDelay(st.failures);
    GW_LOG_WARN("jwt_authn: JWKS ", src.url, ": fetch failed (", keys.status().message(),
                "); tokens of this issuer are refused until it succeeds; retrying in ",
                delay.count(), " ms");
    st.timer->enable(delay);
  }

  JwksProvider& provider_;
  event::DispatcherPtr dispatcher_;
  stats::Counter& fetched_;
  stats::Counter& failed_;
  std::shared_ptr<proxy::Connector> connector_;
  std::unique_ptr<proxy::HttpClient> client_;
  std::vector<State> states_;
};

JwksProvider::JwksProvider(Options options, stats::Store& stats)
    : options_(std::move(options)), stats_(stats) {
  for (const std::string& url : options_.urls) {
    if (find(url) == nullptr) {
      sources_.push_back(std::make_unique<Source>(url, options_.min_refetch_interval));
      sources_.back()->keys = LastKnownKeys::instance().get(url);
      // Keys from before a reload serve at once: nobody needs to wait.
      if (sources_.back()->keys != nullptr) sources_.back()->first_fetch_done = true;
    }
  }
}

std::shared_ptr<JwksProvider> JwksProvider::start(Options options, stats::Store& stats) {
  if (!options.clock) options.clock = [] { return std::chrono::steady_clock::now(); };
  std::shared_ptr<JwksProvider> provider(new JwksProvider(std::move(options), stats));
  provider->worker_ = std::make_unique<Worker>(*provider);
  provider->thread_ = std::thread([w = provider->worker_.get()] { w->run(); });
  return provider;
}

JwksProvider::~JwksProvider() {
  if (worker_) worker_->stop();
  if (thread_.joinable()) thread_.join();
}

JwksProvider::Source* JwksProvider::find(const std::string& url) const {
  for (const auto& s : sources_) {
    if (s->url == url) return s.get();
  }
  return nullptr;
}

std::shared_ptr<const JwkSet> JwksProvider::keys(const std::string& url) const {
  const Source* s = find(url);
  return s == nullptr ? nullptr : std::atomic_load(&s->keys);
}

bool JwksProvider::refetchUnknownKid(const std::string& url) {
  Source* s = find(url);
  if (s == nullptr || !s->gate.tryAcquire(options_.clock())) return false;
  const size_t index = static_cast<size_t>(
      std::find_if(sources_.begin(), sources_.end(), [s](const auto& p) { return p.get() == s; }) -
      sources_.begin());
  GW_LOG_INFO("jwt_authn: JWKS ", url, ": a token names an unknown kid; refetching");
  worker_->post([w = worker_.get(), index] { w->fetch(index); });
  return true;
}

std::optional<uint64_t> JwksProvider::waitForFirstFetch(const std::string& url,
                                                        event::Dispatcher& dispatcher,
                                                        std::function<void()> done) {
  const Source* s = find(url);
  if (s == nullptr || s->first_fetch_done.load(std::memory_order_acquire)) return std::nullopt;
  std::lock_guard<std::mutex> lock(waiters_mu_);
  // Checked again under the lock: firstFetchDone() sets the flag before it
  // takes the waiters, so a waiter added now is either taken or not needed.
  if (s->first_fetch_done.load(std::memory_order_acquire)) return std::nullopt;
  const uint64_t id = next_wait_id_++;
  waiters_.push_back(Waiter{id, s, &dispatcher, std::move(done)});
  return id;
}

void JwksProvider::cancelWait(uint64_t id) {
  std::lock_guard<std::mutex> lock(waiters_mu_);
  waiters_.erase(std::remove_if(waiters_.begin(), waiters_.end(),
                                [id](const Waiter& w) { return w.id == id; }),
                 waiters_.end());
}

void JwksProvider::firstFetchDone(Source& source) {
  std::vector<Waiter> ready;
  {
    std::lock_guard<std::mutex> lock(waiters_mu_);
    source.first_fetch_done.store(true, std::memory_order_release);
    auto split = std::stable_partition(waiters_.begin(), waiters_.end(),
                                       [&](const Waiter& w) { return w.source != &source; });
    std::move(split, waiters_.end(), std::back_inserter(ready));
    waiters_.erase(split, waiters_.end());
    // Posted under the lock: a waiter that is still listed belongs to a live
    // request, so its dispatcher is alive (cancelWait takes this lock).
    for (Waiter& w : ready) w.dispatcher->post(std::move(w.done));
  }
  if (!ready.empty()) {
    GW_LOG_INFO("jwt_authn: JWKS ", source.url, ": first fetch finished; resuming ", ready.size(),
                " waiting request(s)");
  }
}

}  // namespace gw::filters::jwt_authn
