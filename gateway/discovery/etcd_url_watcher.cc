#include "gateway/discovery/etcd_url_watcher.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "conf/etcd_endpoint.h"
#include "gateway/common/log.h"

namespace gw::discovery {
namespace {

constexpr size_t kMaxWatchLine = 1 << 20;

}  // namespace

EtcdUrlWatcher::EtcdUrlWatcher(event::Dispatcher& dispatcher, proxy::HttpClient& client,
                               conf::EtcdConfig config, std::vector<std::string> keys,
                               EndpointStore& store, Options options)
    : dispatcher_(dispatcher),
      client_(client),
      config_(std::move(config)),
      keys_(std::move(keys)),
      store_(store),
      options_(options),
      backoff_(options_.backoff_initial, options_.backoff_max) {
  retry_timer_ = dispatcher_.createTimer([this] { begin(); });
}

void EtcdUrlWatcher::start() {
  GW_LOG_INFO("service discovery: following ", keys_.size(), " etcd key(s) at ", config_.url,
              config_.base_path, config_.username.empty() ? "" : " (with credentials)",
              config_.timer_set ? "; etcdtimer is not needed: changes arrive on a watch" : "");
  begin();
}

proxy::HttpRequest EtcdUrlWatcher::newRequest(std::string_view call) const {
  proxy::HttpRequest req;
  req.method = "POST";
  req.url = config_.apiUrl(call);
  req.timeout = options_.request_timeout;
  req.body_idle_timeout = options_.request_timeout;
  req.headers.emplace_back("Content-Type", "application/json");
  if (!token_.empty()) req.headers.emplace_back("Authorization", token_);
  return req;
}

void EtcdUrlWatcher::begin() {
  watching_ = false;
  watch_.reset();
  line_.clear();
  revision_ = 0;
  if (config_.username.empty()) return readKey(0);
  authenticate();
}

void EtcdUrlWatcher::authenticate() {
  token_.clear();
  proxy::HttpRequest req = newRequest("/auth/authenticate");
  req.body = etcd::authRequest(config_.username, config_.password);
  std::weak_ptr<bool> alive = alive_;
  client_.request(std::move(req), [this, alive](absl::StatusOr<proxy::HttpResponse> r) {
    if (!alive.lock()) return;
    if (!r.ok()) return fail("authenticate", r.status());
    absl::StatusOr<std::string> token = etcd::parseAuthToken(r->body);
    if (token.ok()) {
      token_ = *std::move(token);
    } else if (r->body.find("authentication is not enabled") == std::string::npos) {
      return fail("authenticate", token.status());
    }
    readKey(0);
  });
}

void EtcdUrlWatcher::readKey(size_t index) {
  proxy::HttpRequest req = newRequest("/kv/range");
  req.body = etcd::rangeRequest(etcd::exactKey(keys_[index]));
  std::weak_ptr<bool> alive = alive_;
  client_.request(std::move(req), [this, alive, index](absl::StatusOr<proxy::HttpResponse> r) {
    if (alive.lock()) onRange(index, std::move(r));
  });
}

void EtcdUrlWatcher::onRange(size_t index, absl::StatusOr<proxy::HttpResponse> r) {
  if (!r.ok()) return fail("read", r.status());
  absl::StatusOr<etcd::RangeAnswer> answer = etcd::parseRange(r->body);
  if (!answer.ok()) return fail("read", answer.status());
  if (r->status != 200) {
    return fail("read", absl::UnavailableError(absl::StrCat("etcd answered ", r->status)));
  }
  const std::string& key = keys_[index];
  auto kv = std::find_if(answer->kvs.begin(), answer->kvs.end(),
                         [&key](const etcd::KeyValue& e) { return e.key == key; });
  apply(key, kv == answer->kvs.end() ? nullptr : &kv->value);
  revision_ = index == 0 ? answer->revision : std::min(revision_, answer->revision);
  if (index + 1 < keys_.size()) return readKey(index + 1);
  ++listings_;
  if (failing_) GW_LOG_INFO("service discovery: etcd ", config_.url, " reachable again");
  failing_ = false;
  backoff_.reset();
  publish();
  watch();
}

void EtcdUrlWatcher::watch() {
  proxy::HttpRequest req = newRequest("/watch");
  std::vector<etcd::KeyRange> ranges;
  for (const std::string& key : keys_) ranges.push_back(etcd::exactKey(key));
  req.body = etcd::watchRequest(ranges, revision_ + 1);
  req.body_idle_timeout = options_.watch_idle;
  proxy::HttpStreamCallbacks cb;
  cb.on_headers = [this](const proxy::HttpResponse& head) {
    if (head.status != 200) {
      fail("watch", absl::UnavailableError(absl::StrCat("etcd answered ", head.status)));
    }
  };
  cb.on_data = [this](std::string_view piece) { onWatchData(piece); };
  cb.on_complete = [this](absl::Status s) { onWatchEnd(std::move(s)); };
  line_.clear();
  watch_ = client_.stream(std::move(req), std::move(cb));
}

void EtcdUrlWatcher::onWatchData(std::string_view piece) {
  line_.append(piece.data(), piece.size());
  for (size_t nl; (nl = line_.find('\n')) != std::string::npos;) {
    const std::string line = line_.substr(0, nl);
    line_.erase(0, nl + 1);
    onWatchLine(line);
    if (!watch_) return;  // that line ended the watch
  }
  if (line_.size() > kMaxWatchLine) {
    fail("watch", absl::ResourceExhaustedError("a v3 watch message over 1 MiB"));
  }
}

void EtcdUrlWatcher::onWatchLine(std::string_view line) {
  if (line.find_first_not_of(" \r\t") == std::string_view::npos) return;
  absl::StatusOr<etcd::WatchMessage> msg = etcd::parseWatchLine(line);
  if (!msg.ok()) return fail("watch", msg.status());
  if (msg->resync) {
    GW_LOG_INFO("service discovery: the etcd watch was compacted or cancelled; reading again");
    return begin();
  }
  if (msg->created) watching_ = true;
  bool changed = false;
  for (const etcd::WatchEvent& ev : msg->events) {
    if (std::find(keys_.begin(), keys_.end(), ev.kv.key) == keys_.end()) continue;
    const bool put = ev.type == etcd::WatchEvent::Type::Put;
    changed |= apply(ev.kv.key, put ? &ev.kv.value : nullptr);
    revision_ = std::max(revision_, ev.kv.mod_revision);
  }
  if (changed) publish();
}

void EtcdUrlWatcher::onWatchEnd(absl::Status status) {
  watch_.reset();
  // A quiet key set: watch again from where the stream was.
  if (status.code() == absl::StatusCode::kDeadlineExceeded && watching_) return watch();
  fail("watch", status.ok() ? absl::UnavailableError("etcd ended the watch stream") : status);
}

bool EtcdUrlWatcher::apply(const std::string& key, const std::string* value) {
  auto current = table_.find(key);
  if (value == nullptr) {
    if (current == table_.end()) return false;
    table_.erase(current);
    GW_LOG_INFO("service discovery: etcd key '", key,
                "' is absent; its endpoints use their default URL");
    return true;
  }
  absl::StatusOr<conf::EndpointUrl> url = conf::parseDiscoveredUrl(key, *value);
  if (!url.ok()) {
    GW_LOG_WARN("service discovery: ", url.status().message(), "; ignored, its endpoints keep ",
                current == table_.end() ? std::string("their default URL") : current->second->url,
                " (put an http:// or https:// URL there)");
    return false;
  }
  if (current != table_.end() && current->second->url == url->url) return false;
  GW_LOG_INFO("service discovery: etcd key '", key, "' -> ", url->url);
  table_[key] = std::make_shared<const conf::EndpointUrl>(*std::move(url));
  return true;
}

void EtcdUrlWatcher::fail(std::string_view step, const absl::Status& status) {
  watching_ = false;
  watch_.reset();
  line_.clear();
  const std::chrono::milliseconds delay = backoff_.next();
  if (!failing_) {
    GW_LOG_WARN("service discovery: etcd ", config_.url, " ", step, " failed: ", status.message(),
                "; retrying in ", delay.count(), " ms; endpoints keep the ", table_.size(),
                " URL(s) etcd gave so far (the others their default URL)");
  } else {
    GW_LOG_DEBUG("service discovery: etcd ", step, " failed again: ", status.message(),
                 "; retrying in ", delay.count(), " ms");
  }
  failing_ = true;
  retry_timer_->enable(delay);
}

void EtcdUrlWatcher::publish() { store_.publish(std::make_shared<const DiscoveredUrls>(table_)); }

}  // namespace gw::discovery
