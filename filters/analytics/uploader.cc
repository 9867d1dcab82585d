#include "filters/analytics/uploader.h"

#include <event2/event.h>

#include <algorithm>
#include <vector>

#include "absl/strings/escaping.h"
#include "gateway/common/log.h"
#include "proxy_connector/connector_impl.h"
#include "proxy_connector/http_client.h"

namespace gw::filters::analytics {

std::string multipartBody(const std::string& boundary, const std::string& file_name,
                          const std::string& content) {
  std::string out =
      gw::cat("--", boundary, "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"",
              file_name, "\"\r\nContent-Type: application/octet-stream\r\n\r\n");
  out += content;
  gw::catAppend(&out, "\r\n--", boundary, "--\r\n");
  return out;
}

bool isDuplicateEntryAnswer(int status, const std::string& body) {
  return status == 500 && body.find("A duplicate entry found for the file") != std::string::npos;
}

// Lives on the upload thread: the timer, the current round and its back-off.
class Uploader::Task {
 public:
  Task(event::Dispatcher& d, proxy::HttpClient& client, UsageFiles& files,
       const conf::AnalyticsConfig& config, stats::Store& stats)
      : client_(client),
        files_(files),
        config_(config),
        timer_(d.createTimer([this] { startRound(); })),
        uploaded_(stats.counter("microgw_analytics_uploads_total",
                                "Usage-data zips sent to the analytics server, by result.",
                                {{"result", "uploaded"}})),
        failed_(stats.counter("microgw_analytics_uploads_total",
                              "Usage-data zips sent to the analytics server, by result.",
                              {{"result", "failed"}})),
        authorization_(
            gw::cat("Basic ", absl::Base64Escape(gw::cat(config.username, ":", config.password)))) {
    timer_->enable(std::chrono::milliseconds(config.initial_delay_ms));
  }

 private:
  void startRound() {
    pending_ = files_.listZips();
    std::reverse(pending_.begin(), pending_.end());  // pop_back() takes the oldest
    next();
  }

  void next() {
    if (pending_.empty()) {
      failures_ = 0;
      timer_->enable(std::chrono::milliseconds(config_.uploading_time_span_ms));
      return;
    }
    const std::string name = pending_.back();
    absl::StatusOr<std::string> content = files_.readFile(name);
    if (!content.ok()) {  // removed meanwhile
      pending_.pop_back();
      next();
      return;
    }
    proxy::HttpRequest req;
    req.method = "POST";
    req.url = config_.uploading_endpoint;
    const std::string boundary = gw::cat("microgw-", randomUuid());
    req.headers = {{"Authorization", authorization_},
                   {"FileName", name},
                   {"Accept", "application/json"},
                   {"Content-Type", gw::cat("multipart/form-data; boundary=", boundary)}};
    req.body = multipartBody(boundary, name, *content);
    req.timeout = std::chrono::milliseconds(30000);
    client_.request(std::move(req), [this, name](absl::StatusOr<proxy::HttpResponse> r) {
      onAnswer(name, std::move(r));
    });
  }

  void onAnswer(const std::string& name, absl::StatusOr<proxy::HttpResponse> r) {
    const bool duplicate = r.ok() && isDuplicateEntryAnswer(r->status, r->body);
    if (r.ok() && (r->status == 201 || duplicate)) {
      uploaded_.inc();
      GW_LOG_INFO("analytics: uploaded ", name,
                  duplicate ? " (the server already had it: duplicate entry)" : "");
      if (absl::Status s = files_.removeZip(name); !s.ok()) GW_LOG_WARN(s.message());
      pending_.pop_back();
      next();
      return;
    }
    failed_.inc();
    ++failures_;
    const uint32_t backoff_ms = static_cast<uint32_t>(
        std::min<uint64_t>(config_.uploading_time_span_ms, 1000ull << std::min(failures_ - 1, 20)));
    GW_LOG_WARN(
        "analytics: upload of ", name, " to ", config_.uploading_endpoint, " failed (",
        r.ok() ? gw::cat("HTTP ", r->status) : std::string(r.status().message()),
        "); the zip stays on disk, next try in ", backoff_ms, " ms",
        r.ok() && r->status == 401 ? " (check [analytics.fileUpload] username/password)" : "");
    pending_.clear();
    timer_->enable(std::chrono::milliseconds(backoff_ms));
  }

  proxy::HttpClient& client_;
  UsageFiles& files_;
  const conf::AnalyticsConfig config_;
  event::TimerPtr timer_;
  stats::Counter& uploaded_;
  stats::Counter& failed_;
  const std::string authorization_;  // never logged
  std::vector<std::string> pending_;
  int failures_ = 0;
};

Uploader::Uploader(UsageFiles& files, const conf::AnalyticsConfig& config,
                   const conf::HttpClientsConfig& http_clients, stats::Store& stats) {
  dispatcher_ = event::createDispatcher("analytics-upload");
  event::Dispatcher& d = *dispatcher_;
  const proxy::ConnectorOptions copts = proxy::connectorOptionsFor(http_clients);
  thread_ = std::thread([&d, &files, &stats, config, http_clients, copts] {
    {
      proxy::ConnectorPtr connector = proxy::createConnector(d, copts, stats);
      proxy::HttpClient client(d, *connector, http_clients);
      Task task(d, client, files, config, stats);
      d.run();
    }
    event_base_loop(d.base(), EVLOOP_NONBLOCK);  // deferred deletions
  });
}

Uploader::~Uploader() {
  if (dispatcher_) {
    event::Dispatcher* d = dispatcher_.get();
    d->post([d] { d->exit(); });
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace gw::filters::analytics
